package store

import (
	"context"
	"database/sql"
	"errors"
	"sync"
)

// Ingest reads an account's recipients (account, settings, whether its
// webhook is disabled) for every event: on PostgreSQL a round trip and a
// statement per event, a fifth of herald's CPU in heraldbench. Several
// processes may share the database, so a copy kept here may be stale
// without this process knowing (SQLite's cache, recipients_cache.go, is
// told of every change by the one process that writes). CachedRecipients
// serves the copy, and the write checks it in the statement that inserts
// the event: the account's row version (xmin, new at every UPDATE) and its
// webhook's disabled_at must still be what the copy was read with. If not, nothing
// is written, the copy is dropped, and InsertEventFor answers
// ErrRecipientsChanged: the caller reads the recipients again, plans
// again, and retries. An event is so always planned from recipients no
// older than its own commit's snapshot, as when they were read for it.

// recipientsVersion is what a PostgreSQL read of Recipients saw.
type recipientsVersion struct {
	xmin       string        // the accounts row's version
	disabledAt sql.NullInt64 // webhook_health.disabled_at
}

// ErrRecipientsChanged says the recipients an event was planned with
// changed before it was written; nothing was written.
var ErrRecipientsChanged = errors.New("store: the account's recipients changed while the event was planned")

// maxCachedRecipients bounds the copies kept; past it the cache starts
// over.
const maxCachedRecipients = 4096

type pgRecipientsCache struct {
	mu sync.Mutex
	m  map[int64]Recipients
}

// put keeps r (PostgreSQL reads only: SQLite's carry no version).
func (c *pgRecipientsCache) put(r Recipients) {
	if r.version == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCachedRecipients {
		c.m = make(map[int64]Recipients)
	}
	c.m[r.Account.ID] = r
}

func (c *pgRecipientsCache) get(id int64) (Recipients, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.m[id]
	return r, ok
}

func (c *pgRecipientsCache) drop(id int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, id)
}

// CachedRecipients is Recipients, served on PostgreSQL from the copy the
// last read kept (on SQLite, Recipients keeps its own): write events
// planned from it with InsertEventFor, which checks it is still current.
// Its maps and slices are shared: do not modify them.
func (s *Store) CachedRecipients(ctx context.Context, accountID int64) (Recipients, error) {
	if r, ok := s.pgRecipients.get(accountID); ok {
		return r, nil
	}
	return s.Recipients(ctx, accountID)
}

// checkRecipients is the single-event form of insertEventsPG's check, for
// the transaction path (batch.go): ErrRecipientsChanged when v no longer
// holds.
func checkRecipients(ctx context.Context, tx *sql.Tx, accountID int64, v *recipientsVersion) error {
	var ok bool
	err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT FROM accounts a`+webhookHealthJoin+`
		WHERE a.id = $1 AND a.xmin::text = $2 AND h.disabled_at IS NOT DISTINCT FROM $3)`, accountID, v.xmin, v.disabledAt).Scan(&ok)
	if err == nil && !ok {
		err = ErrRecipientsChanged
	}
	return err
}
