package store

import (
	"context"
	"database/sql"
	"strings"
)

// For plans_test.go (package store_test): the queries whose plans matter.
var (
	DeliveriesQuery = deliveriesQuery
	OutboxQuery     = outboxQuery
	EventsQuery     = eventsQuery
)

const (
	ClaimScan     = claimScan
	ReleaseLeases = releaseLeases
	PruneEvents   = pruneEvents
)

// Explain returns the plan of q: EXPLAIN QUERY PLAN's details on SQLite;
// on PostgreSQL EXPLAIN's text with sequential scans and sorts priced out,
// so it shows whether an index can serve q (on a test's near-empty tables
// the planner would rightly prefer to read the table).
func (s *Store) Explain(ctx context.Context, q string, args ...any) (string, error) {
	var out []string
	err := s.Transact(ctx, func(tx *sql.Tx) error {
		prefix := "EXPLAIN QUERY PLAN "
		if s.dialect == Postgres {
			prefix = "EXPLAIN "
			for _, set := range []string{"SET LOCAL enable_seqscan = off", "SET LOCAL enable_sort = off"} {
				if _, err := tx.ExecContext(ctx, set); err != nil {
					return err
				}
			}
		}
		rows, err := tx.QueryContext(ctx, prefix+q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		cols, err := rows.Columns()
		if err != nil {
			return err
		}
		for rows.Next() {
			vals := make([]any, len(cols))
			var detail string
			for i := range vals {
				vals[i] = new(any)
			}
			vals[len(vals)-1] = &detail
			if err := rows.Scan(vals...); err != nil {
				return err
			}
			out = append(out, detail)
		}
		return rows.Err()
	})
	return strings.Join(out, "\n"), err
}

// MigrateUpTo applies the migrations up to version last.
func (s *Store) MigrateUpTo(ctx context.Context, last int) ([]int, error) {
	return s.migrateUpTo(ctx, last)
}

// OutboxColumns are a message's recipient and subject as stored.
func (s *Store) OutboxColumns(ctx context.Context, id string) (recipient, subject string, err error) {
	err = s.r.QueryRowContext(ctx, `SELECT recipient, subject FROM outbox WHERE id = $1`, id).Scan(&recipient, &subject)
	return recipient, subject, err
}
