package email

import (
	"errors"
	"fmt"
	"net/textproto"
	"strconv"
	"sync"
	"time"
)

// Messages that wait for a connection are sent together: when a
// connection comes free, the send that takes it takes the other waiting
// messages too (up to maxBatch, and maxBatchBytes of messages), and when
// the server offers PIPELINING and CHUNKING, each message's MAIL, RCPT,
// BDAT LAST and content follow the previous one's in one write (RFC 2920
// lets a client pipeline several transactions; RFC 3030's BDAT carries
// its content's length, so nothing waits for a go-ahead), and the
// replies are read together. A burst of emails then costs a write per
// batch rather than per message, and as many reads as the server's
// replies need.
//
// Each message keeps a transaction of its own, begun by RSET after the
// first: whatever became of the one before (a refused recipient, refused
// content), a server can have kept its transaction open, and a message
// pipelined into it could go to the earlier message's recipients too.
// RSET always ends a transaction (RFC 5321, section 4.1.1.5), so each
// message's outcome is its own.
const (
	maxBatch      = 32
	maxBatchBytes = 512 << 10
)

// pending is a message waiting to be sent, then its outcome. Its fields
// but done and wake are guarded by the pool's mutex.
type pending struct {
	env envelope
	buf []byte // the composed message at buf[at:], room for its commands before
	at  int
	// taken: a send has taken it, and will answer on done.
	taken bool
	// waiting: its send waits for wake, a connection having come free.
	waiting bool
	wake    chan struct{}
	done    chan error
}

func (p *pending) msg() []byte { return p.buf[p.at:] }

// batchCommands are the commands that announce p's message when it is
// pipelined with BDAT: its transaction's commands up to its content,
// after RSET unless it is the batch's first.
func (c *conn) batchCommands(p *pending, first bool) string {
	mail := "MAIL FROM:<" + p.env.from + ">"
	if c.smtputf8 && (!isASCII(p.env.from) || !isASCII(p.env.to)) {
		mail += " SMTPUTF8"
	}
	if !first {
		mail = "RSET\r\n" + mail
	}
	return mail + "\r\nRCPT TO:<" + p.env.to + ">\r\nBDAT " + strconv.Itoa(len(p.msg())) + " LAST\r\n"
}

// transactBatch sends the batch (two messages or more) on c, pipelined as
// above, and returns each message's outcome. The server answers every
// command, in order: a message is sent when its RSET, MAIL, RCPT and BDAT
// are all accepted, else it gets the first refusal (5xx permanent, 4xx
// transient). When the connection fails, the message being answered and
// those after it get that failure (transient): they may have arrived.
// When it fails before the server has answered anything, the failure is
// errStale for all: nothing was sent. Any failure leaves c unusable: the
// caller closes it.
func (c *conn) transactBatch(batch []*pending) []error {
	c.raw.SetDeadline(time.Now().Add(commandTimeout))
	size := 0
	for _, p := range batch {
		size += len(p.msg()) + len(p.env.from) + len(p.env.to) + 64
	}
	out := getBatchBuffer(size)
	defer batchBuffers.Put(out)
	b := (*out)[:0]
	for i, p := range batch {
		b = append(b, c.batchCommands(p, i == 0)...)
		b = append(b, p.msg()...)
	}
	*out = b
	errs := make([]error, len(batch))
	// The replies are read while the batch is written: a server that
	// answers each command before it reads the next would stop reading
	// once its unread answers filled the connection's buffers, and the
	// write would never end (RFC 2920, section 3.2, asks clients to
	// avoid that deadlock).
	wrote := make(chan error, 1)
	go func() {
		w := c.c.Text.W
		w.Write(b) // larger than bufio's buffer: one write
		err := w.Flush()
		if err != nil {
			c.raw.Close() // ends the reads below
		}
		wrote <- err
	}()
	r := replies{t: c.c.Text}
	transaction := []reply{{"RSET", 25}, {"MAIL FROM", 25}, {"RCPT TO", 25}, {"BDAT", 25}}
	for i := range batch {
		want := transaction
		if i == 0 {
			want = transaction[1:]
		}
		err := r.all(want...)
		if err != nil && !isReply(err) {
			// Nothing can be read after this; the write may still wait.
			c.raw.Close()
			for j := i; j < len(batch); j++ {
				errs[j] = err
			}
			break
		}
		errs[i] = err
	}
	if err := <-wrote; err != nil && !r.answered {
		err = fmt.Errorf("MAIL FROM: %w: %w", errStale, err)
		for i := range errs {
			errs[i] = err
		}
	}
	return errs
}

// batchBuffers are reused for writing batches, apart from buffers (a
// batch's would make every message's as large).
var batchBuffers sync.Pool

func getBatchBuffer(size int) *[]byte {
	if b, ok := batchBuffers.Get().(*[]byte); ok && cap(*b) >= size {
		return b
	}
	b := make([]byte, 0, max(size, maxBatchBytes+maxBatch*1024))
	return &b
}

// isReply reports whether err is, or wraps, a reply of the server's.
func isReply(err error) bool {
	var te *textproto.Error
	return errors.As(err, &te)
}
