package store

import (
	"context"
	"database/sql"
	"fmt"
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
	_, err := tx.ExecContext(ctx, `INSERT INTO outbox (id, delivery_id, account_id, recipient, subject, message, message_z, created_at)
		VALUES ($1, $2, $3, $4, $5, '', $6, $7)`, m.ID, m.DeliveryID, m.AccountID, m.Recipient, m.Subject, compressMessage(m.Message), millis(m.CreatedAt))
	return err
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
		m, err := scanOutbox(rows)
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
	q := `SELECT id, delivery_id, account_id, recipient, subject, '', NULL, created_at FROM outbox WHERE account_id = $1`
	args := []any{accountID}
	if after != "" {
		q += ` AND id < $2`
		args = append(args, after)
	}
	return q + fmt.Sprintf(` ORDER BY id DESC LIMIT %d`, limit), args
}

// OutboxMessage returns one message, body included.
func (s *Store) OutboxMessage(ctx context.Context, id string) (OutboxMessage, error) {
	return scanOutbox(s.r.QueryRowContext(ctx, `SELECT id, delivery_id, account_id, recipient, subject, message, message_z, created_at FROM outbox WHERE id = $1`, id))
}

func scanOutbox(row interface{ Scan(...any) error }) (OutboxMessage, error) {
	var m OutboxMessage
	var created int64
	var z []byte
	err := row.Scan(&m.ID, &m.DeliveryID, &m.AccountID, &m.Recipient, &m.Subject, &m.Message, &z, &created)
	if err == sql.ErrNoRows {
		return m, notFound()
	}
	if err == nil && len(z) > 0 {
		m.Message, err = decompressMessage(z)
	}
	m.CreatedAt = fromMillis(created)
	return m, wrap("outbox", err)
}
