package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"
)

// writeEvent answers one event as JSON with status: the bytes writeJSON
// would write, without its reflection. Every ingest call answers this way,
// and encoding/json (reflection, times through MarshalJSON, each value
// compacted again) was 4.6% of Herald's CPU in a webhook burst.
func writeEvent(w http.ResponseWriter, status int, b eventBody) {
	buf := bytes.NewBuffer(make([]byte, 0, 512+len(b.Payload)))
	if err := b.writeJSON(buf); err != nil {
		writeJSON(w, status, b) // the same error answer writeJSON gives
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// writeJSON writes b as json.Encoder does with HTML escaping off (fields
// in struct order, the payload compacted, a newline at the end);
// event_json_test.go checks the two agree.
func (b eventBody) writeJSON(buf *bytes.Buffer) error {
	out := buf.AvailableBuffer()
	out = append(out, `{"id":`...)
	out = appendJSONString(out, b.ID)
	out = append(out, `,"account_id":`...)
	out = strconv.AppendInt(out, b.AccountID, 10)
	out = append(out, `,"key":`...)
	out = appendJSONString(out, string(b.Key))
	out = append(out, `,"event_type":`...)
	out = appendJSONString(out, b.EventType)
	out = append(out, `,"idempotency_key":`...)
	if b.IdempotencyKey == nil {
		out = append(out, "null"...)
	} else {
		out = appendJSONString(out, *b.IdempotencyKey)
	}
	var err error
	if out, err = appendJSONTime(append(out, `,"occurred_at":`...), b.OccurredAt); err != nil {
		return err
	}
	if out, err = appendJSONTime(append(out, `,"created_at":`...), b.CreatedAt); err != nil {
		return err
	}
	out = append(out, `,"payload":`...)
	buf.Write(out)
	if b.Payload == nil {
		buf.WriteString("null")
	} else if err := json.Compact(buf, b.Payload); err != nil {
		return err
	}
	out = buf.AvailableBuffer()
	if b.Deliveries != nil {
		out = append(out, `,"deliveries":[`...)
		for i, d := range b.Deliveries {
			if i > 0 {
				out = append(out, ',')
			}
			out = append(out, `{"id":`...)
			out = appendJSONString(out, d.ID)
			out = append(out, `,"channel":`...)
			out = appendJSONString(out, string(d.Channel))
			out = append(out, `,"target":`...)
			out = appendJSONString(out, d.Target)
			out = append(out, `,"status":`...)
			out = appendJSONString(out, string(d.Status))
			out = append(out, `,"attempts":`...)
			out = strconv.AppendInt(out, int64(d.Attempts), 10)
			if out, err = appendJSONTime(append(out, `,"created_at":`...), d.CreatedAt); err != nil {
				return err
			}
			out = append(out, '}')
		}
		out = append(out, ']')
	}
	buf.Write(append(out, "}\n"...))
	return nil
}

// appendJSONTime appends t as time.Time's MarshalJSON does.
func appendJSONTime(out []byte, t time.Time) ([]byte, error) {
	out, err := t.AppendText(append(out, '"'))
	return append(out, '"'), err
}

// appendJSONString appends s quoted as encoding/json quotes it with HTML
// escaping off.
func appendJSONString(out []byte, s string) []byte {
	const hex = "0123456789abcdef"
	out = append(out, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			out = append(out, s[start:i]...)
			switch c {
			case '"', '\\':
				out = append(out, '\\', c)
			case '\b':
				out = append(out, '\\', 'b')
			case '\f':
				out = append(out, '\\', 'f')
			case '\n':
				out = append(out, '\\', 'n')
			case '\r':
				out = append(out, '\\', 'r')
			case '\t':
				out = append(out, '\\', 't')
			default:
				out = append(out, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			out = append(append(out, s[start:i]...), `\ufffd`...)
		} else if r == '\u2028' || r == '\u2029' {
			out = append(append(out, s[start:i]...), '\\', 'u', '2', '0', '2', hex[r&0xf])
		} else {
			i += size
			continue
		}
		i += size
		start = i
	}
	return append(append(out, s[start:]...), '"')
}
