package email

import (
	"sync"

	"herald"
)

// sharedRender is what every recipient of one event's notification
// shares: rendered once, by the first to need it, and kept while the
// other copies are sent.
type sharedRender struct {
	once sync.Once
	err  error

	subject, accountID string
	event, account     string // the event's name and the account's, for footers
	// The text and HTML layouts above the footer and below it.
	textTop, textBottom, htmlTop, htmlBottom string
	encoded                                  encodedTops
}

// renderCacheSize bounds the cache: it keeps between renderCacheSize and
// twice that many events. A worker holds at most a few hundred
// deliveries at once, and an event's copies are claimed together, so
// this is ample; a miss only costs rendering again.
const renderCacheSize = 128

// renderCache keeps the shared renders of recent events, keyed by what
// they are made of (the event key, the account name and the payload), so
// a key can never give another event's email. Two generations: when the
// current one fills, it becomes the previous one and the oldest is
// dropped.
type renderCache struct {
	mu        sync.Mutex
	cur, prev map[string]*sharedRender
}

// get returns the entry for an event's notification, new and not yet
// rendered if the cache has none.
func (c *renderCache) get(k herald.EventKey, accountName string, payload []byte) *sharedRender {
	key := string(k) + "\x00" + accountName + "\x00" + string(payload)
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.cur[key]; ok {
		return e
	}
	e, ok := c.prev[key]
	if !ok {
		e = &sharedRender{}
	}
	if len(c.cur) >= renderCacheSize || c.cur == nil {
		c.prev, c.cur = c.cur, make(map[string]*sharedRender, renderCacheSize)
	}
	c.cur[key] = e
	return e
}
