package dispatch

import (
	"context"
	"sync/atomic"
	"time"
)

// Heartbeats make recovery after a crash take seconds, not a lease. Every
// Heartbeat the worker records that it is alive; and it releases the
// leases of every worker silent for DeadAfter (killed, or its machine
// gone), making their deliveries due at once. A restarted process thus
// resumes its predecessor's deliveries about DeadAfter after the kill,
// however long the lease.
//
// While two workers are both alive neither releases the other's leases, so
// none of their deliveries is sent twice. A worker whose own heartbeat
// has not been recorded for DeadAfter/2 (its database unreachable, say)
// stops claiming until it is again: others may soon presume it dead. And a
// worker takes others over only once its own heartbeats have been
// recorded without a break for DeadAfter: after a database outage every
// worker's heartbeat is old, and the first back must not take over the
// others, which are about to beat again. The lease still bounds
// everything if heartbeats cannot be written at all.

// beats are the times (Unix nanoseconds) of the worker's last recorded
// heartbeat and of the first of its current unbroken run; 0 for none.
type beats struct{ last, since atomic.Int64 }

// startHeartbeats records the first heartbeat and keeps beating, and
// taking over dead workers' leases, until the returned stop is called;
// stop then releases the leases this worker still holds and forgets it.
// Heartbeats go on after ctx ends, while deliveries in flight finish.
func (w *Worker) startHeartbeats(ctx context.Context) (stop func()) {
	w.heartbeat()
	quit, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(w.cfg.Heartbeat)
		defer tick.Stop()
		for {
			select {
			case <-quit:
				return
			case <-tick.C:
				w.heartbeat()
				w.takeOver()
			}
		}
	}()
	return func() {
		close(quit)
		<-stopped
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if n, err := w.cfg.Store.Unregister(ctx, w.cfg.Owner, w.cfg.Now()); err != nil {
			w.cfg.Logger.Warn("releasing this worker's leases failed; they return when they expire", "err", err)
		} else if n > 0 {
			w.cfg.Logger.Info("released deliveries this worker could not record", "count", n)
		}
	}
}

func (w *Worker) heartbeat() {
	ctx, cancel := context.WithTimeout(context.Background(), w.cfg.DeadAfter/2)
	defer cancel()
	now := w.cfg.Now()
	fresh, err := w.cfg.Store.Heartbeat(ctx, w.cfg.Owner, now)
	if err != nil {
		if w.beat.since.Swap(0) != 0 || w.beat.last.Load() == 0 { // once per outage
			w.cfg.Logger.Warn("recording the worker's heartbeat failed; not claiming until it works", "err", err)
		}
		return
	}
	w.beat.since.CompareAndSwap(0, now.UnixNano())
	if fresh && w.beat.last.Load() != 0 {
		w.cfg.Logger.Warn("this worker was presumed dead and its leases released; deliveries it had in flight may be sent twice",
			"silent", now.Sub(time.Unix(0, w.beat.last.Load())))
	}
	w.beat.last.Store(now.UnixNano())
}

func (w *Worker) takeOver() {
	now := w.cfg.Now()
	if since := w.beat.since.Load(); since == 0 || now.Sub(time.Unix(0, since)) < w.cfg.DeadAfter {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), w.cfg.DeadAfter)
	defer cancel()
	n, err := w.cfg.Store.TakeOver(ctx, now.Add(-w.cfg.DeadAfter), now)
	switch {
	case err != nil:
		w.cfg.Logger.Debug("taking over dead workers' deliveries failed", "err", err)
	case n > 0:
		w.cfg.Logger.Info("took over the deliveries of a worker that stopped beating", "count", n)
	}
}

// alive reports whether the worker's heartbeat is recent enough for it to
// claim: others presume it dead only after DeadAfter.
func (w *Worker) alive(now time.Time) bool {
	last := w.beat.last.Load()
	return last != 0 && now.Sub(time.Unix(0, last)) < w.cfg.DeadAfter/2
}
