// Package email renders Herald's notification emails and sends them over
// SMTP.
//
// Every message goes to exactly one recipient: the primary contact and each
// subscriber of an event get their own copy, so nobody sees anybody else's
// address (no Cc, no Bcc, no shared To).
package email

import (
	"errors"
	"fmt"
	netmail "net/mail"
	"slices"
	"strings"
	"time"
	"unicode"

	"herald"
)

// Notification is what one email is about.
type Notification struct {
	// EventKey is the event's settings key, e.g. herald.RunFailed.
	EventKey herald.EventKey
	// AccountName names the account in the subject and footer; when empty
	// the payload's account_name is used.
	AccountName string
	// Payload is the exact webhook payload JSON of the event, fields in
	// spec order: the body lists them in that order.
	Payload []byte
	// DeliveryID identifies the delivery; it makes the Message-ID, so a
	// retried delivery keeps the same one and mail clients can dedupe it.
	DeliveryID string
	// UnsubscribeURL is set on a subscriber's copy: the one-click
	// unsubscribe link (RFC 8058), sent as List-Unsubscribe and linked from
	// the footer. The primary contact's copy has none: the spec sends them
	// everything.
	UnsubscribeURL string
	// SettingsURL is the account's Notifications & Webhooks tab, linked
	// from the primary contact's footer.
	SettingsURL string
}

// headers are a notification's extra headers: X-Herald-Event and
// X-Herald-Delivery for people and filters, Auto-Submitted so that
// auto-responders (vacation replies) stay quiet, List-Id so that mail
// filters can sort by event and account (RFC 2919), and on a subscriber's
// copy List-Unsubscribe with List-Unsubscribe-Post, which lets mail clients
// offer a one-click unsubscribe button (RFC 8058).
func (n Notification) headers(accountID string) map[string]string {
	h := map[string]string{
		"X-Herald-Event":    string(n.EventKey),
		"X-Herald-Delivery": n.DeliveryID,
		"Auto-Submitted":    "auto-generated",
	}
	if id := ListID(n.EventKey, accountID); id != "" {
		h["List-Id"] = id
	}
	if n.UnsubscribeURL != "" {
		h["List-Unsubscribe"] = "<" + n.UnsubscribeURL + ">"
		h["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
	}
	return h
}

// ListID is the List-Id of an event's emails to an account,
// "<{event_key}.{account_id}.herald>", or "" when accountID is not a
// plain number (it could not make a valid list id).
func ListID(k herald.EventKey, accountID string) string {
	if accountID == "" || strings.Trim(accountID, "0123456789") != "" {
		return ""
	}
	return "<" + string(k) + "." + accountID + ".herald>"
}

// footer says why the recipient gets an email about event (its name) of
// account, and links to unsubscribing or to the settings.
func (n Notification) footer(event, account string) frame {
	f := frame{Lang: "en"}
	switch {
	case n.UnsubscribeURL != "":
		f.Footer = fmt.Sprintf("You receive this because your address is subscribed to %s emails for %s.", event, account)
		f.FooterLinkText, f.FooterLink = "Unsubscribe from "+event+" emails", n.UnsubscribeURL
	case n.SettingsURL != "":
		f.Footer = fmt.Sprintf("You receive every notification for %s as its primary contact.", account)
		f.FooterLinkText, f.FooterLink = "Notification settings", n.SettingsURL
	default:
		f.Footer = fmt.Sprintf("You receive this because you are subscribed to %s notifications for %s, or are its primary contact.", event, account)
	}
	return f
}

// Message is a rendered email, ready for Bytes or SMTP.Send.
type Message struct {
	From, To, Subject string
	Text, HTML        string
	// Headers are extra headers: X-Herald-Event, X-Herald-Delivery and
	// Auto-Submitted. Address, MIME and other structural headers are
	// refused, so a Message can never grow a second recipient.
	Headers map[string]string
	// MessageID is the Message-ID without angle brackets,
	// "<delivery id>@<From's domain>"; Bytes adds the brackets.
	MessageID string
	Date      time.Time

	// encoded, when set, holds the quoted-printable form of how Text and
	// HTML start, shared by the copies of an event (cache.go); compose
	// uses it while they still start that way.
	encoded *encodedTops
}

// ErrInvalidMessage marks a Message that cannot be written or sent as it
// is; no retry can fix it, so Permanent reports true for it.
var ErrInvalidMessage = errors.New("email: invalid message")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidMessage, fmt.Sprintf(format, args...))
}

// reserved are headers a Message's Headers may not set: compose writes
// them from the Message's own fields, and letting Headers set them would
// allow a second recipient or a broken MIME structure.
var reserved = []string{
	"from", "to", "cc", "bcc", "reply-to", "sender", "subject", "date", "message-id",
	"mime-version", "content-type", "content-transfer-encoding", "content-disposition", "return-path",
}

// isReserved reports whether header k is reserved, in any case (compared
// in place: lowering each name had been an allocation a header).
func isReserved(k string) bool {
	return slices.ContainsFunc(reserved, func(r string) bool { return strings.EqualFold(r, k) })
}

// parseRecipient accepts exactly one address: a list here would send one
// message to several people, who would then see each other.
func parseRecipient(s string) (*netmail.Address, error) {
	addr, err := netmail.ParseAddress(s)
	if err != nil {
		return nil, invalid("recipient %q: must be exactly one address: %v", s, err)
	}
	return addr, nil
}

// checkMessageID requires "left@right" with no brackets, spaces or
// control characters, so the header cannot be broken or folded.
func checkMessageID(id string) error {
	at := strings.LastIndexByte(id, '@')
	if at <= 0 || at == len(id)-1 {
		return invalid("message id %q: want left@right without angle brackets", id)
	}
	for _, r := range id {
		if r <= ' ' || r >= 0x7f || strings.ContainsRune("<>\"(),:;\\", r) {
			return invalid("message id %q: character %q not allowed", id, r)
		}
	}
	return nil
}

func validHeaderName(k string) bool {
	if k == "" {
		return false
	}
	for _, r := range k {
		if r <= ' ' || r >= 0x7f || r == ':' {
			return false
		}
	}
	return true
}

// clean replaces control characters (CR and LF among them) and Unicode
// line separators with spaces, so that names from the payload can neither
// break a header nor forge lines in a body.
func clean(s string) string {
	// Printable ASCII, the usual case, has nothing to replace.
	i := 0
	for i < len(s) && s[i] >= ' ' && s[i] < 0x7f {
		i++
	}
	if i == len(s) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
}
