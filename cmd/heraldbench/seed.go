package main

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"herald"
	"herald/store"
)

// seedEventsPerTx is how many events (4 deliveries and 4 attempts each)
// one seeding transaction writes: big transactions, bounded.
const seedEventsPerTx = 2500

// seedRowsPerInsert is how many rows one INSERT statement carries.
const seedRowsPerInsert = 100

// seed stores deliveries completed deliveries for account, as realistic
// events (a webhook and three emails each) with one attempt each, accepted
// over the last 20 days. It goes through the store (its transactions,
// its schema), not through HTTP, so a million rows take seconds, not the
// minutes a million ingest calls and sends would.
func seed(ctx context.Context, dbURL string, account int64, deliveries int) error {
	st, err := store.Open(ctx, dbURL, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	pg := st.Dialect() == store.Postgres
	events := (deliveries + 3) / 4
	now := time.Now()
	span := 20 * 24 * time.Hour
	for done := 0; done < events; done += seedEventsPerTx {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := min(seedEventsPerTx, events-done)
		var evs, dls, atts rowsInsert
		evs.init(`INSERT INTO events (id, account_id, event_key, idempotency_key, fingerprint, occurred_at, payload, created_at) VALUES `, 8, pg)
		dls.init(`INSERT INTO deliveries (id, event_id, seq, account_id, event_key, channel, target, host, status, attempts, response_status,
			latency_ms, created_at, completed_at) VALUES `, 14, pg)
		atts.init(`INSERT INTO delivery_attempts (id, delivery_id, started_at, completed_at, target, request_headers, response_status, latency_ms) VALUES `, 8, pg)
		err := st.Transact(ctx, func(tx *sql.Tx) error {
			for i := range n {
				k := done + i
				at := now.Add(-span + time.Duration(k)*span/time.Duration(events)).Add(-time.Hour)
				ms := at.UnixMilli()
				evID := herald.NewID("evt_", at)
				payload := fmt.Sprintf(seedPayload, account, k, at.UTC().Format(time.RFC3339))
				evs.add(evID, account, "run_failed", fmt.Sprintf("seed-%d", k), "seed", ms, payload, ms)
				for seq := range 4 {
					if k*4+seq >= deliveries {
						break
					}
					dlID := herald.NewID("dlv_", at)
					channel, target, host, status := "webhook", "http://127.0.0.1:9/hook", "127.0.0.1:9", any(204)
					if seq > 0 {
						channel, target, host, status = "email", realisticEmails[seq-1], "", nil
					}
					dls.add(dlID, evID, seq, account, "run_failed", channel, target, host, "succeeded", 1, status, 3, ms, ms+3)
					atts.add(herald.NewID("att_", at), dlID, ms, ms+3, target, "{}", status, 3)
				}
				// Parents first: the foreign keys are checked per statement.
				if len(dls.args) >= seedRowsPerInsert*dls.cols || i == n-1 {
					for _, r := range []*rowsInsert{&evs, &dls, &atts} {
						if err := r.flush(ctx, tx); err != nil {
							return err
						}
					}
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// rowsInsert gathers rows into one multi-row INSERT.
type rowsInsert struct {
	prefix string
	cols   int
	args   []any
	full   *sql.Stmt // prepared for a full batch, per transaction
	// numbered uses $1, $2... (PostgreSQL); else ? (SQLite, where looking
	// up thousands of $N names costs more than the inserts).
	numbered bool
}

func (r *rowsInsert) init(prefix string, cols int, numbered bool) {
	r.prefix, r.cols, r.numbered = prefix, cols, numbered
}

func (r *rowsInsert) add(vals ...any) { r.args = append(r.args, vals...) }

func (r *rowsInsert) flush(ctx context.Context, tx *sql.Tx) error {
	if len(r.args) == 0 {
		return nil
	}
	full := len(r.args) == seedRowsPerInsert*r.cols
	if full && r.full != nil {
		_, err := r.full.ExecContext(ctx, r.args...)
		r.args = r.args[:0]
		return err
	}
	var sb strings.Builder
	sb.WriteString(r.prefix)
	for i := range len(r.args) / r.cols {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteByte('(')
		for c := range r.cols {
			if c > 0 {
				sb.WriteByte(',')
			}
			if r.numbered {
				fmt.Fprintf(&sb, "$%d", i*r.cols+c+1)
			} else {
				sb.WriteByte('?')
			}
		}
		sb.WriteByte(')')
	}
	if full {
		var err error
		if r.full, err = tx.PrepareContext(ctx, sb.String()); err != nil {
			return err
		}
		return r.flush(ctx, tx)
	}
	_, err := tx.ExecContext(ctx, sb.String(), r.args...)
	r.args = r.args[:0]
	return err
}

// seedPayload is a run_failed webhook body of the usual size.
const seedPayload = `{
  "event_type": "run_failed",
  "account_id": %d,
  "account_name": "heraldbench",
  "environment": "local",
  "run_id": %d,
  "run_status": "failed",
  "tenant_id": 1,
  "tenant_name": "Widget Co",
  "integration_id": 1,
  "integration_name": "Shopify Integration",
  "admin_link": "https://admin.local.pandium.com/integrations/1/tenants/1/runs",
  "api_run_link": "https://api.local.pandium.com/v2/runs",
  "api_logs_link": "https://api.local.pandium.com/v2/runs/logs",
  "timestamp": %q
}`
