package store

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"mime"
	"net/mail"
	"strings"
	"time"
)

// OutboxMessage is an email kept in the built-in outbox, used when no SMTP
// server is configured.
type OutboxMessage struct {
	ID         string    `json:"id"`
	DeliveryID string    `json:"delivery_id"`
	AccountID  int64     `json:"account_id"`
	Recipient  string    `json:"recipient"`
	Subject    string    `json:"subject"`
	Message    string    `json:"message"` // the whole RFC 5322 message
	CreatedAt  time.Time `json:"created_at"`
}

func (s *Store) insertOutbox(ctx context.Context, tx *sql.Tx, m *OutboxMessage) error {
	// The message is stored compressed (compress.go); message stays ''.
	// A subject or recipient that reads back from the message's own
	// Subject or To is not stored a second time: it is stored as ''.
	subject, recipient := m.Subject, m.Recipient
	if h, err := readHeader(strings.NewReader(m.Message)); err == nil {
		if subject != "" && subjectOf(h) == subject {
			subject = ""
		}
		if recipient != "" && recipientOf(h) == recipient {
			recipient = ""
		}
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO outbox (id, delivery_id, account_id, recipient, subject, message, message_z, created_at)
		VALUES ($1, $2, $3, $4, $5, '', $6, $7)`, m.ID, m.DeliveryID, m.AccountID, recipient, subject, compressMessage(m.Message), millis(m.CreatedAt))
	return err
}

// readHeader reads a message's header, not its body.
func readHeader(r io.Reader) (mail.Header, error) {
	msg, err := mail.ReadMessage(r)
	if err != nil {
		return nil, err
	}
	return msg.Header, nil
}

// subjectOf is a header's Subject, decoded ("" when it cannot be).
func subjectOf(h mail.Header) string {
	v, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
	if err != nil {
		return ""
	}
	return v
}

// recipientOf is the address of a header's To ("" unless it is one).
func recipientOf(h mail.Header) string {
	a, err := mail.ParseAddress(h.Get("To"))
	if err != nil {
		return ""
	}
	return a.Address
}

// fillFromHeader sets the subject and recipient stored empty from the
// message's header; header reads it (the whole message, or only its
// header).
func (m *OutboxMessage) fillFromHeader(header func() (mail.Header, error)) error {
	if m.Subject != "" && m.Recipient != "" {
		return nil
	}
	h, err := header()
	if err != nil {
		return fmt.Errorf("outbox message %s: %w", m.ID, err)
	}
	if m.Subject == "" {
		m.Subject = subjectOf(h)
	}
	if m.Recipient == "" {
		m.Recipient = recipientOf(h)
	}
	return nil
}

// Outbox lists an account's outbox messages, newest first, without their
// bodies; after is the previous page's last id.
func (s *Store) Outbox(ctx context.Context, accountID int64, after string, limit int) ([]OutboxMessage, error) {
	q, args := outboxQuery(accountID, after, limit)
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, wrap("outbox", err)
	}
	defer rows.Close()
	out := []OutboxMessage{}
	for rows.Next() {
		m, err := scanOutbox(rows, false)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// outboxQuery is the outbox list's query: newest first by id, read from
// outbox_account_id (plans_test.go checks both engines use it, unsorted).
func outboxQuery(accountID int64, after string, limit int) (string, []any) {
	q := `SELECT id, delivery_id, account_id, recipient, subject, message, message_z, created_at FROM outbox WHERE account_id = $1`
	args := []any{accountID}
	if after != "" {
		q += ` AND id < $2`
		args = append(args, after)
	}
	return q + fmt.Sprintf(` ORDER BY id DESC LIMIT %d`, limit), args
}

// OutboxMessage returns one message, body included.
func (s *Store) OutboxMessage(ctx context.Context, id string) (OutboxMessage, error) {
	return scanOutbox(s.r.QueryRowContext(ctx, `SELECT id, delivery_id, account_id, recipient, subject, message, message_z, created_at FROM outbox WHERE id = $1`, id), true)
}

// scanOutbox scans a row; without body, the message is read only as far
// as its header when the subject or recipient is there, and left out.
func scanOutbox(row interface{ Scan(...any) error }, body bool) (OutboxMessage, error) {
	var m OutboxMessage
	var created int64
	var z []byte
	err := row.Scan(&m.ID, &m.DeliveryID, &m.AccountID, &m.Recipient, &m.Subject, &m.Message, &z, &created)
	if err == sql.ErrNoRows {
		return m, notFound()
	}
	m.CreatedAt = fromMillis(created)
	if err == nil && body && len(z) > 0 {
		m.Message, err = decompressMessage(z)
	}
	if err == nil {
		err = m.fillFromHeader(func() (mail.Header, error) {
			if len(z) > 0 && m.Message == "" {
				return readCompressedHeader(z)
			}
			return readHeader(strings.NewReader(m.Message))
		})
	}
	if !body {
		m.Message = ""
	}
	return m, wrap("outbox", err)
}
