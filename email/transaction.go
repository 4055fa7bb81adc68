package email

import (
	"bytes"
	"errors"
	"fmt"
	"net/textproto"
	"sync"
	"time"
)

// errStale marks a connection that failed before the server answered
// anything in this transaction (a connection the server closed while it
// sat idle): nothing was sent, so sending again on another connection
// cannot make a duplicate.
var errStale = errors.New("connection closed before the first reply")

// transact sends one message on c: MAIL, RCPT and DATA, then the message,
// already dot-stuffed and ended (dotStuff). When the server offers
// PIPELINING the three commands go in one write and their replies are
// read together (RFC 2920), so a message costs two round trips, not
// four; the message itself goes in one write. Any failure leaves c
// unusable: the caller closes it.
func (c *conn) transact(env envelope, data []byte) error {
	c.raw.SetDeadline(time.Now().Add(commandTimeout))
	t := c.c.Text
	mail := "MAIL FROM:<" + env.from + ">"
	if c.smtputf8 && (!isASCII(env.from) || !isASCII(env.to)) {
		mail += " SMTPUTF8"
	}
	cmds := []struct {
		line, name string
		code       int
	}{
		{mail, "MAIL FROM", 25},
		{"RCPT TO:<" + env.to + ">", "RCPT TO", 25},
		{"DATA", "DATA", 354},
	}
	answered := false
	read := func(name string, code int) error {
		_, _, err := t.ReadResponse(code)
		var te *textproto.Error
		switch {
		case err == nil:
			answered = true
			return nil
		case errors.As(err, &te):
			return fmt.Errorf("%s: %w", name, err)
		case !answered:
			return fmt.Errorf("%s: %w: %w", name, errStale, err)
		}
		return fmt.Errorf("%s: %w", name, err)
	}
	if c.pipelining {
		for _, cmd := range cmds {
			t.W.WriteString(cmd.line)
			t.W.WriteString("\r\n")
		}
		if err := t.W.Flush(); err != nil {
			return fmt.Errorf("MAIL FROM: %w: %w", errStale, err)
		}
		// Every reply is read before giving up, as RFC 2920 asks; the
		// first failure is the one reported. Should DATA be accepted
		// after a failure, the caller's closing the connection ends the
		// message before it starts.
		var first error
		for _, cmd := range cmds {
			if err := read(cmd.name, cmd.code); err != nil && first == nil {
				first = err
			}
		}
		if first != nil {
			return first
		}
	} else {
		for _, cmd := range cmds {
			t.W.WriteString(cmd.line)
			t.W.WriteString("\r\n")
			if err := t.W.Flush(); err != nil {
				if !answered {
					return fmt.Errorf("%s: %w: %w", cmd.name, errStale, err)
				}
				return fmt.Errorf("%s: %w", cmd.name, err)
			}
			if err := read(cmd.name, cmd.code); err != nil {
				return err
			}
		}
	}
	c.raw.SetDeadline(time.Now().Add(commandTimeout))
	// One write: bufio passes a write larger than its buffer straight
	// through, and flushes a smaller one at once.
	if _, err := t.W.Write(data); err != nil {
		return fmt.Errorf("sending the message: %w", err)
	}
	if err := t.W.Flush(); err != nil {
		return fmt.Errorf("sending the message: %w", err)
	}
	return read("end of DATA", 25)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// dotStuff makes b, a message with CRLF line ends, the data of an SMTP
// DATA command, in place: a line starting with "." gets a second one,
// and the message ends with CRLF "." CRLF (RFC 5321, section 4.5.2).
func dotStuff(b []byte) []byte {
	if !bytes.HasSuffix(b, []byte("\r\n")) && len(b) > 0 {
		b = append(b, "\r\n"...)
	}
	n := bytes.Count(b, []byte("\n."))
	if len(b) > 0 && b[0] == '.' {
		n++
	}
	end := len(b)
	b = append(b, make([]byte, n)...)
	// Copy from the end, one stuffed line at a time.
	w := len(b)
	for r := end; n > 0; n-- {
		// The start of the last line starting with "." (0 when only
		// the first line is left).
		i := bytes.LastIndex(b[:r], []byte("\n.")) + 1
		w -= r - i
		copy(b[w:], b[i:r])
		w--
		b[w] = '.'
		r = i
	}
	return append(b, ".\r\n"...)
}

// buffers are reused for composing messages to send: an email is tens of
// kilobytes, and allocating each showed in profiles as garbage collection.
var buffers sync.Pool

func getBuffer(size int) *[]byte {
	if b, ok := buffers.Get().(*[]byte); ok && cap(*b) >= size {
		return b
	}
	b := make([]byte, 0, size)
	return &b
}

func putBuffer(b *[]byte) {
	if cap(*b) <= 1<<20 {
		buffers.Put(b)
	}
}
