package store

import (
	"context"

	"herald"
)

// completePG records a batch's attempts and outcomes in one statement,
// whose implicit transaction PostgreSQL commits before it answers: one
// round trip, where Complete's transaction took four (begin, the attempts,
// the outcomes, commit) and held its locks across them. Its arrays make it
// one prepared statement for any batch size. The lease guard is
// Complete's: an outcome whose lease another worker took is logged as an
// attempt but leaves the delivery alone.
const completePG = `WITH a AS (` + insertAttemptsColumns + `
	SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::int[], $8::text[],
		$9::text[], $10::text[], $11::bigint[]))
UPDATE deliveries SET status = v.status, attempts = attempts + 1, response_status = v.response_status, error = v.error,
	latency_ms = v.latency_ms, completed_at = v.completed_at, next_attempt_at = v.next_attempt_at, lease_owner = '', lease_until = 0
FROM unnest($12::text[], $13::text[], $14::text[], $15::int[], $16::text[], $17::bigint[], $18::bigint[], $19::bigint[])
	AS v(id, owner, status, response_status, error, latency_ms, completed_at, next_attempt_at)
WHERE deliveries.id = v.id AND deliveries.lease_owner = v.owner`

// completeAllPG is Complete on PostgreSQL for outcomes that carry neither
// an outbox message nor a digest (every webhook's): the others take
// Complete's transaction.
func (s *Store) completeAllPG(ctx context.Context, outcomes []Outcome) error {
	if len(outcomes) == 0 {
		return nil
	}
	st, err := s.writeStmt(ctx, completePG)
	if err != nil {
		return wrap("complete", err)
	}
	n := len(outcomes)
	var (
		a struct {
			id, delivery, target, reqh, resh, body, errors []string
			started, completed, latency                    []int64
			status                                         []*int32
		}
		d struct {
			id, owner, status, errors []string
			response                  []*int32
			latency, next             []int64
			completed                 []*int64
		}
	)
	a.id, a.delivery, a.target, a.reqh = make([]string, 0, n), make([]string, 0, n), make([]string, 0, n), make([]string, 0, n)
	a.resh, a.body, a.errors = make([]string, 0, n), make([]string, 0, n), make([]string, 0, n)
	a.started, a.completed, a.latency, a.status = make([]int64, 0, n), make([]int64, 0, n), make([]int64, 0, n), make([]*int32, 0, n)
	d.id, d.owner, d.status, d.errors = make([]string, 0, n), make([]string, 0, n), make([]string, 0, n), make([]string, 0, n)
	d.response, d.latency, d.next, d.completed = make([]*int32, 0, n), make([]int64, 0, n), make([]int64, 0, n), make([]*int64, 0, n)
	for _, o := range outcomes {
		at := o.Attempt
		reqh, err := encodeHeaders(at.RequestHeaders)
		if err != nil {
			return wrap("complete", err)
		}
		resh, err := encodeHeaders(at.ResponseHeaders)
		if err != nil {
			return wrap("complete", err)
		}
		status := responseStatus(at)
		a.id, a.delivery, a.target = append(a.id, at.ID), append(a.delivery, at.DeliveryID), append(a.target, at.Target)
		a.reqh, a.resh = append(a.reqh, reqh), append(a.resh, resh)
		a.body, a.errors = append(a.body, textSafe(at.ResponseBody)), append(a.errors, textSafe(at.Error))
		a.started, a.completed = append(a.started, millis(at.StartedAt)), append(a.completed, millis(at.CompletedAt))
		a.latency, a.status = append(a.latency, at.Latency.Milliseconds()), append(a.status, status)

		completed, next := new(millis(at.CompletedAt)), int64(0)
		if o.Status == herald.StatusPending {
			completed, next = nil, millis(o.RetryAt)
		}
		d.id, d.owner, d.status = append(d.id, o.DeliveryID), append(d.owner, o.Owner), append(d.status, string(o.Status))
		d.response, d.errors = append(d.response, status), append(d.errors, textSafe(at.Error))
		d.latency, d.completed, d.next = append(d.latency, at.Latency.Milliseconds()), append(d.completed, completed), append(d.next, next)
	}
	_, err = st.ExecContext(ctx, a.id, a.delivery, a.started, a.completed, a.target, a.reqh, a.status, a.resh, a.body, a.errors, a.latency,
		d.id, d.owner, d.status, d.response, d.errors, d.latency, d.completed, d.next)
	return wrap("complete", err)
}

// responseStatus is the attempt's HTTP status, nil when there was none.
func responseStatus(a herald.Attempt) *int32 {
	if a.ResponseStatus == 0 {
		return nil
	}
	return new(int32(a.ResponseStatus))
}
