package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"herald"
)

// InsertEvent commits an accepted event, its payload and its planned
// deliveries in one transaction. When the account already has an event with
// the same idempotency key, nothing is written and that first event and its
// deliveries are returned with created false.
func (s *Store) InsertEvent(ctx context.Context, ev herald.Event, ds []herald.Delivery) (herald.Event, []herald.Delivery, bool, error) {
	return s.InsertEventFor(ctx, Recipients{}, ev, ds)
}

// InsertEventFor is InsertEvent for deliveries planned from r: if r came
// from CachedRecipients and has changed since, nothing is written and the
// error is ErrRecipientsChanged (see pgrecipients.go).
func (s *Store) InsertEventFor(ctx context.Context, r Recipients, ev herald.Event, ds []herald.Delivery) (herald.Event, []herald.Delivery, bool, error) {
	in, err := s.Insert(ctx, r, ev, ds, nil)
	return in.Event, in.Deliveries, in.Created, err
}

// Inserted is what Insert wrote, or found written before.
type Inserted struct {
	Event      herald.Event
	Deliveries []herald.Delivery
	// Created is false when the idempotency key named an earlier event:
	// Event and Deliveries are then that event's, and nothing was written.
	Created bool
	// Jobs are the deliveries handed over (see Handoff), leased to its
	// owner; none unless Created.
	Jobs []Job
}

// Insert is InsertEventFor that may also hand the event's deliveries over
// to a worker of this process (h non-nil; see handoff.go).
func (s *Store) Insert(ctx context.Context, r Recipients, ev herald.Event, ds []herald.Delivery, h *Handoff) (Inserted, error) {
	ins, err := s.newEventInsert(ctx, ev, ds, h)
	if err != nil {
		return Inserted{Event: ev}, fmt.Errorf("store: insert event: %w", err)
	}
	ins.check = r.version
	run := func(ctx context.Context, tx *sql.Tx) (err error) {
		ins.created, err = ins.exec(ctx, tx)
		return err
	}
	if s.events != nil && ins.digest == nil {
		// PostgreSQL: one statement for the group (pgevents.go).
		err = s.events.do(ctx, batchReq{fn: run, event: ins})
	} else {
		err = s.write(ctx, run)
	}
	if errors.Is(err, ErrRecipientsChanged) {
		s.pgRecipients.drop(ev.AccountID)
	}
	if err != nil {
		return Inserted{Event: ev}, fmt.Errorf("store: insert event: %w", err)
	}
	if ins.created {
		jobs := ins.jobs(r, ds)
		if ins.claimable() {
			s.notify(ctx)
		}
		return Inserted{Event: ev, Deliveries: ds, Created: true, Jobs: jobs}, nil
	}
	first, err := s.EventByIdempotencyKey(ctx, ev.AccountID, ev.IdempotencyKey)
	if err != nil {
		return Inserted{Event: ev}, err
	}
	fds, err := s.EventDeliveries(ctx, first.ID)
	return Inserted{Event: first, Deliveries: fds}, err
}

// eventInsert is one event's writes, statements prepared and arguments
// bound, ready to run in any transaction (its own, or a batch's).
type eventInsert struct {
	event, deliveries *sql.Stmt // deliveries is nil when none are planned
	notify            *sql.Stmt // PostgreSQL: wakes workers in every process at commit
	eventArgs         []any
	deliveryArgs      []any
	rows              []deliveryRow
	digest            *digestHold // emails that may wait for a digest; nil when none
	created           bool        // set by the run that committed it
	ev                herald.Event
	handoff           *Handoff           // the lease of the rows handed over; nil: none
	due               int                // rows a worker may send now: handed over, or for the claim
	check             *recipientsVersion // what the deliveries were planned from; nil: no check
}

// insertEventSQL and insertDeliveriesSQL start the INSERTs of an event and
// of its deliveries; deliveryRow holds one delivery's values, in the order
// of insertDeliveriesSQL's columns.
const (
	insertEventSQL      = `INSERT INTO events (` + eventColumns + `)`
	insertDeliveriesSQL = `INSERT INTO deliveries (id, event_id, seq, account_id, event_key, channel, target, host, is_test, status, attempts,
		next_attempt_at, created_at, error, completed_at, lease_owner, lease_until)`
	deliveryCols = 17
)

type deliveryRow struct {
	id, eventID                     string
	seq                             int32
	accountID                       int64
	eventKey, channel, target, host string
	isTest                          int32
	status                          string
	attempts                        int32
	nextAttemptAt, createdAt        int64
	error                           string
	completedAt                     *int64 // nil until complete
	leaseOwner                      string // "" unless handed over
	leaseUntil                      int64
}

func (r *deliveryRow) values() []any {
	var completed any
	if r.completedAt != nil {
		completed = *r.completedAt
	}
	return []any{r.id, r.eventID, r.seq, r.accountID, r.eventKey, r.channel, r.target, r.host, r.isTest, r.status, r.attempts,
		r.nextAttemptAt, r.createdAt, r.error, completed, r.leaseOwner, r.leaseUntil}
}

func (s *Store) newEventInsert(ctx context.Context, ev herald.Event, ds []herald.Delivery, h *Handoff) (*eventInsert, error) {
	var key any
	if ev.IdempotencyKey != "" {
		key = ev.IdempotencyKey
	}
	ins := &eventInsert{ev: ev, eventArgs: []any{ev.ID, ev.AccountID, string(ev.Key), key, ev.Fingerprint, millis(ev.OccurredAt), string(ev.Payload), millis(ev.CreatedAt)}}
	var err error
	ins.event, err = s.writeStmt(ctx, insertEventSQL+` VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`)
	if err != nil || len(ds) == 0 {
		return ins, err
	}
	// One statement per plan size: a plan has at most 52 rows (a webhook,
	// the primary contact, 50 subscribers), so few are ever prepared.
	ins.deliveryArgs = make([]any, 0, deliveryCols*len(ds))
	ins.rows = make([]deliveryRow, 0, len(ds))
	ins.digest = s.newDigestHold(ds)
	ins.handoff = h
	for i, d := range ds {
		var isTest int32
		if d.IsTest {
			isTest = 1
		}
		due := d.NextAttemptAt
		if due.IsZero() {
			due = d.CreatedAt
		}
		r := deliveryRow{id: d.ID, eventID: d.EventID, seq: int32(i), accountID: d.AccountID, eventKey: string(d.EventKey),
			channel: string(d.Channel), target: s.sealTarget(d.Channel, d.Target), host: HostOf(d.Channel, d.Target), isTest: isTest,
			status: string(d.Status), attempts: int32(d.Attempts), nextAttemptAt: millis(due), createdAt: millis(d.CreatedAt), error: d.Error}
		if !d.CompletedAt.IsZero() { // a delivery planned as skipped is complete at once
			at := millis(d.CompletedAt)
			r.completedAt = &at
		}
		if DueAtOnce(d) {
			ins.due++
			if h != nil && !ins.digest.holds(d) {
				r.leaseOwner, r.leaseUntil, r.nextAttemptAt = h.Owner, millis(h.Until), millis(h.Until)
			}
		}
		ins.rows = append(ins.rows, r)
		ins.deliveryArgs = append(ins.deliveryArgs, r.values()...)
	}
	if ins.deliveries, err = s.writeStmt(ctx, s.multiRowSQL(insertDeliveries, len(ds))); err != nil {
		return ins, err
	}
	if s.dialect == Postgres {
		ins.notify, err = s.writeStmt(ctx, `SELECT pg_notify('`+notifyChannel+`', '')`)
	}
	return ins, err
}

var insertDeliveries = multiRow{prefix: insertDeliveriesSQL + ` VALUES `, cols: deliveryCols}

// exec runs the writes in tx; created is false when the idempotency key
// was taken, and then nothing was written.
func (ins *eventInsert) exec(ctx context.Context, tx *sql.Tx) (created bool, err error) {
	if ins.check != nil {
		if err := checkRecipients(ctx, tx, ins.ev.AccountID, ins.check); err != nil {
			return false, err
		}
	}
	res, err := tx.StmtContext(ctx, ins.event).ExecContext(ctx, ins.eventArgs...)
	if err != nil {
		return false, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return false, err
	}
	if ins.deliveries != nil {
		if _, err := tx.StmtContext(ctx, ins.deliveries).ExecContext(ctx, ins.deliveryArgs...); err != nil {
			return false, err
		}
		if ins.digest != nil {
			if err := ins.digest.apply(ctx, tx); err != nil {
				return false, err
			}
		}
		if ins.notify != nil && !notifyAtCommit(ctx) {
			if _, err := tx.StmtContext(ctx, ins.notify).ExecContext(ctx); err != nil {
				return false, err
			}
		}
	}
	return true, nil
}

const eventColumns = `id, account_id, event_key, idempotency_key, fingerprint, occurred_at, payload, created_at`

func scanEvent(row interface{ Scan(...any) error }) (herald.Event, error) {
	var ev herald.Event
	var key sql.NullString
	var occurred, created int64
	var payload string
	err := row.Scan(&ev.ID, &ev.AccountID, &ev.Key, &key, &ev.Fingerprint, &occurred, &payload, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return ev, herald.ErrNotFound
	}
	if err != nil {
		return ev, fmt.Errorf("store: event: %w", err)
	}
	ev.IdempotencyKey = key.String
	ev.OccurredAt, ev.CreatedAt = fromMillis(occurred), fromMillis(created)
	ev.Payload = []byte(payload)
	return ev, nil
}

// eventsQuery is Events' query: it reads events_account_id in order
// (plans_test.go).
func eventsQuery(accountID int64, after string, limit int) (string, []any) {
	q := `SELECT ` + eventColumns + ` FROM events WHERE account_id = $1`
	args := []any{accountID}
	if after != "" {
		q += ` AND id < $2`
		args = append(args, after)
	}
	return q + fmt.Sprintf(` ORDER BY id DESC LIMIT %d`, limit), args
}

// EventByIdempotencyKey returns the account's event with that key.
func (s *Store) EventByIdempotencyKey(ctx context.Context, accountID int64, key string) (herald.Event, error) {
	// The writer sees what was just committed even where a reader
	// connection's snapshot might lag.
	return scanEvent(s.w.QueryRowContext(ctx, `SELECT `+eventColumns+` FROM events WHERE account_id = $1 AND idempotency_key = $2`, accountID, key))
}

// Event returns one event by id.
func (s *Store) Event(ctx context.Context, id string) (herald.Event, error) {
	return scanEvent(s.r.QueryRowContext(ctx, `SELECT `+eventColumns+` FROM events WHERE id = $1`, id))
}

// Events lists the account's events, newest first, at most limit of them,
// starting after the cursor (the last id of the previous page; "" for the
// first page).
func (s *Store) Events(ctx context.Context, accountID int64, after string, limit int) ([]herald.Event, error) {
	q, args := eventsQuery(accountID, after, limit)
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: events: %w", err)
	}
	defer rows.Close()
	out := []herald.Event{}
	for rows.Next() {
		ev, err := scanEvent(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, ev)
	}
	return out, rows.Err()
}
