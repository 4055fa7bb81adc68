package email

import (
	"crypto/sha256"
	"encoding/hex"
	"mime"
	netmail "net/mail"
	"slices"
	"strings"
	"sync/atomic"
	"time"
)

// The message format: what every Herald email looks like on the wire.
//
// Headers come first in name order (Date, MIME-Version, Message-ID,
// Subject and the Message's extra headers), then From and To; values
// that are not plain ASCII are encoded words (RFC 2047, Q encoding in
// UTF-8); a line longer than 76 octets is folded at a space. The body is
// multipart/alternative, text then HTML, each part quoted-printable
// (RFC 2045: lines of at most 76 octets, CRLF line ends, 7-bit only), or
// the text part alone when there is no HTML. This is, byte for byte, what
// go-mail wrote when Herald used it (testdata/message/ holds those
// messages); composing it here, in one buffer, costs a fraction of
// go-mail's part writers, which was most of an email's CPU.

// maxHeaderLine is the length header lines are folded at.
const maxHeaderLine = 76

// Bytes returns the full RFC 5322 message (multipart/alternative, text
// then HTML), exactly as it would be sent; used for the outbox. The output
// is deterministic: the MIME boundary is derived from the content.
func (m Message) Bytes() ([]byte, error) {
	b, err := m.appendTo(make([]byte, 0, m.sizeHint()))
	if err != nil {
		return nil, err
	}
	return b, nil
}

// sizeHint is more than the composed message's size, so that composing
// (and hashing the content for the boundary in the spare room) does not
// grow the buffer: quoted-printable adds a third to HTML (every "=" is
// "=3D") and more to non-ASCII text.
func (m Message) sizeHint() int {
	return 2048 + len(m.Subject)*3 + (len(m.Text)+len(m.HTML))*2
}

// envelope is what the SMTP transaction needs of a message: the bare
// addresses of the sender and the one recipient.
type envelope struct {
	from, to string
}

// check validates m and returns its envelope, so that a bad Message fails
// before anything is written or sent.
func (m Message) check() (from, to *netmail.Address, err error) {
	if from, err = parseFrom(m.From); err != nil {
		return nil, nil, invalid("from %q: %v", m.From, err)
	}
	if to, err = parseRecipient(m.To); err != nil {
		return nil, nil, err
	}
	if err := checkMessageID(m.MessageID); err != nil {
		return nil, nil, err
	}
	if m.Date.IsZero() {
		return nil, nil, invalid("no date")
	}
	if m.Text == "" {
		return nil, nil, invalid("no text body")
	}
	for k := range m.Headers {
		if !validHeaderName(k) || isReserved(k) {
			return nil, nil, invalid("header %q not allowed", k)
		}
	}
	for _, a := range []*netmail.Address{from, to} {
		if strings.ContainsFunc(a.Address, func(r rune) bool { return r < ' ' || r == 0x7f }) {
			return nil, nil, invalid("address %q: control character", a.Address)
		}
	}
	return from, to, nil
}

// lastFrom is the last From address parsed, kept: a sender has one, and
// parsing it for every message showed in profiles.
var lastFrom atomic.Pointer[parsedFrom]

type parsedFrom struct {
	raw  string
	addr *netmail.Address
}

func parseFrom(s string) (*netmail.Address, error) {
	if p := lastFrom.Load(); p != nil && p.raw == s {
		return p.addr, nil
	}
	a, err := netmail.ParseAddress(s)
	if err != nil {
		return nil, err
	}
	lastFrom.Store(&parsedFrom{s, a})
	return a, nil
}

// appendTo appends the message to dst.
func (m Message) appendTo(dst []byte) ([]byte, error) {
	from, to, err := m.check()
	if err != nil {
		return dst, err
	}
	return m.compose(dst, from, to), nil
}

// genHeader is one of the headers written in name order.
type genHeader struct{ name, value string }

func (m Message) compose(b []byte, from, to *netmail.Address) []byte {
	hs := make([]genHeader, 0, 4+len(m.Headers))
	hs = append(hs,
		genHeader{"Date", m.Date.Format(time.RFC1123Z)},
		genHeader{"MIME-Version", "1.0"},
		genHeader{"Message-ID", "<" + m.MessageID + ">"},
		genHeader{"Subject", encodeHeader(clean(m.Subject))},
	)
	for k, v := range m.Headers {
		hs = append(hs, genHeader{k, encodeHeader(clean(v))})
	}
	slices.SortFunc(hs, func(a, b genHeader) int { return strings.Compare(a.name, b.name) })
	for _, h := range hs {
		b = appendHeader(b, h.name, h.value)
	}
	b = appendHeader(b, "From", from.String())
	b = appendHeader(b, "To", to.String())

	var tops encodedTops
	if m.encoded != nil {
		tops = *m.encoded
	}
	const textHeader = "Content-Transfer-Encoding: quoted-printable\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n"
	const htmlHeader = "Content-Transfer-Encoding: quoted-printable\r\nContent-Type: text/html; charset=UTF-8\r\n\r\n"
	if m.HTML == "" {
		b = append(b, textHeader...)
		return tops.text.append(b, m.Text)
	}
	boundary := m.boundary(b)
	b = append(b, "Content-Type: multipart/alternative;\r\n boundary="...)
	b = append(b, boundary...)
	b = append(b, "\r\n\r\n--"...)
	b = append(b, boundary...)
	b = append(b, "\r\n"+textHeader...)
	b = tops.text.append(b, m.Text)
	b = append(b, "\r\n--"...)
	b = append(b, boundary...)
	b = append(b, "\r\n"+htmlHeader...)
	b = tops.html.append(b, m.HTML)
	b = append(b, "\r\n--"...)
	b = append(b, boundary...)
	return append(b, "--\r\n"...)
}

// boundary is the MIME boundary: from a hash of the content, so that it
// cannot occur in the content, and the same message always has the same
// bytes (for the outbox). The content is hashed in b's spare room, which
// is left as it was: hashing through hash.Hash had copied each part to
// the heap first.
func (m Message) boundary(b []byte) string {
	scratch := append(b[len(b):], m.MessageID...)
	scratch = append(scratch, 0)
	scratch = append(scratch, m.Text...)
	scratch = append(scratch, 0)
	scratch = append(scratch, m.HTML...)
	sum := sha256.Sum256(scratch)
	return "herald-" + hex.EncodeToString(sum[:12])
}

// encodeHeader encodes a header value that is not plain ASCII as encoded
// words (RFC 2047).
func encodeHeader(v string) string {
	return mime.QEncoding.Encode("UTF-8", v)
}

// appendHeader appends "name: value" and CRLF, folded before a word that
// would take the line past maxHeaderLine. A word longer than a line stays
// whole on a line of its own (encoded words are at most 75 octets; a long
// URL can pass 76, never 998 in practice).
func appendHeader(b []byte, name, value string) []byte {
	room := maxHeaderLine - 2 - len(name) - 2
	b = append(b, name...)
	b = append(b, ": "...)
	for i := 0; ; i++ {
		word, rest, more := strings.Cut(value, " ")
		if room-len(word) <= 1 {
			if b[len(b)-1] == ' ' {
				b = b[:len(b)-1]
			}
			b = append(b, "\r\n "...)
			room = maxHeaderLine - 3
		}
		b = append(b, word...)
		room -= len(word)
		if !more {
			break
		}
		b = append(b, ' ')
		room--
		value = rest
	}
	return append(b, "\r\n"...)
}
