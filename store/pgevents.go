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
// group) is skipped with its deliveries, as alone. Events that may hold
// emails for a digest take batch.go's path, which runs the digest's reads.
const insertEventsPG = `WITH e AS (` + insertEventSQL + `
	SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[], $8::bigint[])
	ON CONFLICT DO NOTHING RETURNING id),
d AS (` + insertDeliveriesSQL + `
	SELECT * FROM unnest($9::text[], $10::text[], $11::int[], $12::bigint[], $13::text[], $14::text[], $15::text[], $16::text[],
		$17::int[], $18::text[], $19::int[], $20::bigint[], $21::bigint[], $22::text[], $23::bigint[])
		AS u(id, event_id, seq, account_id, event_key, channel, target, host, is_test, status, attempts, next_attempt_at, created_at, error, completed_at)
	WHERE u.event_id IN (SELECT id FROM e))
SELECT id FROM e
UNION ALL SELECT NULL FROM pg_notify('` + notifyChannel + `', '') WHERE EXISTS (SELECT FROM e)`

// commitEvents is the events batcher's commit (PostgreSQL). If the group's
// statement fails, each ingest is tried again alone, so one bad event fails
// only its own caller.
func (s *Store) commitEvents(batch []batchReq) {
	ctx := context.Background() // a batch outlives any one caller's request
	created, err := s.insertEvents(ctx, batch)
	if err != nil && len(batch) > 1 {
		s.alone(ctx, batch)
		return
	}
	for _, r := range batch {
		if err == nil {
			r.event.created = created[r.event.ev.ID]
		}
		r.reply <- err
	}
}

// insertEvents runs insertEventsPG for the batch and returns the ids of
// the events it created.
func (s *Store) insertEvents(ctx context.Context, batch []batchReq) (map[string]bool, error) {
	st, err := s.writeStmt(ctx, insertEventsPG)
	if err != nil {
		return nil, err
	}
	var (
		ids, keys, fps, payloads []string
		accounts, occurred, at   []int64
		idem                     []*string
		d                        struct {
			id, event, key, channel, target, host, status, errors []string
			seq, test, attempts                                   []int32
			account, next, created                                []int64
			completed                                             []*int64
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
		}
	}
	rows, err := st.QueryContext(ctx, ids, accounts, keys, idem, fps, occurred, payloads, at,
		d.id, d.event, d.seq, d.account, d.key, d.channel, d.target, d.host, d.test, d.status, d.attempts, d.next, d.created, d.errors, d.completed)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	created := make(map[string]bool, len(batch))
	for rows.Next() {
		var id sql.NullString
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		if id.Valid {
			created[id.String] = true
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return created, rows.Close()
}
