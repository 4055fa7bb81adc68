package store

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// notifyChannel is the PostgreSQL channel ingest and redelivery notify, so
// idle workers of every process sharing the database wake at once.
const notifyChannel = "herald_deliveries"

// wakeups fans "deliveries may be due" out to subscribers. Signals
// coalesce: a subscriber that has not yet read one gets no second.
type wakeups struct {
	mu     sync.Mutex
	subs   []chan struct{}
	listen sync.Once
}

// Wakeups returns a channel that receives whenever deliveries may have
// become due: after an ingest or a redelivery in this process and, on
// PostgreSQL, in any process (LISTEN/NOTIFY). Workers still poll now and
// then, for retries and expired leases, which nobody announces.
func (s *Store) Wakeups() <-chan struct{} {
	ch := make(chan struct{}, 1)
	s.wake.mu.Lock()
	s.wake.subs = append(s.wake.subs, ch)
	s.wake.mu.Unlock()
	if s.dialect == Postgres {
		s.wake.listen.Do(func() { go s.listenPostgres() })
	}
	return ch
}

// notify wakes this process's subscribers.
func (s *Store) notify(context.Context) {
	s.wake.mu.Lock()
	defer s.wake.mu.Unlock()
	for _, ch := range s.wake.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// listenPostgres holds a connection of its own on LISTEN until the store
// closes, reconnecting with backoff; after each (re)connect it wakes the
// subscribers, since notifications sent meanwhile were lost.
func (s *Store) listenPostgres() {
	ctx := s.life
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		conn, err := pgx.Connect(ctx, s.url)
		if err == nil {
			_, err = conn.Exec(ctx, "LISTEN "+notifyChannel)
		}
		if err == nil {
			backoff = 100 * time.Millisecond
			s.notify(ctx)
			for {
				if _, err = conn.WaitForNotification(ctx); err != nil {
					break
				}
				s.notify(ctx)
			}
		}
		if conn != nil {
			conn.Close(context.Background())
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 30*time.Second)
	}
}
