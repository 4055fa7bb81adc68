package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"herald"
)

// ReplayRequest selects an account's webhook deliveries to send again.
type ReplayRequest struct {
	AccountID    int64
	Since, Until time.Time       // created in [Since, Until]
	Statuses     []herald.Status // of these (failed, skipped)
	Target       string          // the webhook URL saved now
	Now          time.Time       // when they become due
	Limit        int             // at most this many
}

// Replay makes up to Limit matching webhook deliveries (test sends aside)
// pending again, due now, to Target, oldest first: as Redeliver does for
// one. It returns how many it replayed and how many more match.
func (s *Store) Replay(ctx context.Context, r ReplayRequest) (replayed, remaining int, err error) {
	args := []any{r.AccountID, millis(r.Since), millis(r.Until)}
	marks := make([]string, len(r.Statuses))
	for i, st := range r.Statuses {
		args = append(args, string(st))
		marks[i] = fmt.Sprintf("$%d", len(args))
	}
	match := `account_id = $1 AND channel = 'webhook' AND is_test = 0 AND created_at >= $2 AND created_at <= $3
		AND status IN (` + strings.Join(marks, ",") + `)`
	n := len(args)
	update := fmt.Sprintf(`UPDATE deliveries SET status = 'pending', target = $%d, host = $%d, next_attempt_at = $%d, completed_at = NULL,
		lease_owner = '', lease_until = 0 WHERE id IN (SELECT id FROM deliveries WHERE %s ORDER BY created_at, id LIMIT %d)`,
		n+1, n+2, n+3, match, r.Limit)
	err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, update, append(args, s.sealTarget(herald.ChannelWebhook, r.Target), HostOf(herald.ChannelWebhook, r.Target), millis(r.Now))...)
		if err != nil {
			return err
		}
		m, err := res.RowsAffected()
		if err != nil {
			return err
		}
		replayed = int(m)
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM deliveries WHERE `+match, args...).Scan(&remaining); err != nil {
			return err
		}
		if replayed > 0 && s.dialect == Postgres {
			_, err = tx.ExecContext(ctx, `SELECT pg_notify('`+notifyChannel+`', '')`)
		}
		return err
	})
	if err != nil {
		return 0, 0, wrap("replay", err)
	}
	if replayed > 0 {
		s.notify(ctx)
	}
	return replayed, remaining, nil
}
