package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"herald"
)

// Unsubscription is what an unsubscribe token stands for: one address,
// one event, one account; UnsubscribedAt is when the link last removed
// the address (zero if never).
type Unsubscription struct {
	AccountID      int64
	EventKey       herald.EventKey
	Email          string
	CreatedAt      time.Time
	UnsubscribedAt time.Time
}

// unsubscribeTokens caches the secret tokens are derived from, and which
// token hashes are known to be stored, so a worker writes each token once.
type unsubscribeTokens struct {
	mu     sync.Mutex
	secret []byte
	known  map[string]bool
}

// maxKnownTokens bounds the cache of stored token hashes; past it the
// cache starts again (a token stored twice is a no-op, not an error).
const maxKnownTokens = 100_000

// UnsubscribeToken returns the unsubscribe token of address for the
// account's event, storing its hash first if it is new: a link is usable
// before any email carries it. The same inputs give the same token.
func (s *Store) UnsubscribeToken(ctx context.Context, accountID int64, key herald.EventKey, address string) (string, error) {
	secret, err := s.unsubscribeSecret(ctx)
	if err != nil {
		return "", err
	}
	msg := strconv.FormatInt(accountID, 10) + "\x00" + string(key) + "\x00" + strings.ToLower(address)
	token := herald.DeriveToken(herald.UnsubscribeTokenPrefix, secret, msg)
	hash := herald.HashToken(token)

	s.unsub.mu.Lock()
	known := s.unsub.known[hash]
	s.unsub.mu.Unlock()
	if known {
		return token, nil
	}
	err = s.Transact(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO unsubscribe_tokens (hash, account_id, event_key, email, created_at)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (hash) DO NOTHING`, hash, accountID, string(key), address, millis(s.now()))
		return err
	})
	if err != nil {
		return "", wrap("unsubscribe token", err)
	}
	s.unsub.mu.Lock()
	if len(s.unsub.known) >= maxKnownTokens {
		s.unsub.known = nil
	}
	if s.unsub.known == nil {
		s.unsub.known = map[string]bool{}
	}
	s.unsub.known[hash] = true
	s.unsub.mu.Unlock()
	return token, nil
}

// unsubscribeSecret reads the secret, making it on first use; two
// processes racing to make it agree on the one that was stored.
func (s *Store) unsubscribeSecret(ctx context.Context) ([]byte, error) {
	s.unsub.mu.Lock()
	defer s.unsub.mu.Unlock()
	if s.unsub.secret != nil {
		return s.unsub.secret, nil
	}
	var b [32]byte
	rand.Read(b[:])
	var stored string
	err := s.Transact(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO unsubscribe_secret (id, secret, created_at) VALUES (1, $1, $2)
			ON CONFLICT (id) DO NOTHING`, s.seal(hex.EncodeToString(b[:])), millis(s.now())); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT secret FROM unsubscribe_secret WHERE id = 1`).Scan(&stored)
	})
	if err != nil {
		return nil, wrap("unsubscribe secret", err)
	}
	// Sealed like every secret at rest (secrets.go).
	if stored, err = s.open(stored); err != nil {
		return nil, fmt.Errorf("store: unsubscribe secret: %w", err)
	}
	secret, err := hex.DecodeString(stored)
	if err != nil || len(secret) < 16 {
		return nil, errors.New("store: unsubscribe secret is corrupt")
	}
	s.unsub.secret = secret
	return secret, nil
}

const unsubscriptionColumns = `account_id, event_key, email, created_at, unsubscribed_at`

func scanUnsubscription(row interface{ Scan(...any) error }) (Unsubscription, error) {
	var u Unsubscription
	var key string
	var created int64
	var unsubscribed sql.NullInt64
	if err := row.Scan(&u.AccountID, &key, &u.Email, &created, &unsubscribed); err != nil {
		return u, err
	}
	u.EventKey, u.CreatedAt = herald.EventKey(key), fromMillis(created)
	if unsubscribed.Valid {
		u.UnsubscribedAt = fromMillis(unsubscribed.Int64)
	}
	return u, nil
}

// Unsubscription returns what token unsubscribes, or herald.ErrNotFound.
func (s *Store) Unsubscription(ctx context.Context, token string) (Unsubscription, error) {
	u, err := scanUnsubscription(s.r.QueryRowContext(ctx, `SELECT `+unsubscriptionColumns+` FROM unsubscribe_tokens WHERE hash = $1`,
		herald.HashToken(token)))
	if errors.Is(err, sql.ErrNoRows) {
		return u, herald.ErrNotFound
	}
	return u, wrap("unsubscription", err)
}

// Unsubscribe removes the token's address from the subscribers of the
// token's event for the token's account, and nothing else: the other
// events, subscribers and settings stay as they are. It reports whether
// the address was there to remove; an unknown token is herald.ErrNotFound.
func (s *Store) Unsubscribe(ctx context.Context, token string, now time.Time) (u Unsubscription, removed bool, err error) {
	lock := ""
	if s.dialect == Postgres {
		lock = " FOR UPDATE" // a settings save in between would be lost
	}
	err = s.Transact(ctx, func(tx *sql.Tx) error {
		hash := herald.HashToken(token)
		u, err = scanUnsubscription(tx.QueryRowContext(ctx, `SELECT `+unsubscriptionColumns+` FROM unsubscribe_tokens WHERE hash = $1`, hash))
		if errors.Is(err, sql.ErrNoRows) {
			return herald.ErrNotFound
		}
		if err != nil {
			return err
		}
		var events string
		if err := tx.QueryRowContext(ctx, `SELECT event_settings FROM accounts WHERE id = $1`+lock, u.AccountID).Scan(&events); err != nil {
			return err
		}
		edited, ok, err := removeSubscriber(events, u.EventKey, u.Email)
		if err != nil || !ok {
			return err
		}
		removed = true
		if _, err := tx.ExecContext(ctx, `UPDATE accounts SET event_settings = $1, updated_at = $2 WHERE id = $3`,
			edited, millis(now), u.AccountID); err != nil {
			return err
		}
		u.UnsubscribedAt = now
		_, err = tx.ExecContext(ctx, `UPDATE unsubscribe_tokens SET unsubscribed_at = $1 WHERE hash = $2`, millis(now), hash)
		return err
	})
	if errors.Is(err, herald.ErrNotFound) {
		return u, false, err
	}
	return u, removed, wrap("unsubscribe", err)
}

// removeSubscriber takes address (in any case) out of the stored event
// settings document's subscribers of key. It edits the JSON generically,
// so every other field, of this event or any other, is kept as stored.
func removeSubscriber(doc string, key herald.EventKey, address string) (string, bool, error) {
	var events map[string]map[string]json.RawMessage
	if err := json.Unmarshal([]byte(doc), &events); err != nil {
		return "", false, fmt.Errorf("stored event settings are corrupt: %w", err)
	}
	ev, ok := events[string(key)]
	if !ok {
		return doc, false, nil
	}
	var subs []string
	if raw, ok := ev["email_subscribers"]; ok {
		if err := json.Unmarshal(raw, &subs); err != nil {
			return "", false, fmt.Errorf("stored subscribers are corrupt: %w", err)
		}
	}
	kept := make([]string, 0, len(subs))
	for _, a := range subs {
		if !strings.EqualFold(a, address) {
			kept = append(kept, a)
		}
	}
	if len(kept) == len(subs) {
		return doc, false, nil
	}
	raw, err := json.Marshal(kept)
	if err != nil {
		return "", false, err
	}
	ev["email_subscribers"] = raw
	out, err := json.Marshal(events)
	return string(out), true, err
}

// Unsubscriptions lists the account's subscribers who unsubscribed, most
// recent first.
func (s *Store) Unsubscriptions(ctx context.Context, accountID int64) ([]Unsubscription, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+unsubscriptionColumns+` FROM unsubscribe_tokens
		WHERE account_id = $1 AND unsubscribed_at IS NOT NULL ORDER BY unsubscribed_at DESC, email LIMIT 200`, accountID)
	if err != nil {
		return nil, wrap("unsubscriptions", err)
	}
	defer rows.Close()
	var out []Unsubscription
	for rows.Next() {
		u, err := scanUnsubscription(rows)
		if err != nil {
			return nil, wrap("unsubscriptions", err)
		}
		out = append(out, u)
	}
	return out, wrap("unsubscriptions", rows.Err())
}
