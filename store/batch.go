package store

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"sync/atomic"
)

// maxBatch bounds how many writes share one transaction.
const maxBatch = 128

// batcher commits concurrent writes together (group commit). Most of a
// small write's cost is the commit syncing the log to disk; writes queued
// while a commit runs share the next one. SQLite has one writer, so one
// committer; PostgreSQL takes several transactions at once, so a few
// committers run side by side (measured with heraldbench on durable
// PostgreSQL: one commit per ingest call had capped ingest near 780
// events/s). Each caller still returns only after its own write is
// committed.
type batcher struct {
	s       *Store
	commit  func(batch []batchReq) // commitTx, or Store.commitEvents
	reqs    chan batchReq
	done    chan struct{} // closed by close
	stopped chan struct{} // closed when every committer has returned
}

// A batchReq is one caller's writes. fn may run twice: once in a shared
// transaction that is rolled back, then alone. It must not keep state
// across runs except through its return value.
type batchReq struct {
	fn    func(ctx context.Context, tx *sql.Tx) error
	event *eventInsert // for Store.commitEvents, which runs fn only on failure
	reply chan error
}

// newBatcher starts committers running commit (nil: commitTx, one
// transaction per batch).
func newBatcher(s *Store, committers int, commit func(batch []batchReq)) *batcher {
	b := &batcher{s: s, commit: commit, reqs: make(chan batchReq), done: make(chan struct{}), stopped: make(chan struct{})}
	if b.commit == nil {
		b.commit = b.commitTx
	}
	var wg sync.WaitGroup
	for range committers {
		wg.Go(b.run)
	}
	go func() {
		wg.Wait()
		close(b.stopped)
	}()
	return b
}

var errClosed = errors.New("store: closed")

// do queues fn and waits for its commit. If ctx ends first the write may
// still commit: the caller cannot know, so writes must be safe to repeat
// (ingest has idempotency keys; completions are guarded by leases).
func (b *batcher) do(ctx context.Context, r batchReq) error {
	r.reply = make(chan error, 1)
	select {
	case b.reqs <- r:
	case <-b.done:
		return errClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-r.reply:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// close stops taking writes and waits for the commit in progress.
func (b *batcher) close() {
	close(b.done)
	<-b.stopped
}

func (b *batcher) run() {
	batch := make([]batchReq, 0, maxBatch)
	for {
		select {
		case r := <-b.reqs:
			batch = append(batch[:0], r)
		case <-b.done:
			return
		}
	collect:
		for len(batch) < maxBatch {
			select {
			case r := <-b.reqs:
				batch = append(batch, r)
			default:
				break collect
			}
		}
		b.commit(batch)
	}
}

// commitTx writes the batch in one transaction. If that fails, each write
// is retried alone, so one bad write fails only its own caller.
func (b *batcher) commitTx(batch []batchReq) {
	ctx := context.Background() // a batch outlives any one caller's request
	var notify notifyFlag
	if len(batch) > 1 && b.s.dialect == Postgres {
		ctx = context.WithValue(ctx, notifyKey{}, &notify)
	}
	var changed atomic.Bool
	ctx = context.WithValue(ctx, accountsChangedKey{}, &changed)
	err := b.s.transact(ctx, func(tx *sql.Tx) error {
		for _, r := range batch {
			if err := r.fn(ctx, tx); err != nil {
				return err
			}
		}
		if notify {
			_, err := tx.ExecContext(ctx, `SELECT pg_notify('`+notifyChannel+`', '')`)
			return err
		}
		return nil
	})
	if err == nil || len(batch) == 1 {
		if changed.Load() {
			b.s.recipients.changed() // before the callers return
		}
		for _, r := range batch {
			r.reply <- err
		}
		return
	}
	b.s.alone(ctx, batch)
}

// alone runs each write of a batch that failed in a transaction of its
// own, so one bad write fails only its own caller.
func (s *Store) alone(ctx context.Context, batch []batchReq) {
	changed, _ := ctx.Value(accountsChangedKey{}).(*atomic.Bool)
	for _, r := range batch {
		err := s.transact(ctx, func(tx *sql.Tx) error { return r.fn(ctx, tx) })
		if changed != nil && changed.Load() {
			s.recipients.changed()
		}
		r.reply <- err
	}
}

// write runs fn in a write transaction, batched with others.
func (s *Store) write(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	return s.batch.do(ctx, batchReq{fn: fn})
}

// On PostgreSQL each ingest wakes the workers of every process with
// pg_notify at commit. In a batch one notification serves all its events
// (PostgreSQL folds identical ones anyway), and a statement less per event
// is a round trip less: the batch asks its writes to leave it to the
// commit.
type (
	notifyKey  struct{}
	notifyFlag bool
)

// notifyAtCommit reports whether the batch running fn will notify once at
// its commit, and asks it to.
func notifyAtCommit(ctx context.Context) bool {
	f, ok := ctx.Value(notifyKey{}).(*notifyFlag)
	if ok {
		*f = true
	}
	return ok
}
