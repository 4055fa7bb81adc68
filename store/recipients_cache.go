package store

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// recipientsCache keeps what ingest reads of an account (Recipients: the
// account, its contact, settings and whether its webhook is disabled)
// between changes, so an ingest call needs no read of its own: the read
// and the parsing of the settings were a tenth of Herald's CPU per
// webhook-only event on SQLite.
//
// Every commit that may change an account's recipients bumps gen after
// it: each write through Transact (accounts, settings, contacts,
// unsubscribing, enabling a webhook, secrets), and a batched write that
// disables a webhook (accountsChanged). An entry read before a bump is
// never used after it, so a call that starts after a change returned sees
// the change. Writes by another process on the same database are not
// seen that way: entries also expire after recipientsMaxAge. That is why
// the cache serves SQLite only, where one process is the norm; on
// PostgreSQL, where several processes share a database, every call of
// Recipients reads, and ingest keeps copies it checks when it writes
// (CachedRecipients, pgrecipients.go).
type recipientsCache struct {
	gen atomic.Uint64
	mu  sync.Mutex
	m   map[int64]cachedRecipients
}

type cachedRecipients struct {
	r   Recipients
	gen uint64
	at  time.Time
}

const (
	recipientsMaxAge  = time.Second
	recipientsMaxKept = 10_000 // accounts; beyond, the cache starts over
)

// changed marks every entry stale. Call it after the commit.
func (c *recipientsCache) changed() { c.gen.Add(1) }

func (c *recipientsCache) get(id int64) (Recipients, uint64, bool) {
	gen := c.gen.Load()
	c.mu.Lock()
	e, ok := c.m[id]
	c.mu.Unlock()
	if !ok || e.gen != gen || time.Since(e.at) > recipientsMaxAge {
		return Recipients{}, gen, false
	}
	return e.r, gen, true
}

// put keeps r, read after gen was loaded.
func (c *recipientsCache) put(id int64, r Recipients, gen uint64, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= recipientsMaxKept {
		c.m = make(map[int64]cachedRecipients)
	}
	c.m[id] = cachedRecipients{r: r, gen: gen, at: at}
}

// A batched write that changes an account's recipients says so with
// accountsChanged; the batch bumps the cache once its commit is done.
type accountsChangedKey struct{}

func accountsChanged(ctx context.Context) {
	if f, ok := ctx.Value(accountsChangedKey{}).(*atomic.Bool); ok {
		f.Store(true)
	}
}
