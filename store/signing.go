package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"herald"
)

// SigningKeys returns the account's keys that sign at now, newest (the
// current one) first. Keys whose overlap has ended are left out.
func (s *Store) SigningKeys(ctx context.Context, accountID int64, now time.Time) ([]herald.SigningKey, error) {
	m, err := s.signingKeysOf(ctx, []int64{accountID}, now)
	return m[accountID], err
}

// signingKeysOf reads the signing keys of several accounts at once: the
// worker's claim needs those of every account in its batch. The accounts
// come as one JSON array, so one statement, prepared once, serves any
// count: parsing a statement made for each batch's count was 2% of
// Herald's CPU in a webhook burst.
func (s *Store) signingKeysOf(ctx context.Context, accounts []int64, now time.Time) (map[int64][]herald.SigningKey, error) {
	list, err := json.Marshal(accounts)
	if err != nil {
		return nil, wrap("signing keys", err)
	}
	in := `(SELECT value FROM json_each($2))`
	if s.dialect == Postgres {
		in = `(SELECT jsonb_array_elements_text($2::jsonb)::bigint)`
	}
	st, err := s.stmts.get(ctx, s.r, `SELECT id, account_id, scheme, secret, public_key, created_at, expires_at FROM signing_keys
		WHERE account_id IN `+in+` AND (expires_at IS NULL OR expires_at > $1)
		ORDER BY account_id, expires_at IS NOT NULL, created_at DESC, id DESC`)
	if err != nil {
		return nil, wrap("signing keys", err)
	}
	rows, err := st.QueryContext(ctx, millis(now), string(list))
	if err != nil {
		return nil, wrap("signing keys", err)
	}
	defer rows.Close()
	out := map[int64][]herald.SigningKey{}
	for rows.Next() {
		var k herald.SigningKey
		var secret, public string
		var created int64
		var expires sql.NullInt64
		if err := rows.Scan(&k.ID, &k.AccountID, &k.Scheme, &secret, &public, &created, &expires); err != nil {
			return nil, wrap("signing keys", err)
		}
		raw, err := s.open(secret)
		if err == nil {
			k.Secret, err = base64.StdEncoding.DecodeString(raw)
		}
		if err == nil && public != "" {
			k.PublicKey, err = base64.StdEncoding.DecodeString(public)
		}
		if err != nil {
			return nil, fmt.Errorf("store: signing key %s: %w", k.ID, err)
		}
		k.CreatedAt = fromMillis(created)
		if expires.Valid {
			k.ExpiresAt = fromMillis(expires.Int64)
		}
		out[k.AccountID] = append(out[k.AccountID], k)
	}
	return out, rows.Err()
}

// ChangeSigning changes which keys sign the account's webhooks. With next
// nil, signing stops at once: every key is deleted. Otherwise next becomes
// the current key and the previous current one keeps signing beside it
// until overlapEnds; an overlapEnds not after now ends every previous key
// at once. Keys whose overlap is over are deleted.
func (s *Store) ChangeSigning(ctx context.Context, accountID int64, next *herald.SigningKey, overlapEnds, now time.Time) error {
	err := s.Transact(ctx, func(tx *sql.Tx) error {
		// The account's row is written (its values unchanged), so a copy
		// of its recipients, which carries its keys, kept by any process
		// on PostgreSQL is found stale at the next insert (pgrecipients.go).
		res, err := tx.ExecContext(ctx, `UPDATE accounts SET updated_at = updated_at WHERE id = $1`, accountID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return herald.ErrNotFound
		}
		if next == nil || !overlapEnds.After(now) {
			_, err := tx.ExecContext(ctx, `DELETE FROM signing_keys WHERE account_id = $1`, accountID)
			if err != nil || next == nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM signing_keys WHERE account_id = $1 AND expires_at <= $2`, accountID, millis(now)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE signing_keys SET expires_at = $1 WHERE account_id = $2 AND expires_at IS NULL`,
			millis(overlapEnds), accountID); err != nil {
			return err
		}
		public := ""
		if next.PublicKey != nil {
			public = base64.StdEncoding.EncodeToString(next.PublicKey)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO signing_keys (id, account_id, scheme, secret, public_key, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			next.ID, accountID, string(next.Scheme), s.seal(base64.StdEncoding.EncodeToString(next.Secret)), public, millis(next.CreatedAt))
		return err
	})
	if err == herald.ErrNotFound {
		return err
	}
	return wrap("change signing", err)
}
