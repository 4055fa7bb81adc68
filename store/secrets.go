package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"herald"
	"herald/seal"
)

// sealTarget seals a webhook delivery's target (a URL whose query string
// is a credential); an email's target, the address, stays readable.
func (s *Store) sealTarget(ch herald.Channel, target string) string {
	if ch == herald.ChannelWebhook {
		return s.seal(target)
	}
	return target
}

// seal seals a secret for storing; without a master key (a Store opened
// with no Secrets, as tools and some tests do) it stays as it is, and the
// first start with a key seals it (checkSecrets).
func (s *Store) seal(v string) string {
	if s.box == nil {
		return v
	}
	return s.box.Seal(v)
}

// open reads a stored secret. A value not sealed (written without a master
// key, or before sealing existed) is read as it is; a sealed one needs the
// key it was sealed under.
func (s *Store) open(v string) (string, error) {
	id, sealed := seal.SealedKeyID(v)
	switch {
	case !sealed:
		return v, nil
	case s.box == nil:
		return "", fmt.Errorf("%w: the value is sealed under master key %s, and this Store was given none", ErrWrongMasterKey, id)
	}
	return s.box.Open(v)
}

// sealedColumns are every column that holds a secret, each with the rows
// where it does.
var sealedColumns = []struct{ table, key, column, where string }{
	{"accounts", "id", "webhook_url", "webhook_url <> ''"},
	{"deliveries", "id", "target", "channel = 'webhook'"},
	{"signing_keys", "id", "secret", "1 = 1"},
	{"unsubscribe_secret", "id", "secret", "1 = 1"},
}

// probeText is what master_keys.probe opens to under the right key.
const probeText = "herald master key probe"

// ErrWrongMasterKey means the database's secrets are sealed under a master
// key this Herald was not given.
var ErrWrongMasterKey = errors.New("wrong master key")

// checkSecrets runs after migrations, at every start: it fails when the
// database's secrets were sealed under a key this Herald does not hold,
// seals values written before sealing existed (the first start after
// migration 3), and reseals everything under the current key when the
// database was sealed under a previous one (a master key rotation).
func (s *Store) checkSecrets(ctx context.Context) error {
	if s.box == nil {
		return nil // nothing to check with, nothing to seal under
	}
	return s.Transact(ctx, func(tx *sql.Tx) error {
		if s.dialect == Postgres {
			// Two processes starting at once: one seals, the other waits.
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7262372584)`); err != nil {
				return err
			}
		}
		var id, probe string
		err := tx.QueryRowContext(ctx, `SELECT id, probe FROM master_keys`).Scan(&id, &probe)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			// Nothing sealed yet: seal what is there.
		case err != nil:
			return err
		default:
			if p, err := s.box.Open(probe); err != nil || p != probeText {
				return fmt.Errorf("%w: the database's secrets are sealed under master key %s, but this Herald's key is %s; "+
					"start it with the key it was started with before (HERALD_SECRET_KEY or HERALD_SECRET_KEY_FILE)", ErrWrongMasterKey, id, s.box.KeyID())
			}
			if id == s.box.KeyID() {
				return nil
			}
		}
		if err := s.reseal(ctx, tx); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM master_keys`); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO master_keys (id, probe, created_at) VALUES ($1, $2, $3)`,
			s.box.KeyID(), s.box.Seal(probeText), millis(s.now()))
		return err
	})
}

// reseal rewrites every secret not sealed under the current key: plain
// values (from before sealing) and values sealed under a previous key.
// It works in pages, since the deliveries table may be large.
func (s *Store) reseal(ctx context.Context, tx *sql.Tx) error {
	notCurrent := "sealed1." + s.box.KeyID() + ".%"
	for _, c := range sealedColumns {
		q := fmt.Sprintf(`SELECT %s, %s FROM %s WHERE %s AND %s NOT LIKE $1 LIMIT 500`, c.key, c.column, c.table, c.where, c.column)
		upd := fmt.Sprintf(`UPDATE %s SET %s = $1 WHERE %s = $2`, c.table, c.column, c.key)
		for {
			type row struct {
				key   any
				value string
			}
			var page []row
			rows, err := tx.QueryContext(ctx, q, notCurrent)
			if err != nil {
				return fmt.Errorf("store: sealing %s.%s: %w", c.table, c.column, err)
			}
			for rows.Next() {
				var r row
				if err := rows.Scan(&r.key, &r.value); err != nil {
					rows.Close()
					return err
				}
				page = append(page, r)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			if len(page) == 0 {
				break
			}
			for _, r := range page {
				plain := r.value
				if _, sealed := seal.SealedKeyID(r.value); sealed {
					if plain, err = s.box.Open(r.value); err != nil {
						return fmt.Errorf("%w: %s.%s of %v: %v", ErrWrongMasterKey, c.table, c.column, r.key, err)
					}
				}
				if _, err := tx.ExecContext(ctx, upd, s.box.Seal(plain), r.key); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
