package store

import (
	"context"
	"database/sql"
	"time"
)

// Heartbeat records that the worker owner is alive at now. fresh is true
// when it had no row: its first beat, or it had been presumed dead and its
// leases released (its deliveries in flight may then be sent twice).
func (s *Store) Heartbeat(ctx context.Context, owner string, now time.Time) (fresh bool, err error) {
	err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE workers SET heartbeat_at = $1 WHERE owner = $2`, millis(now), owner)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil || n > 0 {
			fresh = false
			return err
		}
		fresh = true
		_, err = tx.ExecContext(ctx, `INSERT INTO workers (owner, heartbeat_at, started_at) VALUES ($1, $2, $2) ON CONFLICT DO NOTHING`, owner, millis(now))
		return err
	})
	return fresh, wrap("heartbeat", err)
}

// TakeOver releases the leases of every worker whose last heartbeat is
// before cutoff (it died without stopping), making their deliveries due
// at now, and forgets those workers. It returns how many deliveries it
// released, and wakes the workers when there are some.
func (s *Store) TakeOver(ctx context.Context, cutoff, now time.Time) (int, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT owner FROM workers WHERE heartbeat_at < $1`, millis(cutoff))
	if err != nil {
		return 0, wrap("take over", err)
	}
	var dead []string
	for rows.Next() {
		var o string
		if err := rows.Scan(&o); err != nil {
			rows.Close()
			return 0, wrap("take over", err)
		}
		dead = append(dead, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(dead) == 0 {
		return 0, wrap("take over", err)
	}
	released := 0
	for _, o := range dead {
		n, err := s.release(ctx, o, now, cutoff)
		if err != nil {
			return released, err
		}
		released += n
	}
	return released, nil
}

// Unregister releases the leases owner still holds and forgets it: a
// worker stopping cleanly hands back what it could not finish, due now.
func (s *Store) Unregister(ctx context.Context, owner string, now time.Time) (int, error) {
	return s.release(ctx, owner, now, time.Time{})
}

// release makes owner's leased deliveries due at now and deletes its
// worker row; with a non-zero cutoff, only if its heartbeat is still
// before cutoff (it did not come back meanwhile). Leased deliveries are
// pending with next_attempt_at at their lease's end, so the scan reads
// the due index from now on, not the whole table.
func (s *Store) release(ctx context.Context, owner string, now, cutoff time.Time) (int, error) {
	var n int64
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if !cutoff.IsZero() {
			var beat int64
			err := tx.QueryRowContext(ctx, `SELECT heartbeat_at FROM workers WHERE owner = $1`, owner).Scan(&beat)
			if err == sql.ErrNoRows || (err == nil && beat >= millis(cutoff)) {
				n = 0
				return nil // taken over already, or alive again
			}
			if err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, releaseLeases, millis(now), owner)
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM workers WHERE owner = $1`, owner); err != nil {
			return err
		}
		if n > 0 && s.dialect == Postgres {
			_, err = tx.ExecContext(ctx, `SELECT pg_notify('`+notifyChannel+`', '')`)
		}
		return err
	})
	if err != nil {
		return 0, wrap("release leases", err)
	}
	if n > 0 {
		s.notify(ctx)
	}
	return int(n), nil
}

// releaseLeases makes a worker's leased deliveries due ($1 now, $2 owner).
const releaseLeases = `UPDATE deliveries SET next_attempt_at = $1, lease_owner = '', lease_until = 0
	WHERE status = 'pending' AND next_attempt_at > $1 AND lease_owner = $2`
