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

// footerRender is a rendered footer. A recipient's footer is the same on
// every email of the same event type for the same account (their own
// unsubscribe link, or the settings), so it is kept too.
type footerRender struct {
	once       sync.Once
	err        error
	text, html string
}

// renderCacheSize bounds each cache: it keeps between renderCacheSize and
// twice that many entries. A worker holds at most a few hundred
// deliveries at once, and an event's copies are claimed together, so
// this is ample; a miss only costs rendering again.
const renderCacheSize = 128

// renderCache keeps recent renders, keyed by everything they are made of
// (for an event's shared part, the event key, the account name and the
// payload; for a footer, its text and link), so a key can never give
// another email's part. Two generations: when the current one fills, it
// becomes the previous one and the oldest is dropped.
type renderCache[V any] struct {
	mu        sync.Mutex
	cur, prev map[string]*V
}

// get returns the entry for key, new (zero) if the cache has none.
func (c *renderCache[V]) get(key string) *V {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.cur[key]; ok {
		return e
	}
	e, ok := c.prev[key]
	if !ok {
		e = new(V)
	}
	if len(c.cur) >= renderCacheSize || c.cur == nil {
		c.prev, c.cur = c.cur, make(map[string]*V, renderCacheSize)
	}
	c.cur[key] = e
	return e
}

// sharedKey is the key of an event's shared render.
func sharedKey(k herald.EventKey, accountName string, payload []byte) string {
	return string(k) + "\x00" + accountName + "\x00" + string(payload)
}

// footerKey is the key of a rendered footer.
func footerKey(f frame) string {
	return f.Lang + "\x00" + f.Footer + "\x00" + f.FooterLinkText + "\x00" + f.FooterLink
}
