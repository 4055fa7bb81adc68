package catalog

import (
	"strconv"
	"unicode/utf8"
)

// objectWriter writes one flat JSON object with its keys in the order given.
// encoding/json cannot keep a map's order and would escape <, > and &, which
// the spec's examples would not show.
type objectWriter struct {
	buf    []byte
	indent bool
	n      int
}

func (w *objectWriter) begin(indent bool) {
	w.indent = indent
	w.buf = append(w.buf[:0], '{')
	w.n = 0
}

func (w *objectWriter) field(name string, v any) {
	if w.n > 0 {
		w.buf = append(w.buf, ',')
	}
	w.n++
	if w.indent {
		w.buf = append(w.buf, "\n  "...)
	}
	w.buf = appendString(w.buf, name)
	w.buf = append(w.buf, ':')
	if w.indent {
		w.buf = append(w.buf, ' ')
	}
	switch v := v.(type) {
	case int64:
		w.buf = strconv.AppendInt(w.buf, v, 10)
	case string:
		w.buf = appendString(w.buf, v)
	default:
		panic("catalog: unsupported value type")
	}
}

func (w *objectWriter) end() []byte {
	if w.indent && w.n > 0 {
		w.buf = append(w.buf, '\n')
	}
	return append(w.buf, '}')
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string, escaping only what JSON requires
// (plus U+2028 and U+2029, which break JavaScript parsers).
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
