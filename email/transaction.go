package email

import (
	"bytes"
	"errors"
	"fmt"
	"net/textproto"
	"strconv"
	"sync"
	"time"
)

// errStale marks a connection that failed before the server answered
// anything in this transaction (a connection the server closed while it
// sat idle): nothing was sent, so sending again on another connection
// cannot make a duplicate.
var errStale = errors.New("connection closed before the first reply")

// headroom is the room kept before a message in its send buffer, where
// transact writes the commands that precede it, so that they and the
// message go in one write.
const headroom = 1024

// transact sends one message on c: buf[at:] is the message as composed,
// buf[:at] room for the commands. Any failure leaves c unusable: the
// caller closes it.
//
// When the server offers PIPELINING (RFC 2920) and CHUNKING (RFC 3030),
// MAIL, RCPT and BDAT go with the message in one write, and the three
// replies come back together: one round trip a message. With PIPELINING
// alone, MAIL, RCPT and DATA go in one write and the dot-stuffed message
// in another: two. Otherwise each command waits for its reply.
func (c *conn) transact(env envelope, buf []byte, at int) error {
	c.raw.SetDeadline(time.Now().Add(commandTimeout))
	msg := buf[at:]
	mail := "MAIL FROM:<" + env.from + ">"
	if c.smtputf8 && (!isASCII(env.from) || !isASCII(env.to)) {
		mail += " SMTPUTF8"
	}
	rcpt := "RCPT TO:<" + env.to + ">"
	r := replies{t: c.c.Text}
	w := c.c.Text.W
	switch {
	case c.pipelining && c.chunking:
		cmds := mail + "\r\n" + rcpt + "\r\nBDAT " + strconv.Itoa(len(msg)) + " LAST\r\n"
		if len(cmds) <= at {
			// bufio passes a write larger than its buffer straight
			// through, and flushes a smaller one at once: one write.
			start := at - len(cmds)
			copy(buf[start:], cmds)
			w.Write(buf[start:])
		} else {
			w.WriteString(cmds)
			w.Write(msg)
		}
		if err := w.Flush(); err != nil {
			return fmt.Errorf("MAIL FROM: %w: %w", errStale, err)
		}
		// Should MAIL or RCPT fail, the server reads the chunk and refuses
		// it too: no recipient, no message.
		return r.all(reply{"MAIL FROM", 25}, reply{"RCPT TO", 25}, reply{"BDAT", 25})
	case c.pipelining:
		w.WriteString(mail + "\r\n" + rcpt + "\r\nDATA\r\n")
		if err := w.Flush(); err != nil {
			return fmt.Errorf("MAIL FROM: %w: %w", errStale, err)
		}
		// Should DATA be accepted after a failure, the caller's closing
		// the connection ends the message before it starts.
		if err := r.all(reply{"MAIL FROM", 25}, reply{"RCPT TO", 25}, reply{"DATA", 354}); err != nil {
			return err
		}
	default:
		for _, cmd := range []struct {
			line string
			reply
		}{{mail, reply{"MAIL FROM", 25}}, {rcpt, reply{"RCPT TO", 25}}, {"DATA", reply{"DATA", 354}}} {
			w.WriteString(cmd.line + "\r\n")
			if err := w.Flush(); err != nil {
				return r.failed(cmd.name, err)
			}
			if err := r.all(cmd.reply); err != nil {
				return err
			}
		}
	}
	c.raw.SetDeadline(time.Now().Add(commandTimeout))
	data := getBuffer(len(msg) + len(msg)/64 + 8)
	defer putBuffer(data)
	*data = dotStuff(append((*data)[:0], msg...))
	w.Write(*data) // one write, as above
	if err := w.Flush(); err != nil {
		return fmt.Errorf("sending the message: %w", err)
	}
	return r.all(reply{"end of DATA", 25})
}

// reply is a reply transact expects: to which command, and its code (25
// for any 25x).
type reply struct {
	name string
	code int
}

// replies reads a transaction's replies, noting whether any came.
type replies struct {
	t        *textproto.Conn
	answered bool
}

// all reads the replies of pipelined commands. Every reply is read, as
// RFC 2920 asks; the first failure is the one reported.
func (r *replies) all(want ...reply) error {
	var first error
	for _, w := range want {
		_, _, err := r.t.ReadResponse(w.code)
		if te := (*textproto.Error)(nil); err == nil || errors.As(err, &te) {
			r.answered = true
		}
		if err != nil && first == nil {
			first = r.failed(w.name, err)
		}
	}
	return first
}

// failed describes err at the named command: stale when the server has
// not answered anything in this transaction and err is not a reply.
func (r *replies) failed(name string, err error) error {
	var te *textproto.Error
	if !r.answered && !errors.As(err, &te) {
		return fmt.Errorf("%s: %w: %w", name, errStale, err)
	}
	return fmt.Errorf("%s: %w", name, err)
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
