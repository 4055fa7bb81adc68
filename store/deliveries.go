package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"herald"
)

// deliveryColumns ends with when the next try is scheduled: NULL unless
// the delivery is pending after an attempt (a retry) and no worker holds
// it.
const deliveryColumns = `d.id, d.event_id, d.account_id, d.event_key, d.channel, d.target, d.status, d.attempts, d.created_at,
	d.is_test, d.response_status, d.error, d.latency_ms, d.completed_at,
	CASE WHEN d.status = 'pending' AND d.attempts > 0 AND d.lease_owner = '' THEN d.next_attempt_at END`

// scanDelivery scans deliveryColumns, then extra destinations; a
// webhook's target comes back opened.
func (s *Store) scanDelivery(row interface{ Scan(...any) error }, extra ...any) (herald.Delivery, error) {
	var d herald.Delivery
	var created int64
	var isTest int
	var status, latency, completed, next sql.NullInt64
	dest := append([]any{&d.ID, &d.EventID, &d.AccountID, &d.EventKey, &d.Channel, &d.Target, &d.Status, &d.Attempts, &created,
		&isTest, &status, &d.Error, &latency, &completed, &next}, extra...)
	if err := row.Scan(dest...); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return d, herald.ErrNotFound
		}
		return d, fmt.Errorf("store: delivery: %w", err)
	}
	if d.Channel == herald.ChannelWebhook {
		u, err := s.open(d.Target)
		if err != nil {
			return d, fmt.Errorf("store: delivery %s: target: %w", d.ID, err)
		}
		d.Target = u
	}
	d.CreatedAt = fromMillis(created)
	d.IsTest = isTest != 0
	d.ResponseStatus = int(status.Int64)
	d.Latency = time.Duration(latency.Int64) * time.Millisecond
	if completed.Valid {
		d.CompletedAt = fromMillis(completed.Int64)
	}
	if next.Valid {
		d.NextAttemptAt = fromMillis(next.Int64)
	}
	return d, nil
}

// Delivery returns one delivery.
func (s *Store) Delivery(ctx context.Context, id string) (herald.Delivery, error) {
	return s.scanDelivery(s.r.QueryRowContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries d WHERE d.id = $1`, id))
}

// DeliveryFilter narrows a delivery list; zero fields match everything.
type DeliveryFilter struct {
	AccountID int64
	EventKey  herald.EventKey
	Channel   herald.Channel
	Status    herald.Status
	// After is the cursor: the last id of the previous page.
	After string
	Limit int
}

// Deliveries lists an account's deliveries, newest first.
func (s *Store) Deliveries(ctx context.Context, f DeliveryFilter) ([]herald.Delivery, error) {
	q, args := deliveriesQuery(f)
	return s.queryDeliveries(ctx, s.r, q, args...)
}

// deliveriesQuery is the delivery log's query: newest first by id, read
// from deliveries_account_id, or deliveries_account_status with a filter
// on a status other than succeeded or pending (plans_test.go checks both
// engines use them).
func deliveriesQuery(f DeliveryFilter) (string, []any) {
	where := []string{"d.account_id = $1"}
	args := []any{f.AccountID}
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.EventKey != "" {
		add("d.event_key = $%d", string(f.EventKey))
	}
	if f.Channel != "" {
		add("d.channel = $%d", string(f.Channel))
	}
	if f.Status != "" {
		add("d.status = $%d", string(f.Status))
		if f.Status != herald.StatusSucceeded && f.Status != herald.StatusPending {
			// deliveries_account_status holds only the other statuses:
			// its WHERE, repeated, lets both planners use it.
			where = append(where, "d.status NOT IN ('succeeded', 'pending')")
		}
	}
	if f.After != "" {
		add("d.id < $%d", f.After)
	}
	return `SELECT ` + deliveryColumns + ` FROM deliveries d WHERE ` + strings.Join(where, " AND ") +
		fmt.Sprintf(` ORDER BY d.id DESC LIMIT %d`, f.Limit), args
}

func (s *Store) queryDeliveries(ctx context.Context, db *sql.DB, q string, args ...any) ([]herald.Delivery, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, wrap("deliveries", err)
	}
	defer rows.Close()
	out := []herald.Delivery{}
	for rows.Next() {
		d, err := s.scanDelivery(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// EventDeliveries returns an event's deliveries in the order planned.
func (s *Store) EventDeliveries(ctx context.Context, eventID string) ([]herald.Delivery, error) {
	return s.queryDeliveries(ctx, s.w, `SELECT `+deliveryColumns+` FROM deliveries d WHERE d.event_id = $1 ORDER BY d.seq`, eventID)
}

// Attempts returns a delivery's attempts, oldest first.
func (s *Store) Attempts(ctx context.Context, deliveryID string) ([]herald.Attempt, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, delivery_id, started_at, completed_at, target, request_headers, response_status,
		response_headers, response_body, error, latency_ms FROM delivery_attempts WHERE delivery_id = $1 ORDER BY started_at, id`, deliveryID)
	if err != nil {
		return nil, wrap("attempts", err)
	}
	defer rows.Close()
	out := []herald.Attempt{}
	for rows.Next() {
		var a herald.Attempt
		var started, completed, latency int64
		var status sql.NullInt64
		var reqh, resh string
		if err := rows.Scan(&a.ID, &a.DeliveryID, &started, &completed, &a.Target, &reqh, &status, &resh, &a.ResponseBody, &a.Error, &latency); err != nil {
			return nil, wrap("attempts", err)
		}
		a.StartedAt, a.CompletedAt = fromMillis(started), fromMillis(completed)
		a.ResponseStatus = int(status.Int64)
		a.Latency = time.Duration(latency) * time.Millisecond
		var err error
		if a.RequestHeaders, err = decodeHeaders(reqh); err != nil {
			return nil, wrap("attempts", err)
		}
		if a.ResponseHeaders, err = decodeHeaders(resh); err != nil {
			return nil, wrap("attempts", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}
