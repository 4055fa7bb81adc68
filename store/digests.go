package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"herald"
)

// Digests (email_digest_minutes). The first email of an event type goes at
// once and opens a window for the account; while it is open, that event
// type's emails are held, and when it ends each recipient gets one digest
// of them. Held emails stay ordinary deliveries of their events (the log
// shows each), so they are as durable as any: the first held for a
// recipient in a window carries the digest (digest_id is its own id, due
// when the window ends, claimed, leased and retried like any email); the
// others name it in digest_id, are never due by themselves, and are
// completed with it.

// heldForDigest is the next_attempt_at of a held email that is not its
// digest's carrier: never due (9999-12-31T23:59:59.999Z).
const heldForDigest int64 = 253402300799999

// digestHold is an event's emails that may wait for a digest.
type digestHold struct {
	accountID int64
	key       herald.EventKey
	window    time.Duration
	now       time.Time
	emails    []*herald.Delivery // the planned deliveries, updated in place
	lock      string             // " FOR UPDATE" on PostgreSQL
}

// newDigestHold returns the emails of ds that have a digest window, or nil.
func (s *Store) newDigestHold(ds []herald.Delivery) *digestHold {
	var h *digestHold
	for i := range ds {
		d := &ds[i]
		if d.Channel != herald.ChannelEmail || d.DigestWindow <= 0 || d.IsTest {
			continue
		}
		if h == nil {
			h = &digestHold{accountID: d.AccountID, key: d.EventKey, window: d.DigestWindow, now: d.CreatedAt}
			if s.dialect == Postgres {
				h.lock = " FOR UPDATE"
			}
		}
		h.emails = append(h.emails, d)
	}
	return h
}

// apply runs in the event's transaction, after its deliveries are
// inserted: outside a window the emails go now and open one; inside, each
// joins its recipient's digest of the window, or starts it.
func (h *digestHold) apply(ctx context.Context, tx *sql.Tx) error {
	// The row exists before it is read, so that on PostgreSQL concurrent
	// events of the type lock it and take turns.
	if _, err := tx.ExecContext(ctx, `INSERT INTO digest_windows (account_id, event_key, started_at, ends_at)
		VALUES ($1, $2, 0, 0) ON CONFLICT DO NOTHING`, h.accountID, string(h.key)); err != nil {
		return err
	}
	var started, ends int64
	if err := tx.QueryRowContext(ctx, `SELECT started_at, ends_at FROM digest_windows WHERE account_id = $1 AND event_key = $2`+h.lock,
		h.accountID, string(h.key)).Scan(&started, &ends); err != nil {
		return err
	}
	now := millis(h.now)
	if now >= ends {
		for _, d := range h.emails {
			d.DigestID, d.NextAttemptAt = "", time.Time{}
		}
		_, err := tx.ExecContext(ctx, `UPDATE digest_windows SET started_at = $1, ends_at = $2 WHERE account_id = $3 AND event_key = $4`,
			now, millis(h.now.Add(h.window)), h.accountID, string(h.key))
		return err
	}
	for _, d := range h.emails {
		// The recipient's carrier of this window (next_attempt_at = ends
		// names the window; the created_at bound only narrows the scan,
		// loosely, since processes' clocks may differ a little), if no
		// worker has taken it yet: once claimed, its digest is being
		// written, and this email starts a digest of its own (due at once:
		// the window has ended by then).
		var carrier string
		err := tx.QueryRowContext(ctx, `SELECT id FROM deliveries WHERE account_id = $1 AND created_at >= $2 AND event_key = $3
			AND digest_id = id AND lower(target) = lower($4) AND status = 'pending' AND attempts = 0 AND lease_owner = ''
			AND next_attempt_at = $5 LIMIT 1`+h.lock, h.accountID, started-(ends-started), string(h.key), d.Target, ends).Scan(&carrier)
		due := heldForDigest
		switch {
		case errors.Is(err, sql.ErrNoRows):
			carrier, due = d.ID, ends
		case err != nil:
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET digest_id = $1, next_attempt_at = $2 WHERE id = $3`, carrier, due, d.ID); err != nil {
			return err
		}
		d.DigestID, d.NextAttemptAt = carrier, fromMillis(due)
	}
	return nil
}

// DigestItem is one event a digest lists.
type DigestItem struct {
	DeliveryID string
	EventID    string
	Payload    []byte
	CreatedAt  time.Time
}

// DigestItems returns the events of the digest that carrier carries, the
// carrier's own first, in the order they were accepted.
func (s *Store) DigestItems(ctx context.Context, carrier string) ([]DigestItem, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT d.id, d.event_id, e.payload, e.created_at FROM deliveries d JOIN events e ON e.id = d.event_id
		WHERE d.digest_id = $1 ORDER BY e.created_at, d.id`, carrier)
	if err != nil {
		return nil, wrap("digest items", err)
	}
	defer rows.Close()
	var items []DigestItem
	for rows.Next() {
		var it DigestItem
		var payload string
		var created int64
		if err := rows.Scan(&it.DeliveryID, &it.EventID, &payload, &created); err != nil {
			return nil, wrap("digest items", err)
		}
		it.Payload, it.CreatedAt = []byte(payload), fromMillis(created)
		items = append(items, it)
	}
	return items, wrap("digest items", rows.Err())
}

// completeMembers gives the emails a digest holds the outcome of the one
// that carried it, each with its own copy of the attempt, once that
// outcome is final and the carrier's update took (the lease was still this
// worker's). The digest's membership is fixed once its carrier is claimed
// (emails join only unclaimed carriers), so it is read here.
func completeMembers(ctx context.Context, tx *sql.Tx, ins *sql.Stmt, carrierUpdate sql.Result, o Outcome) error {
	if !o.Digest || o.Status == herald.StatusPending {
		return nil
	}
	if n, err := carrierUpdate.RowsAffected(); err != nil || n == 0 {
		return err
	}
	rows, err := tx.QueryContext(ctx, `SELECT id FROM deliveries WHERE digest_id = $1 AND id <> $1`, o.DeliveryID)
	if err != nil {
		return err
	}
	var members []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		members = append(members, id)
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return err
	}
	for _, id := range members {
		a := o.Attempt
		a.ID, a.DeliveryID = herald.NewID("att_", a.StartedAt), id
		if err := insertAttempt(ctx, ins, a); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE deliveries SET status = $1, attempts = attempts + 1, error = $2, latency_ms = $3,
			completed_at = $4, next_attempt_at = 0 WHERE id = $5`,
			string(o.Status), textSafe(o.Attempt.Error), o.Attempt.Latency.Milliseconds(), millis(o.Attempt.CompletedAt), id)
		if err != nil {
			return err
		}
	}
	return nil
}
