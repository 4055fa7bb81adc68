package store

import (
	"context"
	"database/sql"
	"time"

	"herald"
)

// Prune deletes up to limit events accepted before cutoff whose deliveries
// are all complete and were completed before cutoff, with their
// deliveries, attempts and outbox messages (foreign keys cascade). An event
// with a pending delivery is never pruned. It returns how many events it
// deleted; callers repeat while that equals limit, so each transaction
// stays small and never holds the writer for long.
func (s *Store) Prune(ctx context.Context, cutoff time.Time, limit int) (int, error) {
	var n int64
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, pruneEvents, herald.IDBefore("evt_", cutoff), millis(cutoff), limit)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		// n is not ours to read: a cancelled caller returns while the
		// batcher may still be running the write.
		return 0, wrap("prune", err)
	}
	return int(n), nil
}

// pruneEvents deletes a batch of old events ($1 the least event id of the
// cutoff's millisecond, $2 the cutoff, $3 limit): an event's id starts
// with the time it was accepted (herald.NewID), so the events accepted
// before the cutoff are the ids below $1, read from the oldest in the
// primary key's order; deliveries_event is read per event.
const pruneEvents = `DELETE FROM events WHERE id IN (
	SELECT e.id FROM events e WHERE e.id < $1 AND NOT EXISTS (
		SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND (d.status = 'pending' OR d.completed_at >= $2))
	ORDER BY e.id LIMIT $3)`
