package store

import (
	"context"
	"database/sql"
)

// On PostgreSQL every statement is a round trip, and every commit a flush
// of the WAL to disk. commitEvents writes a group of concurrent ingests
// (their events, their deliveries, and the notification that wakes the
// workers of every process) in one statement, whose implicit transaction
// PostgreSQL commits, durably, before it answers: one round trip and one
// commit for the group, where a transaction of batch.go took two
// statements per event plus begin, notify and commit. An event whose
// idempotency key is taken (by an earlier event or one earlier in the
// group) is skipped with its deliveries, as alone; so is an event planned
// from recipients that changed since (pgrecipients.go). Events that may hold
// emails for a digest take batch.go's path, which runs the digest's reads.
// The notification goes only when an event left deliveries for the claim:
// those handed over to a worker (handoff.go) need no claim, here or in
// another process.
const insertEventsPG = `WITH v AS (SELECT u.*, (u.version IS NULL OR EXISTS (SELECT FROM accounts a` + webhookHealthJoin + `
		WHERE a.id = u.account_id AND a.xmin::text = u.version AND h.disabled_at IS NOT DISTINCT FROM u.disabled_at)) AS current
	FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[], $8::bigint[], $24::text[], $25::bigint[],
		$28::bool[])
		AS u(id, account_id, event_key, idempotency_key, fingerprint, occurred_at, payload, created_at, version, disabled_at, claimable)),
e AS (` + insertEventSQL + `
	SELECT id, account_id, event_key, idempotency_key, fingerprint, occurred_at, payload, created_at FROM v WHERE current
	ON CONFLICT DO NOTHING RETURNING id),
d AS (` + insertDeliveriesSQL + `
	SELECT * FROM unnest($9::text[], $10::text[], $11::int[], $12::bigint[], $13::text[], $14::text[], $15::text[], $16::text[],
		$17::int[], $18::text[], $19::int[], $20::bigint[], $21::bigint[], $22::text[], $23::bigint[], $26::text[], $27::bigint[])
		AS u(id, event_id, seq, account_id, event_key, channel, target, host, is_test, status, attempts, next_attempt_at, created_at, error, completed_at,
			lease_owner, lease_until)
	WHERE u.event_id IN (SELECT id FROM e))
SELECT id, true FROM e
UNION ALL SELECT id, false FROM v WHERE NOT current
UNION ALL SELECT NULL, NULL FROM pg_notify('` + notifyChannel + `', '') WHERE EXISTS (SELECT FROM e JOIN v USING (id) WHERE v.claimable)`

// commitEvents is the events batcher's commit (PostgreSQL). If the group's
// statement fails, each ingest is tried again alone, so one bad event fails
// only its own caller.
func (s *Store) commitEvents(batch []batchReq) {
	ctx := context.Background() // a batch outlives any one caller's request
	written, err := s.insertEvents(ctx, batch)
	if err != nil && len(batch) > 1 {
		s.alone(ctx, batch)
		return
	}
	for _, r := range batch {
		if err != nil {
			r.reply <- err
			continue
		}
		created, ok := written[r.event.ev.ID]
		if ok && !created {
			r.reply <- ErrRecipientsChanged
			continue
		}
		r.event.created = created
		r.reply <- nil
	}
}

// insertEvents runs insertEventsPG for the batch and returns the events it
// created (true) and those it did not write because their recipients
// changed (false).
func (s *Store) insertEvents(ctx context.Context, batch []batchReq) (map[string]bool, error) {
	st, err := s.writeStmt(ctx, insertEventsPG)
	if err != nil {
		return nil, err
	}
	var (
		ids, keys, fps, payloads []string
		accounts, occurred, at   []int64
		idem, versions           []*string
		disabled                 []*int64
		claimable                []bool
		d                        struct {
			id, event, key, channel, target, host, status, errors, owner []string
			seq, test, attempts                                          []int32
			account, next, created, until                                []int64
			completed                                                    []*int64
		}
	)
	for _, r := range batch {
		ev := r.event.ev
		ids = append(ids, ev.ID)
		accounts = append(accounts, ev.AccountID)
		keys = append(keys, string(ev.Key))
		var key *string
		if ev.IdempotencyKey != "" {
			key = &ev.IdempotencyKey
		}
		idem = append(idem, key)
		fps = append(fps, ev.Fingerprint)
		occurred = append(occurred, millis(ev.OccurredAt))
		payloads = append(payloads, string(ev.Payload))
		at = append(at, millis(ev.CreatedAt))
		var version *string
		var disabledAt *int64
		if v := r.event.check; v != nil {
			version = &v.xmin
			if v.disabledAt.Valid {
				disabledAt = &v.disabledAt.Int64
			}
		}
		versions = append(versions, version)
		disabled = append(disabled, disabledAt)
		claimable = append(claimable, r.event.claimable())
		for _, row := range r.event.rows {
			d.id = append(d.id, row.id)
			d.event = append(d.event, row.eventID)
			d.seq = append(d.seq, row.seq)
			d.account = append(d.account, row.accountID)
			d.key = append(d.key, row.eventKey)
			d.channel = append(d.channel, row.channel)
			d.target = append(d.target, row.target)
			d.host = append(d.host, row.host)
			d.test = append(d.test, row.isTest)
			d.status = append(d.status, row.status)
			d.attempts = append(d.attempts, row.attempts)
			d.next = append(d.next, row.nextAttemptAt)
			d.created = append(d.created, row.createdAt)
			d.errors = append(d.errors, row.error)
			d.completed = append(d.completed, row.completedAt)
			d.owner = append(d.owner, row.leaseOwner)
			d.until = append(d.until, row.leaseUntil)
		}
	}
	rows, err := st.QueryContext(ctx, ids, accounts, keys, idem, fps, occurred, payloads, at,
		d.id, d.event, d.seq, d.account, d.key, d.channel, d.target, d.host, d.test, d.status, d.attempts, d.next, d.created, d.errors, d.completed,
		versions, disabled, d.owner, d.until, claimable)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	written := make(map[string]bool, len(batch))
	for rows.Next() {
		var id sql.NullString
		var created sql.NullBool
		if err := rows.Scan(&id, &created); err != nil {
			return nil, err
		}
		if id.Valid {
			written[id.String] = created.Bool
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return written, rows.Close()
}
