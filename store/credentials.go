package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"herald"
)

// CreateAPIKey stores an API key's hash for the account.
func (s *Store) CreateAPIKey(ctx context.Context, k herald.APIKey, hash string) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO api_keys (id, account_id, name, prefix, hash, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		k.ID, k.AccountID, k.Name, k.Prefix, hash, millis(k.CreatedAt))
	if err != nil {
		return fmt.Errorf("store: create api key: %w", err)
	}
	return nil
}

// APIKeyByHash finds the key whose hash is hash, or herald.ErrNotFound.
func (s *Store) APIKeyByHash(ctx context.Context, hash string) (herald.APIKey, error) {
	var k herald.APIKey
	var created int64
	err := s.queryRow(ctx, `SELECT id, account_id, name, prefix, created_at FROM api_keys WHERE hash = $1`, hash).
		Scan(&k.ID, &k.AccountID, &k.Name, &k.Prefix, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return k, herald.ErrNotFound
	}
	if err != nil {
		return k, fmt.Errorf("store: api key: %w", err)
	}
	k.CreatedAt = fromMillis(created)
	return k, nil
}

// APIKeys lists the account's keys, oldest first.
func (s *Store) APIKeys(ctx context.Context, accountID int64) ([]herald.APIKey, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, account_id, name, prefix, created_at FROM api_keys WHERE account_id = $1 ORDER BY created_at, id`, accountID)
	if err != nil {
		return nil, fmt.Errorf("store: api keys: %w", err)
	}
	defer rows.Close()
	keys := []herald.APIKey{}
	for rows.Next() {
		var k herald.APIKey
		var created int64
		if err := rows.Scan(&k.ID, &k.AccountID, &k.Name, &k.Prefix, &created); err != nil {
			return nil, err
		}
		k.CreatedAt = fromMillis(created)
		keys = append(keys, k)
	}
	return keys, rows.Err()
}

// DeleteAPIKey revokes one of the account's keys, or returns
// herald.ErrNotFound.
func (s *Store) DeleteAPIKey(ctx context.Context, accountID int64, id string) error {
	res, err := s.w.ExecContext(ctx, `DELETE FROM api_keys WHERE account_id = $1 AND id = $2`, accountID, id)
	if err != nil {
		return fmt.Errorf("store: delete api key: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return herald.ErrNotFound
	}
	return nil
}

// InitPlatformToken stores hash as the generated platform token unless one
// was generated before. It reports whether hash was stored, so only the
// first start (of any process sharing the database) prints its token.
func (s *Store) InitPlatformToken(ctx context.Context, hash string) (bool, error) {
	res, err := s.w.ExecContext(ctx, `INSERT INTO platform_tokens (id, hash, created_at) VALUES ('generated', $1, $2) ON CONFLICT DO NOTHING`,
		hash, millis(s.now()))
	if err != nil {
		return false, fmt.Errorf("store: init platform token: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// PlatformTokenHashes returns the stored platform token hashes.
func (s *Store) PlatformTokenHashes(ctx context.Context) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT hash FROM platform_tokens ORDER BY created_at`)
	if err != nil {
		return nil, fmt.Errorf("store: platform tokens: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}
