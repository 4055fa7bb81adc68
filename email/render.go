package email

import (
	"embed"
	"errors"
	"fmt"
	netmail "net/mail"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"herald"
	"herald/catalog"
)

//go:embed templates/*.tmpl
var templates embed.FS

// Renderer renders emails from embedded templates: a text/template for the
// plain-text part and an html/template for the HTML part, so that names
// from the payload are escaped in HTML. It is safe for concurrent use.
type Renderer struct {
	from   string // formatted From address
	domain string // From's domain, the right side of Message-IDs
	kinds  map[string]kind
	// Recent events' shared parts, and recent footers (cache.go).
	shared  renderCache[sharedRender]
	footers renderCache[footerRender]
	// Templates compiled once they have run (layout.go), by programKey.
	programs sync.Map
}

// NewRenderer returns a Renderer sending as from, an address such as
// "Herald <herald@localhost>", validated with net/mail.
func NewRenderer(from string) (*Renderer, error) {
	addr, err := netmail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("email: from address %q: %w", from, err)
	}
	kinds, err := parseKinds()
	if err != nil {
		return nil, err
	}
	return &Renderer{
		from:   addr.String(),
		domain: addr.Address[strings.LastIndexByte(addr.Address, '@')+1:],
		kinds:  kinds,
	}, nil
}

// row is one payload field as the templates show it.
type row struct {
	Label  string
	Padded string // "Label:" padded so that the text part's values align
	Value  string
	Link   bool // an http(s) URL, shown as a link in HTML
}

// view is what the notification template sees.
type view struct {
	frame
	Title   string // the event's name, e.g. "Run Failed"
	Summary string
	Link    string // "View the run" target; empty when the event has none
	Rows    []row
}

// Render renders n for the single recipient to at time now (the Date).
//
// What every recipient of an event shares (the subject, the body above
// the footer and below it) is rendered once and kept (cache.go); only
// the footer, which links to the recipient's unsubscribe link or the
// settings, is rendered for each recipient, and kept too, since the
// recipient's next email of that event type has the same. The result is the same as
// rendering the whole layout for each (the tests check both ways).
func (r *Renderer) Render(n Notification, to string, now time.Time) (Message, error) {
	if catalog.ByKey(n.EventKey) == nil {
		return Message{}, fmt.Errorf("email: unknown event key %q", n.EventKey)
	}
	rcpt, err := parseRecipient(to)
	if err != nil {
		return Message{}, err
	}
	if err := checkDeliveryID(n.DeliveryID); err != nil {
		return Message{}, err
	}
	e := r.shared.get(sharedKey(n.EventKey, n.AccountName, n.Payload))
	e.once.Do(func() { r.renderShared(e, n) })
	if e.err != nil {
		return Message{}, e.err
	}
	frame := n.footer(e.event, e.account)
	f := r.footers.get(footerKey(frame))
	f.once.Do(func() { f.text, f.html, f.err = r.executeTemplate("notification", "footer", frame, 256, 512) })
	if f.err != nil {
		return Message{}, f.err
	}
	m := r.message(n, rcpt, e.subject, e.textTop+f.text+e.textBottom, e.htmlTop+f.html+e.htmlBottom, e.accountID, now)
	m.encoded = &e.encoded
	return m, nil
}

// renderShared renders into e what every recipient of n's event shares.
func (r *Renderer) renderShared(e *sharedRender, n Notification) {
	ev := catalog.ByKey(n.EventKey)
	fields, err := eventFields(ev, n.Payload)
	if err != nil {
		e.err = err
		return
	}
	e.event, e.account = ev.Name, n.account(fields)
	e.accountID = get(fields, "account_id")

	v := view{Title: ev.Name, Summary: summary(n.EventKey, fields)}
	v.Lang = "en"
	v.Subject = subject(n.EventKey, e.account, fields)
	v.Preheader = v.Summary
	if l := get(fields, "admin_link"); n.EventKey == herald.RunFailed && isLink(l) {
		v.Link = l
	}
	v.Rows = rows(fields)
	e.subject = v.Subject
	// Sized for the spec's run_failed example, the largest (2 and 7 KB).
	if e.textTop, e.htmlTop, e.err = r.executeTemplate("notification", "top", v, 3<<10, 8<<10); e.err != nil {
		return
	}
	e.textBottom, e.htmlBottom, e.err = r.executeTemplate("notification", "bottom", v, 16, 128)
	e.encoded = encodeTops(e.textTop, e.htmlTop)
}

// message assembles the rendered email about n for rcpt.
func (r *Renderer) message(n Notification, rcpt *netmail.Address, subject, text, html, accountID string, now time.Time) Message {
	to := rcpt.Address
	if rcpt.Name != "" {
		to = rcpt.String()
	}
	return Message{
		From:      r.from,
		To:        to,
		Subject:   subject,
		Text:      text,
		HTML:      html,
		Headers:   n.headers(accountID),
		MessageID: n.DeliveryID + "@" + r.domain,
		Date:      now,
	}
}

// eventFields reads the payload of an event ev, values cleaned for
// showing.
func eventFields(ev *catalog.Event, payload []byte) ([]field, error) {
	fields, err := parsePayload(payload)
	if err != nil {
		return nil, err
	}
	// A payload of another event would give a misleading email.
	if t := get(fields, "event_type"); t != "" {
		if pe, ok := catalog.Lookup(t); !ok || pe != ev {
			return nil, fmt.Errorf("email: payload event_type %q does not match event %q", t, ev.Key)
		}
	}
	for i := range fields {
		fields[i].Value = clean(fields[i].Value)
	}
	return fields, nil
}

// account names the account: AccountName, else the payload's.
func (n Notification) account(fields []field) string {
	if a := clean(n.AccountName); strings.TrimSpace(a) != "" {
		return a
	}
	return get(fields, "account_name")
}

// rows lays fields out for the templates, the text part's labels padded
// so that the values align.
func rows(fields []field) []row {
	out := make([]row, 0, len(fields))
	width := 0
	for _, f := range fields {
		l := keptLabel(f.Name)
		width = max(width, len(l)+1)
		out = append(out, row{Label: l, Value: f.Value, Link: isLink(f.Value)})
	}
	// "%-*s " of the label and its colon: padded with spaces to width
	// runes, then one more.
	spaces := strings.Repeat(" ", width+1)
	for i := range out {
		l := out[i].Label
		out[i].Padded = l + ":" + spaces[min(utf8.RuneCountInString(l)+1, width):]
	}
	return out
}

// isLink reports whether s is an http(s) URL, shown as a link; anything
// else (javascript: say) is shown as text only.
func isLink(s string) bool {
	return strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://")
}

// checkDeliveryID keeps the id usable as a Message-ID's left side.
func checkDeliveryID(id string) error {
	if id == "" {
		return errors.New("email: no delivery id")
	}
	for _, c := range id {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("._-+=", c)
		if !ok {
			return fmt.Errorf("email: delivery id %q: character %q not allowed", id, c)
		}
	}
	return nil
}

// subject names the account, the event and the resource, e.g.
// "[Acme Corp] Run 9876 failed: Shopify Integration / Widget Co".
func subject(k herald.EventKey, account string, fields []field) string {
	integration := get(fields, "integration_name")
	tenant := get(fields, "tenant_name")
	var s string
	switch k {
	case herald.RunFailed:
		s = fmt.Sprintf("Run %s failed: %s / %s", get(fields, "run_id"), integration, tenant)
	case herald.IntegrationCreated:
		s = "New integration: " + integration
	case herald.TenantCreated:
		s = fmt.Sprintf("New tenant %s on %s", tenant, integration)
	case herald.TenantArchived:
		s = fmt.Sprintf("Tenant archived: %s (%s)", tenant, integration)
	case herald.PartnerIntegrationUpdated:
		s = fmt.Sprintf("%s updated %s", get(fields, "partner_name"), integration)
	}
	return strings.TrimSpace(clean(fmt.Sprintf("[%s] %s", account, s)))
}

// summary is the body's first line.
func summary(k herald.EventKey, fields []field) string {
	integration := get(fields, "integration_name")
	tenant := get(fields, "tenant_name")
	var s string
	switch k {
	case herald.RunFailed:
		s = fmt.Sprintf("Run %s of %s for tenant %s failed", get(fields, "run_id"), integration, tenant)
	case herald.IntegrationCreated:
		s = fmt.Sprintf("A new integration, %s, was created", integration)
	case herald.TenantCreated:
		s = fmt.Sprintf("A new tenant, %s, was created on %s", tenant, integration)
	case herald.TenantArchived:
		s = fmt.Sprintf("Tenant %s of %s was archived", tenant, integration)
	case herald.PartnerIntegrationUpdated:
		s = fmt.Sprintf("%s updated the integration %s", get(fields, "partner_name"), integration)
	}
	if env := get(fields, "environment"); env != "" {
		s += " in " + env
	}
	return s + "."
}
