package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"herald"
)

// Job is a claimed delivery with what sending it needs.
type Job struct {
	Delivery    herald.Delivery
	Host        string
	Payload     []byte
	AccountName string
	// ContactEmail is the account's primary contact now; an email to any
	// other address is a subscriber's.
	ContactEmail string
	// Signing holds the keys that sign a webhook, read with the claim:
	// the keys current when the batch was claimed; empty when unsigned.
	Signing []herald.SigningKey
	// RetryWebhooks is the account's retry_failed_webhooks setting.
	RetryWebhooks bool
	// LeaseUntil is when another worker may take the job over.
	LeaseUntil time.Time
	// DigestID is the delivery whose digest this email belongs to: the
	// job's own id when it carries one (see digests.go), "" when none.
	DigestID string
}

// ClaimRequest says what a worker can take on.
type ClaimRequest struct {
	Owner string        // the worker; completions must name it
	Now   time.Time     // due means next attempt at or before Now
	Lease time.Duration // how long the jobs are the worker's alone
	Limit int           // at most this many jobs
	// Room, when set, says how many more webhooks to host may start (0
	// for a busy host); the claim takes no more. Emails (host "") are not
	// limited by it.
	Room func(host string) int
	// Busy lists the hosts with no room. The claim first reads only the
	// few deliveries due soonest; if all of those are for busy hosts and
	// Deep is set, it looks past them with a query that skips the busy
	// hosts but reads all their due deliveries. Workers allow that once a
	// poll interval: often enough that a black-holed endpoint's backlog
	// cannot starve other accounts, rarely enough that the scan (measured
	// at most of the CPU when run on every claim during a 20,000-event
	// burst to one host) stays cheap.
	Busy []string
	Deep bool
}

// Claim leases due deliveries to the worker: pending, with their next
// attempt time reached. A claim moves next_attempt_at to the end of the
// lease, so leased jobs are not due, and a job whose worker died becomes
// due again when its lease runs out; the scans read only due rows. On
// SQLite the single writer serializes claims; PostgreSQL's claim is in
// pgclaim.go.
func (s *Store) Claim(ctx context.Context, r ClaimRequest) ([]Job, error) {
	if r.Limit <= 0 {
		return nil, nil
	}
	// Read a little more than may be taken, so a host with little room
	// left does not leave the batch short.
	scanLimit := r.Limit + 32
	deep, deepArgs := "", []any{millis(r.Now)}
	if r.Deep && len(r.Busy) > 0 {
		marks := make([]string, len(r.Busy))
		for i, h := range r.Busy {
			deepArgs = append(deepArgs, h)
			marks[i] = fmt.Sprintf("$%d", len(deepArgs))
		}
		deep = dueScan + ` AND host NOT IN (` + strings.Join(marks, ",") + `) ORDER BY next_attempt_at LIMIT ` + fmt.Sprint(scanLimit)
	}
	if s.dialect == Postgres {
		return s.claimPG(ctx, r, scanLimit, deep, deepArgs)
	}
	// The cheap scan and the lease update are prepared once: parsing them
	// again on every claim was a fifth of the single writer's time.
	cheap, err := s.writeStmt(ctx, claimScan)
	if err != nil {
		return nil, wrap("claim", err)
	}
	// One statement leases the batch, its ids passed as a JSON array: on
	// PostgreSQL a statement per row was a round trip per row.
	lease, err := s.writeStmt(ctx, `UPDATE deliveries SET lease_owner = $1, lease_until = $2, next_attempt_at = $2 WHERE id IN `+s.jsonIDs(3))
	if err != nil {
		return nil, wrap("claim", err)
	}
	var claimed []string
	// If ctx ends first, write returns while the batcher may still run fn
	// later; fn must then not call r.Room, which reads the caller's state
	// (the worker's, changing once Claim has returned). abandoned makes
	// such a late run claim nothing.
	var mu sync.Mutex
	abandoned := false
	defer func() {
		mu.Lock()
		abandoned = true
		mu.Unlock()
	}()
	err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		mu.Lock()
		defer mu.Unlock()
		if abandoned {
			return errAbandoned
		}
		rows, err := tx.StmtContext(ctx, cheap).QueryContext(ctx, millis(r.Now), s.scanBound(scanLimit))
		if err != nil {
			return err
		}
		ids, scanned, err := pick(rows, r, scanLimit)
		if err == nil && len(ids) == 0 && scanned == scanLimit && deep != "" {
			if rows, err = tx.QueryContext(ctx, deep, deepArgs...); err != nil {
				return err
			}
			ids, _, err = pick(rows, r, scanLimit)
		}
		if err != nil {
			return err
		}
		if len(ids) > 0 {
			list, err := json.Marshal(ids)
			if err != nil {
				return err
			}
			if _, err := tx.StmtContext(ctx, lease).ExecContext(ctx, r.Owner, millis(r.Now.Add(r.Lease)), string(list)); err != nil {
				return err
			}
		}
		claimed = ids
		return nil
	})
	if err != nil {
		return nil, wrap("claim", err) // claimed is fn's, which may still run
	}
	if len(claimed) == 0 {
		return nil, nil
	}
	return s.jobs(ctx, claimed, r.Now)
}

var errAbandoned = errors.New("store: claim abandoned by its caller")

// dueScan reads due deliveries from the partial index deliveries_due;
// claimScan is the claim's first, cheap scan (plans_test.go checks both
// engines read the index, in order, without sorting).
const (
	dueScan   = `SELECT id, host FROM deliveries WHERE status = 'pending' AND next_attempt_at <= $1`
	claimScan = dueScan + ` ORDER BY next_attempt_at LIMIT $2`
)

// scanBound is the LIMIT bound to the claim's scan, which reads at most
// n rows. SQLite prepares the scan again whenever its LIMIT's value
// changes (it plans with the value bound), and n changes with the room a
// worker has: measured at 120 µs a claim, several times the scan itself.
// So SQLite is always given the same bound, above any claim's (a worker
// takes at most 256), and pick stops reading at n rows; the index gives
// the order, so rows past n are never read. PostgreSQL gets n: its
// prepared scan is not planned again for a new value, and rows past n
// would only be sent for nothing.
func (s *Store) scanBound(n int) int {
	if s.dialect == Postgres {
		return n
	}
	return max(n, 1024)
}

// pick reads up to limit of a scan's rows and keeps the ids the request
// has room for; scanned is how many rows it read.
func pick(rows *sql.Rows, r ClaimRequest, limit int) (ids []string, scanned int, err error) {
	defer rows.Close()
	taken := map[string]int{}
	for scanned < limit && rows.Next() {
		var id, host string
		if err := rows.Scan(&id, &host); err != nil {
			return nil, 0, err
		}
		scanned++
		if len(ids) == r.Limit || (host != "" && r.Room != nil && taken[host] >= r.Room(host)) {
			continue
		}
		taken[host]++
		ids = append(ids, id)
	}
	return ids, scanned, rows.Err()
}

func (s *Store) jobs(ctx context.Context, ids []string, now time.Time) ([]Job, error) {
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, wrap("claim", err)
	}
	// A reader: each query starts a new snapshot, which holds the claim
	// just committed, and the writer's one connection stays free. The ids
	// come as one JSON array: one statement, prepared once, for any count.
	st, err := s.stmts.get(ctx, s.r, `SELECT `+jobColumns+` FROM deliveries d`+jobJoins+`
		WHERE d.id IN `+s.jsonIDs(1)+` ORDER BY d.next_attempt_at`)
	if err != nil {
		return nil, wrap("claim", err)
	}
	rows, err := st.QueryContext(ctx, string(list))
	if err != nil {
		return nil, wrap("claim", err)
	}
	jobs, err := s.scanJobs(rows, len(ids))
	if err != nil {
		return nil, wrap("claim", err)
	}
	return jobs, s.withSigning(ctx, jobs, now)
}

// jobColumns, from deliveries d and jobJoins, are what scanJobs reads.
const (
	jobColumns = deliveryColumns + `, d.host, d.lease_until, e.payload, a.name, a.contact_email, d.digest_id, a.retry_failed_webhooks`
	jobJoins   = ` JOIN events e ON e.id = d.event_id JOIN accounts a ON a.id = d.account_id`
)

// scanJobs reads jobColumns, of at most n jobs, and closes rows.
func (s *Store) scanJobs(rows *sql.Rows, n int) ([]Job, error) {
	defer rows.Close()
	jobs := make([]Job, 0, n)
	for rows.Next() {
		var j Job
		var until int64
		var payload string
		var retry int
		d, err := s.scanDelivery(rows, &j.Host, &until, &payload, &j.AccountName, &j.ContactEmail, &j.DigestID, &retry)
		if err != nil {
			return nil, err
		}
		j.RetryWebhooks = retry != 0
		j.Delivery, j.LeaseUntil, j.Payload = d, fromMillis(until), []byte(payload)
		jobs = append(jobs, j)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return jobs, rows.Close()
}

// withSigning adds to each webhook job its account's signing keys, read in
// one query for the whole batch (their secrets opened once, through the
// seal cache), so no send pays for a database read or a decryption.
func (s *Store) withSigning(ctx context.Context, jobs []Job, now time.Time) error {
	var accounts []int64
	seen := map[int64]bool{}
	for _, j := range jobs {
		if id := j.Delivery.AccountID; j.Delivery.Channel == herald.ChannelWebhook && !seen[id] {
			seen[id] = true
			accounts = append(accounts, id)
		}
	}
	if len(accounts) == 0 {
		return nil
	}
	keys, err := s.signingKeysOf(ctx, accounts, now)
	if err != nil {
		return err
	}
	for i := range jobs {
		if jobs[i].Delivery.Channel == herald.ChannelWebhook {
			jobs[i].Signing = keys[jobs[i].Delivery.AccountID]
		}
	}
	return nil
}

// Outcome is how one claimed delivery went.
type Outcome struct {
	DeliveryID string
	Owner      string // the lease holder completing it
	Attempt    herald.Attempt
	// Status is succeeded or failed, or pending to try again at RetryAt
	// (a transient SMTP failure).
	Status  herald.Status
	RetryAt time.Time
	// Outbox, when set, is the email kept in the built-in outbox, stored
	// with the outcome so a delivery is never marked sent without it.
	Outbox *OutboxMessage
	// Digest says the delivery carried a digest: a final outcome is the
	// outcome of every email the digest holds too.
	Digest bool
}

// Complete records outcomes: each attempt is logged, and each delivery
// takes its new status and releases its lease. An outcome whose lease was
// taken over by another worker (it ran past its lease) is still logged as
// an attempt but does not change the delivery, which the other worker owns.
// A batch takes a few statements, not two per outcome (on PostgreSQL each
// statement is a round trip, and a batch of webhooks takes one: see
// pgcomplete.go); a digest's outcome goes alone, as it also completes the
// digest's members when its own update took effect.
func (s *Store) Complete(ctx context.Context, outcomes []Outcome) error {
	if s.dialect == Postgres && !slices.ContainsFunc(outcomes, func(o Outcome) bool { return o.Digest || o.Outbox != nil }) {
		return s.completeAllPG(ctx, outcomes)
	}
	attempts := make([][]any, 0, len(outcomes))
	updates := make([][]any, 0, len(outcomes))
	var digests []Outcome
	for _, o := range outcomes {
		if o.Digest {
			digests = append(digests, o)
			continue
		}
		row, err := attemptRow(o.Attempt)
		if err != nil {
			return wrap("complete", err)
		}
		attempts = append(attempts, row)
		updates = append(updates, append([]any{o.DeliveryID, o.Owner}, outcomeValues(o)...))
	}
	insert, err := s.prepare(ctx, insertAttempts, len(attempts))
	if err != nil {
		return wrap("complete", err)
	}
	update, err := s.prepare(ctx, completeDeliveries, len(updates))
	if err != nil {
		return wrap("complete", err)
	}
	insertOne, err := s.writeStmt(ctx, insertAttempts.prefix+`($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`)
	if err != nil {
		return wrap("complete", err)
	}
	updateOne, err := s.writeStmt(ctx, `UPDATE deliveries SET status = $1, attempts = attempts + 1, response_status = $2, error = $3,
		latency_ms = $4, completed_at = $5, next_attempt_at = $6, lease_owner = '', lease_until = 0
		WHERE id = $7 AND lease_owner = $8`)
	if err != nil {
		return wrap("complete", err)
	}
	return wrap("complete", s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := execRows(ctx, tx, insert, attempts); err != nil {
			return err
		}
		for _, o := range outcomes {
			if o.Outbox != nil {
				if err := s.insertOutbox(ctx, tx, o.Outbox); err != nil {
					return err
				}
			}
		}
		if err := execRows(ctx, tx, update, updates); err != nil {
			return err
		}
		ins, upd := tx.StmtContext(ctx, insertOne), tx.StmtContext(ctx, updateOne)
		for _, o := range digests {
			if err := insertAttempt(ctx, ins, o.Attempt); err != nil {
				return err
			}
			res, err := upd.ExecContext(ctx, append(outcomeValues(o), o.DeliveryID, o.Owner)...)
			if err != nil {
				return err
			}
			if err := completeMembers(ctx, tx, ins, res, o); err != nil {
				return err
			}
		}
		return nil
	}))
}

// outcomeValues are the delivery's new status, response status, error,
// latency, completion time and next attempt.
func outcomeValues(o Outcome) []any {
	completed := any(millis(o.Attempt.CompletedAt))
	next := int64(0)
	if o.Status == herald.StatusPending {
		completed, next = nil, millis(o.RetryAt)
	}
	var status any
	if o.Attempt.ResponseStatus != 0 {
		status = o.Attempt.ResponseStatus
	}
	return []any{string(o.Status), status, textSafe(o.Attempt.Error), o.Attempt.Latency.Milliseconds(), completed, next}
}

// insertAttempt runs the prepared one-row attempt INSERT.
func insertAttempt(ctx context.Context, ins *sql.Stmt, a herald.Attempt) error {
	row, err := attemptRow(a)
	if err != nil {
		return err
	}
	_, err = ins.ExecContext(ctx, row...)
	return err
}

const insertAttemptsColumns = `INSERT INTO delivery_attempts (id, delivery_id, started_at, completed_at, target, request_headers,
	response_status, response_headers, response_body, error, latency_ms)`

var insertAttempts = multiRow{prefix: insertAttemptsColumns + ` VALUES `, cols: 11}

// completeDeliveries updates completed deliveries from a VALUES list
// (id, owner, status, response status, error, latency, completed at, next
// attempt): its columns are column1, column2... in both engines, and the
// casts give PostgreSQL their types.
var completeDeliveries = multiRow{
	prefix: `UPDATE deliveries SET status = v.column3, attempts = attempts + 1, response_status = v.column4,
	error = v.column5, latency_ms = v.column6, completed_at = v.column7, next_attempt_at = v.column8, lease_owner = '', lease_until = 0
	FROM (VALUES `,
	suffix: `) AS v WHERE deliveries.id = v.column1 AND deliveries.lease_owner = v.column2`,
	casts:  []string{"TEXT", "TEXT", "TEXT", "INTEGER", "TEXT", "BIGINT", "BIGINT", "BIGINT"},
	cols:   8,
}

// attemptRow is an attempt's values for the delivery_attempts INSERT.
func attemptRow(a herald.Attempt) ([]any, error) {
	reqh, err := encodeHeaders(a.RequestHeaders)
	if err != nil {
		return nil, err
	}
	resh, err := encodeHeaders(a.ResponseHeaders)
	if err != nil {
		return nil, err
	}
	var status any
	if a.ResponseStatus != 0 {
		status = a.ResponseStatus
	}
	return []any{a.ID, a.DeliveryID, millis(a.StartedAt), millis(a.CompletedAt), a.Target, reqh, status, resh,
		textSafe(a.ResponseBody), textSafe(a.Error), a.Latency.Milliseconds()}, nil
}

// textSafe makes a response body storable as TEXT in both engines:
// PostgreSQL refuses invalid UTF-8 and NUL bytes.
func textSafe(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// Redeliver makes a completed delivery pending again, due now, to target
// (the webhook URL saved now, or the same address), and returns it as it
// left it: a worker may complete it again before anyone could read it back.
// Its attempts stay in its history. A delivery already pending is left as
// it is.
func (s *Store) Redeliver(ctx context.Context, id, target string, now time.Time) (herald.Delivery, error) {
	var d herald.Delivery
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		// A webhook's target is sealed (a URL's query is a credential);
		// an email's is the address, as planned.
		res, err := tx.ExecContext(ctx, `UPDATE deliveries SET status = 'pending',
			target = CASE WHEN channel = 'webhook' THEN $1 ELSE $5 END, host = $2, next_attempt_at = $3,
			completed_at = NULL, lease_owner = '', lease_until = 0 WHERE id = $4 AND status <> 'pending'`,
			s.seal(target), HostOf(herald.ChannelWebhook, target), millis(now), id, target)
		if err != nil {
			return err
		}
		// Read in the transaction: once it commits, a worker may send the
		// delivery and complete it before anyone could read it back.
		if d, err = s.scanDelivery(tx.QueryRowContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries d WHERE d.id = $1`, id)); err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		if s.dialect == Postgres {
			_, err = tx.ExecContext(ctx, `SELECT pg_notify('`+notifyChannel+`', '')`)
		}
		return err
	})
	if err != nil {
		return d, wrap("redeliver", err)
	}
	s.notify(ctx)
	return d, nil
}

// HostOf is the host part of a webhook target, for per-host limits.
func HostOf(ch herald.Channel, target string) string {
	if ch != herald.ChannelWebhook {
		return ""
	}
	u, err := url.Parse(target)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Host)
}

// QueueStats is the queue's state, for metrics.
type QueueStats struct {
	Pending       int64
	OldestPending time.Time // zero when none
}

// QueueStats counts pending deliveries and finds the oldest.
func (s *Store) QueueStats(ctx context.Context) (QueueStats, error) {
	var qs QueueStats
	var oldest sql.NullInt64
	err := s.r.QueryRowContext(ctx, `SELECT count(*), min(created_at) FROM deliveries WHERE status = 'pending'`).Scan(&qs.Pending, &oldest)
	if oldest.Valid {
		qs.OldestPending = fromMillis(oldest.Int64)
	}
	return qs, wrap("queue stats", err)
}

func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("store: %s: %w", op, err)
}
