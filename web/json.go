package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"herald"
)

// MaxBodyBytes bounds request bodies (the spec's readings: 1 MiB).
const MaxBodyBytes = 1 << 20

// decodeObject reads a JSON object body strictly: at most MaxBodyBytes
// (413), valid JSON (400), nothing after the value (400), an object at the
// top (400). Numbers stay json.Number so integers are checked exactly.
func decodeObject(w http.ResponseWriter, r *http.Request) (map[string]any, error) {
	body, err := readBody(w, r)
	if err != nil {
		return nil, err
	}
	return parseObject(body)
}

// readBody reads a request body of at most MaxBodyBytes (413 beyond).
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if r.ContentLength > MaxBodyBytes {
		return nil, tooLarge()
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return nil, tooLarge()
	}
	if err != nil {
		return nil, herald.Errorf(herald.CodeMalformed, "could not read the request body: %v", err)
	}
	return body, nil
}

func tooLarge() error {
	return herald.Errorf(herald.CodeTooLarge, "request body is larger than %d bytes", MaxBodyBytes)
}

func parseObject(body []byte) (map[string]any, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, herald.Errorf(herald.CodeMalformed, "request body is empty; send a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, herald.Errorf(herald.CodeMalformed, "request body is not valid JSON: %s", jsonError(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, herald.Errorf(herald.CodeMalformed, "request body has data after the JSON value at byte %d", dec.InputOffset())
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, herald.Errorf(herald.CodeMalformed, "request body must be a JSON object")
	}
	return obj, nil
}

func jsonError(err error) string {
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		return fmt.Sprintf("%v (at byte %d)", se, se.Offset)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return "unexpected end of input"
	}
	return err.Error()
}

// writeJSON answers v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // JSON for programs; <, > and & need no escape
	if err := enc.Encode(v); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"error":{"code":"internal","message":"could not encode the answer"}}` + "\n")
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func writeRawJSON(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
	w.Write([]byte{'\n'})
}

// list is the contract's shape for every list.
type list[T any] struct {
	Data       []T    `json:"data"`
	NextCursor string `json:"next_cursor"`
}

// page turns up to limit+1 rows, newest first, into a list: the extra row
// only says that another page follows, whose cursor is the last id shown.
func page[R, T any](rows []R, limit int, id func(R) string, show func(R) T) list[T] {
	out := list[T]{Data: make([]T, 0, min(len(rows), limit))}
	for i, row := range rows {
		if i == limit {
			out.NextCursor = id(rows[i-1])
			break
		}
		out.Data = append(out.Data, show(row))
	}
	return out
}
