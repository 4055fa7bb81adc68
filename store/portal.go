package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"herald"
)

// CreatePortalLink stores a portal link under hash, the SHA-256
// (herald.HashToken) of the token in its URL: it signs one browser in to
// accountID with role (admin or viewer) until expiresAt.
func (s *Store) CreatePortalLink(ctx context.Context, hash string, accountID int64, role herald.Role, expiresAt, now time.Time) error {
	if role != herald.RoleAdmin && role != herald.RoleViewer {
		return fmt.Errorf("store: create portal link: role %q is not admin or viewer", role)
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO portal_links (hash, account_id, role, expires_at, created_at) VALUES ($1, $2, $3, $4, $5)`,
		hash, accountID, string(role), millis(expiresAt), millis(now))
	if err != nil {
		return fmt.Errorf("store: create portal link: %w", err)
	}
	return nil
}

// errLinkGone is what every link that cannot be used answers: used,
// expired and unknown look alike, so a guess learns nothing.
func errLinkGone() error {
	return &herald.Error{Code: herald.CodeGone, Message: "this link was already used or has expired"}
}

// UsePortalLink redeems the link stored under hash at now, returning its
// account and role. It succeeds once: the one UPDATE that marks the link
// used also checks it was unused and unexpired, so of two concurrent
// requests only one gets a row back. A used, expired or unknown link is a
// herald.CodeGone error.
func (s *Store) UsePortalLink(ctx context.Context, hash string, now time.Time) (accountID int64, role herald.Role, err error) {
	var r string
	err = s.w.QueryRowContext(ctx, `UPDATE portal_links SET used_at = $1
		WHERE hash = $2 AND used_at IS NULL AND expires_at > $1
		RETURNING account_id, role`, millis(now), hash).Scan(&accountID, &r)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", errLinkGone()
	}
	if err != nil {
		return 0, "", fmt.Errorf("store: use portal link: %w", err)
	}
	return accountID, herald.Role(r), nil
}

// DeleteExpiredPortalLinks deletes links whose time is up, used or not:
// once expired a link can only answer 410, which an unknown one does too.
func (s *Store) DeleteExpiredPortalLinks(ctx context.Context, now time.Time) (int, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM portal_links WHERE expires_at <= $1`, millis(now))
	if err != nil {
		return 0, fmt.Errorf("store: delete expired portal links: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}
