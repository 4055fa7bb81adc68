package store

import (
	"context"
	"database/sql"
	"errors"
)

// maxBatch bounds how many events share one SQLite transaction.
const maxBatch = 128

// batcher commits concurrent event inserts together (group commit). SQLite
// has one writer, and most of an insert's cost is the commit writing its
// pages to the WAL; events queued while a commit runs share the next one.
// Each caller still returns only after its own event is committed.
type batcher struct {
	s       *Store
	reqs    chan batchReq
	done    chan struct{} // closed by close
	stopped chan struct{} // closed when run returns
}

type batchReq struct {
	ins   *eventInsert
	reply chan batchReply
}

type batchReply struct {
	created bool
	err     error
}

func newBatcher(s *Store) *batcher {
	b := &batcher{s: s, reqs: make(chan batchReq), done: make(chan struct{}), stopped: make(chan struct{})}
	go b.run()
	return b
}

var errClosed = errors.New("store: closed")

// do queues ins and waits for its commit. If ctx ends first the insert may
// still commit: the caller cannot know, and retries with its idempotency
// key are safe.
func (b *batcher) do(ctx context.Context, ins *eventInsert) (bool, error) {
	r := batchReq{ins: ins, reply: make(chan batchReply, 1)}
	select {
	case b.reqs <- r:
	case <-b.done:
		return false, errClosed
	case <-ctx.Done():
		return false, ctx.Err()
	}
	select {
	case rep := <-r.reply:
		return rep.created, rep.err
	case <-ctx.Done():
		return false, ctx.Err()
	}
}

// close stops taking inserts and waits for the commit in progress.
func (b *batcher) close() {
	close(b.done)
	<-b.stopped
}

func (b *batcher) run() {
	defer close(b.stopped)
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

// commit writes the batch in one transaction. If that fails, each insert
// is retried alone, so one bad insert fails only its own caller.
func (b *batcher) commit(batch []batchReq) {
	ctx := context.Background() // a batch outlives any one caller's request
	created := make([]bool, len(batch))
	err := b.s.Transact(ctx, func(tx *sql.Tx) error {
		for i, r := range batch {
			c, err := r.ins.exec(ctx, tx)
			if err != nil {
				return err
			}
			created[i] = c
		}
		return nil
	})
	if err == nil {
		for i, r := range batch {
			r.reply <- batchReply{created: created[i]}
		}
		return
	}
	for _, r := range batch {
		var c bool
		err := b.s.Transact(ctx, func(tx *sql.Tx) (err error) {
			c, err = r.ins.exec(ctx, tx)
			return err
		})
		r.reply <- batchReply{created: c, err: err}
	}
}
