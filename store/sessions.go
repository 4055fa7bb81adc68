package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"herald"
)

// CreateSession stores sess under hash, the SHA-256 (herald.HashToken) of
// the session id the browser holds. UserID "" (a portal link's session) is
// stored as NULL; a zero CreatedAt means now.
func (s *Store) CreateSession(ctx context.Context, hash string, sess herald.Session) error {
	if sess.CreatedAt.IsZero() {
		sess.CreatedAt = s.now()
	}
	user := sql.NullString{String: sess.UserID, Valid: sess.UserID != ""}
	_, err := s.w.ExecContext(ctx, `INSERT INTO sessions (hash, user_id, account_id, role, csrf, expires_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		hash, user, sess.AccountID, string(sess.Role), sess.CSRF, millis(sess.ExpiresAt), millis(sess.CreatedAt))
	if err != nil {
		return fmt.Errorf("store: create session: %w", err)
	}
	return nil
}

// Session returns the session stored under hash if it has not expired at
// now; an expired or unknown one is herald.ErrNotFound. Every page request
// asks, so the statement is prepared once (queryRow).
func (s *Store) Session(ctx context.Context, hash string, now time.Time) (herald.Session, error) {
	var sess herald.Session
	var user sql.NullString
	var role string
	var expires, created int64
	err := s.queryRow(ctx, `SELECT user_id, account_id, role, csrf, expires_at, created_at FROM sessions WHERE hash = $1 AND expires_at > $2`,
		hash, millis(now)).Scan(&user, &sess.AccountID, &role, &sess.CSRF, &expires, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return herald.Session{}, herald.ErrNotFound
	}
	if err != nil {
		return herald.Session{}, fmt.Errorf("store: session: %w", err)
	}
	sess.UserID, sess.Role = user.String, herald.Role(role)
	sess.ExpiresAt, sess.CreatedAt = fromMillis(expires), fromMillis(created)
	return sess, nil
}

// DeleteSession ends the session stored under hash (signing out). Ending
// one that does not exist is not an error: signing out twice is fine.
func (s *Store) DeleteSession(ctx context.Context, hash string) error {
	if _, err := s.w.ExecContext(ctx, `DELETE FROM sessions WHERE hash = $1`, hash); err != nil {
		return fmt.Errorf("store: delete session: %w", err)
	}
	return nil
}

// SetSessionAccount changes the account in view of the session stored
// under hash, for operators switching accounts; herald.ErrNotFound when
// there is no such session. The caller checks the account exists and the
// session may switch.
func (s *Store) SetSessionAccount(ctx context.Context, hash string, accountID int64) error {
	res, err := s.w.ExecContext(ctx, `UPDATE sessions SET account_id = $1 WHERE hash = $2`, accountID, hash)
	if err != nil {
		return fmt.Errorf("store: set session account: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return herald.ErrNotFound
	}
	return nil
}

// DeleteExpiredSessions removes the sessions expired at now and returns
// how many; Session already ignores them, this only reclaims the space.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= $1`, millis(now))
	if err != nil {
		return 0, fmt.Errorf("store: delete expired sessions: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}
