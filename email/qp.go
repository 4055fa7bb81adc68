package email

import "strings"

// qpLine is the longest line appendQP writes, not counting CRLF.
const qpLine = 76

// qpLiteral marks the octets written as themselves: printable ASCII but
// '=', and space and tab (encoded only at the end of a line).
var qpLiteral = func() (t [256]bool) {
	for c := '!'; c <= '~'; c++ {
		t[c] = c != '='
	}
	t[' '], t['\t'] = true, true
	return t
}()

const upperhex = "0123456789ABCDEF"

// appendQP appends s quoted-printable encoded (RFC 2045, section 6.7) to
// b: its line breaks (CRLF, LF or CR) as CRLF, lines of at most 76
// octets with soft breaks, space or tab before a break encoded. The
// output is exactly that of mime/quotedprintable's Writer, which the
// tests check on random input, written in runs rather than a call per
// octet.
func appendQP(b []byte, s string) []byte {
	b, _ = appendQPFresh(b, s)
	return b
}

// appendQPFresh is appendQP, and reports whether the encoder ended as it
// starts: at the start of a line, not after a CR (whose LF would not be
// a second line break).
func appendQPFresh(b []byte, s string) ([]byte, bool) {
	line := len(b) // where the current output line starts
	cr := false    // the last input octet was CR: a LF after it is the same break
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case qpLiteral[c]:
			// A run of literal octets, cut into lines.
			j := i + 1
			for j < len(s) && qpLiteral[s[j]] {
				j++
			}
			for i < j {
				if len(b)-line == qpLine-1 {
					b = append(b, "=\r\n"...)
					line = len(b)
				}
				n := min(j-i, qpLine-1-(len(b)-line))
				b = append(b, s[i:i+n]...)
				i += n
			}
			cr = false
			continue
		case c == '\n' && cr:
			cr = false // the LF of a CRLF
		case c == '\n' || c == '\r':
			cr = c == '\r'
			b, _ = qpEndLine(b, line)
			b = append(b, "\r\n"...)
			line = len(b)
		default:
			b, line = qpEncode(b, line, c)
		}
		i++
	}
	b, _ = qpEndLine(b, line)
	return b, len(b) == line && !cr
}

// qpEncode appends c as =XX, after a soft break when the line has no room.
func qpEncode(b []byte, line int, c byte) ([]byte, int) {
	if qpLine-1-(len(b)-line) < 3 {
		b = append(b, "=\r\n"...)
		line = len(b)
	}
	return append(b, '=', upperhex[c>>4], upperhex[c&0x0f]), line
}

// qpEndLine encodes a space or tab that ends the line.
func qpEndLine(b []byte, line int) ([]byte, int) {
	if len(b) > line {
		if c := b[len(b)-1]; c == ' ' || c == '\t' {
			return qpEncode(b[:len(b)-1], line, c)
		}
	}
	return b, line
}

// encodedTops are the quoted-printable forms of how an event's text and
// HTML parts start (the layout above the footer), encoded once for all
// its copies.
type encodedTops struct{ text, html encodedTop }

// encodedTop is the start of a part and its encoding. The encoder ends
// it as it starts (after a line break), so the part's encoding is the
// top's followed by the rest's.
type encodedTop struct {
	raw string
	qp  []byte
}

// encodeTops encodes the tops, those after which the encoder starts
// afresh (the layouts' end with a line break).
func encodeTops(text, html string) encodedTops {
	return encodedTops{encodeTop(text), encodeTop(html)}
}

func encodeTop(s string) encodedTop {
	qp, fresh := appendQPFresh(make([]byte, 0, len(s)*3/2+64), s)
	if !fresh || s == "" {
		return encodedTop{}
	}
	return encodedTop{s, qp}
}

// append appends the part s quoted-printable encoded, the top from its
// encoding when s starts with it.
func (t encodedTop) append(b []byte, s string) []byte {
	if t.raw != "" && strings.HasPrefix(s, t.raw) {
		return appendQP(append(b, t.qp...), s[len(t.raw):])
	}
	return appendQP(b, s)
}
