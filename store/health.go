package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"herald"
)

// webhookStateExpr is an account's webhook state in SQL, over accounts a
// LEFT JOIN webhook_health h ON h.account_id = a.id (webhookHealthJoin):
// lists that show or filter by state use it, so the rule lives in one
// place beside state() below.
const (
	webhookHealthJoin = ` LEFT JOIN webhook_health h ON h.account_id = a.id`
	webhookStateExpr  = `CASE WHEN a.webhook_url = '' THEN 'none' WHEN h.disabled_at IS NOT NULL THEN 'disabled'
		WHEN h.consecutive_failures > 0 THEN 'failing' ELSE 'healthy' END`
)

// WebhookResult is how one webhook attempt went, for the health record.
type WebhookResult struct {
	AccountID int64
	At        time.Time // when the attempt completed
	Success   bool
	// Gone is a 410 answer: the receiver says the endpoint is gone for
	// good, which disables the webhook at once.
	Gone  bool
	Error string // why it failed, e.g. "HTTP 503"
}

// HealthPolicy says when a failing webhook is disabled and when its
// primary contact hears about it.
type HealthPolicy struct {
	// DisableAfter disables a webhook failing continuously this long
	// (from the first failure of the streak) with at least MinFailures
	// failed attempts; 0 never disables by time.
	DisableAfter time.Duration
	MinFailures  int // default 3
	// FailingNotice is the streak length that plans the failing notice;
	// 0 plans none.
	FailingNotice int
}

// HealthChange is a transition the primary contact is told about.
type HealthChange struct {
	AccountID int64
	// Disabled is set when the webhook was disabled.
	Disabled bool
	// FailingNotice is set when the streak reached the policy's
	// FailingNotice; it may come with Disabled, when both happened in the
	// same results (each has its own notice).
	FailingNotice bool
	Health        herald.WebhookHealth
	// Skipped counts the account's waiting webhooks that became skipped.
	Skipped int
}

// health is a webhook_health row.
type health struct {
	failures                               int
	lastSuccess, lastFailure, failingSince sql.NullInt64
	noticeAt                               sql.NullInt64 // failing_notice_at: the streak's notice is planned
	disabledAt                             sql.NullInt64
	lastError, disabledReason              string
}

const healthColumns = `h.consecutive_failures, h.last_success_at, h.last_failure_at, h.last_error, h.failing_since,
	h.failing_notice_at, h.disabled_at, h.disabled_reason`

func (h *health) dest() []any {
	return []any{&h.failures, &h.lastSuccess, &h.lastFailure, &h.lastError, &h.failingSince, &h.noticeAt, &h.disabledAt, &h.disabledReason}
}

func nullTime(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return fromMillis(n.Int64)
}

// public is the row as the domain shows it, for an account whose webhook
// URL is webhookURL.
func (h *health) public(webhookURL string) herald.WebhookHealth {
	out := herald.WebhookHealth{
		ConsecutiveFailures: h.failures, LastSuccessAt: nullTime(h.lastSuccess), LastFailureAt: nullTime(h.lastFailure),
		LastError: h.lastError, FailingSince: nullTime(h.failingSince), DisabledAt: nullTime(h.disabledAt), DisabledReason: h.disabledReason,
	}
	switch {
	case webhookURL == "":
		out.State = herald.WebhookNone
	case h.disabledAt.Valid:
		out.State = herald.WebhookDisabled
	case h.failures > 0:
		out.State = herald.WebhookFailing
	default:
		out.State = herald.WebhookHealthy
	}
	return out
}

// apply folds one attempt's result into the row and reports a transition
// the policy calls for. Results may arrive out of order from several
// workers: a failure older than the latest success is not part of a
// streak, and a success older than the streak's start does not end it.
func (h *health) apply(r WebhookResult, p HealthPolicy) (disabled, failingNotice bool) {
	at := millis(r.At)
	if r.Success {
		if !h.lastSuccess.Valid || at > h.lastSuccess.Int64 {
			h.lastSuccess = sql.NullInt64{Int64: at, Valid: true}
		}
		if !h.failingSince.Valid || at >= h.failingSince.Int64 {
			h.failures, h.failingSince, h.noticeAt = 0, sql.NullInt64{}, sql.NullInt64{}
		}
		return false, false
	}
	if !h.lastFailure.Valid || at >= h.lastFailure.Int64 {
		h.lastFailure = sql.NullInt64{Int64: at, Valid: true}
		h.lastError = r.Error
	}
	if h.lastSuccess.Valid && at < h.lastSuccess.Int64 {
		return false, false
	}
	h.failures++
	if !h.failingSince.Valid || at < h.failingSince.Int64 {
		h.failingSince = sql.NullInt64{Int64: at, Valid: true}
	}
	if h.disabledAt.Valid {
		return false, false
	}
	span := time.Duration(at-h.failingSince.Int64) * time.Millisecond
	switch {
	case r.Gone:
		h.disable(at, "the endpoint answered 410 Gone")
		disabled = true
	case p.DisableAfter > 0 && span >= p.DisableAfter && h.failures >= cmp.Or(p.MinFailures, 3):
		h.disable(at, fmt.Sprintf("every attempt failed for %s (%d in a row); the last: %s", spanText(span), h.failures, r.Error))
		disabled = true
	}
	if p.FailingNotice > 0 && h.failures >= p.FailingNotice && !h.noticeAt.Valid {
		h.noticeAt = sql.NullInt64{Int64: at, Valid: true}
		failingNotice = true
	}
	return disabled, failingNotice
}

func (h *health) disable(at int64, reason string) {
	h.disabledAt = sql.NullInt64{Int64: at, Valid: true}
	h.disabledReason = reason
}

// spanText writes a duration the way people say it: "5 days", "3 hours",
// "90s".
func spanText(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
	case d >= 2*time.Hour:
		return fmt.Sprintf("%d hours", int(d/time.Hour))
	case d >= 2*time.Minute:
		return fmt.Sprintf("%d minutes", int(d/time.Minute))
	}
	return d.Round(time.Second).String()
}

// RecordWebhookResults folds webhook attempts into their accounts' health
// and 24-hour counts, in one transaction per call. It disables webhooks
// the policy says to (a 410, or failing too long), turns the account's
// waiting webhooks into skipped ones while it is disabled, and returns the
// transitions the primary contact must hear about.
func (s *Store) RecordWebhookResults(ctx context.Context, results []WebhookResult, p HealthPolicy) ([]HealthChange, error) {
	if len(results) == 0 {
		return nil, nil
	}
	byAccount := map[int64][]WebhookResult{}
	for _, r := range results {
		byAccount[r.AccountID] = append(byAccount[r.AccountID], r)
	}
	if s.dialect == Postgres {
		done, err := s.recordSuccessesPG(ctx, byAccount)
		if err != nil {
			return nil, wrap("record webhook results", err)
		}
		for id := range done {
			delete(byAccount, id)
		}
		if len(byAccount) == 0 {
			return nil, nil
		}
	}
	ids := make([]int64, 0, len(byAccount))
	for id := range byAccount {
		ids = append(ids, id)
	}
	slices.Sort(ids) // a fixed lock order: two workers cannot deadlock
	lock := ""
	if s.dialect == Postgres {
		lock = " FOR UPDATE OF h"
	}
	// Every worker batch runs these: prepared once, not parsed again on
	// each call (1.8% of Herald's CPU in a webhook burst).
	var st [5]*sql.Stmt
	for i, q := range []string{
		`INSERT INTO webhook_health (account_id) VALUES ($1) ON CONFLICT DO NOTHING`,
		`SELECT a.webhook_url, ` + healthColumns + ` FROM accounts a JOIN webhook_health h ON h.account_id = a.id WHERE a.id = $1` + lock,
		`UPDATE webhook_health SET consecutive_failures = $1, last_success_at = $2, last_failure_at = $3,
			last_error = $4, failing_since = $5, failing_notice_at = $6, disabled_at = $7, disabled_reason = $8 WHERE account_id = $9`,
		countAttemptsSQL, dropCountsSQL,
	} {
		var err error
		if st[i], err = s.writeStmt(ctx, q); err != nil {
			return nil, wrap("record webhook results", err)
		}
	}
	var changes []HealthChange
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		changes = changes[:0]
		ensure, read, update := tx.StmtContext(ctx, st[0]), tx.StmtContext(ctx, st[1]), tx.StmtContext(ctx, st[2])
		count, drop := tx.StmtContext(ctx, st[3]), tx.StmtContext(ctx, st[4])
		for _, id := range ids {
			rs := byAccount[id]
			slices.SortFunc(rs, func(a, b WebhookResult) int { return a.At.Compare(b.At) })
			if _, err := ensure.ExecContext(ctx, id); err != nil {
				return err
			}
			var h health
			var webhookURL string
			err := read.QueryRowContext(ctx, id).Scan(append([]any{&webhookURL}, h.dest()...)...)
			if err != nil {
				return err
			}
			wasDisabled := h.disabledAt.Valid
			var change *HealthChange
			for _, r := range rs {
				disabled, notice := h.apply(r, p)
				if (disabled || notice) && change == nil {
					change = &HealthChange{AccountID: id}
				}
				if change != nil {
					change.Disabled = change.Disabled || disabled
					change.FailingNotice = change.FailingNotice || notice
				}
			}
			if h.disabledAt.Valid != wasDisabled {
				accountsChanged(ctx) // ingest plans its webhooks as skipped from now
			}
			_, err = update.ExecContext(ctx, h.failures, h.lastSuccess, h.lastFailure, textSafe(h.lastError), h.failingSince, h.noticeAt, h.disabledAt, textSafe(h.disabledReason), id)
			if err != nil {
				return err
			}
			if err := countAttempts(ctx, count, drop, id, rs); err != nil {
				return err
			}
			skipped := 0
			if h.disabledAt.Valid {
				// Also after the transition: a retry scheduled by an
				// attempt that was in flight when it happened.
				if skipped, err = skipWaiting(ctx, tx, id, h.disabledReason, rs[len(rs)-1].At); err != nil {
					return err
				}
			}
			if change != nil && (!change.Disabled || !wasDisabled) {
				change.Health = h.public(webhookURL)
				change.Skipped = skipped
				changes = append(changes, *change)
			}
		}
		return nil
	})
	if err != nil {
		return nil, wrap("record webhook results", err)
	}
	return changes, nil
}

// countAttempts adds the results to their hours' counts and drops counts
// older than two days.
func countAttempts(ctx context.Context, count, drop *sql.Stmt, accountID int64, rs []WebhookResult) error {
	type bucket struct{ attempts, succeeded int }
	hours := map[int64]*bucket{}
	var latest int64
	for _, r := range rs {
		h := millis(r.At.Truncate(time.Hour))
		latest = max(latest, h)
		if hours[h] == nil {
			hours[h] = &bucket{}
		}
		hours[h].attempts++
		if r.Success {
			hours[h].succeeded++
		}
	}
	for h, b := range hours {
		_, err := count.ExecContext(ctx, accountID, h, b.attempts, b.succeeded)
		if err != nil {
			return err
		}
	}
	_, err := drop.ExecContext(ctx, accountID, latest-keepCounts)
	return err
}

// keepCounts is how long (ms) attempt counts are kept before the latest
// hour counted.
const keepCounts = 48 * int64(time.Hour/time.Millisecond)

// countAttemptsSQL adds to an hour's counts; dropCountsSQL drops the
// counts older than two days.
const (
	countAttemptsSQL = `INSERT INTO webhook_attempt_counts (account_id, hour, attempts, succeeded) VALUES ($1, $2, $3, $4)
		ON CONFLICT (account_id, hour) DO UPDATE SET attempts = webhook_attempt_counts.attempts + excluded.attempts,
		succeeded = webhook_attempt_counts.succeeded + excluded.succeeded`
	dropCountsSQL = `DELETE FROM webhook_attempt_counts WHERE account_id = $1 AND hour < $2`
)

// skipWaiting makes the account's webhooks that wait for a try (not in a
// worker's hands, tests aside) skipped, saying why.
func skipWaiting(ctx context.Context, tx *sql.Tx, accountID int64, reason string, now time.Time) (int, error) {
	res, err := tx.ExecContext(ctx, `UPDATE deliveries SET status = 'skipped', error = $1, completed_at = $2, next_attempt_at = 0
		WHERE account_id = $3 AND channel = 'webhook' AND status = 'pending' AND is_test = 0 AND lease_owner = ''`,
		textSafe(DisabledError(reason)), millis(now), accountID)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// DisabledError is the error of a webhook skipped because the account's
// webhook is disabled.
func DisabledError(reason string) string {
	return "not sent: the webhook is disabled (" + reason + "); turn it back on and replay"
}

// WebhookHealth returns the account's webhook state and counters, with
// the attempts of the 24 hours before now.
func (s *Store) WebhookHealth(ctx context.Context, accountID int64, now time.Time) (herald.WebhookHealth, error) {
	var h health
	var webhookURL string
	var failures sql.NullInt64
	var lastError, reason sql.NullString
	dest := h.dest()
	dest[0], dest[3], dest[7] = &failures, &lastError, &reason // NULL without a row
	err := s.r.QueryRowContext(ctx, `SELECT a.webhook_url, `+healthColumns+` FROM accounts a`+webhookHealthJoin+` WHERE a.id = $1`, accountID).
		Scan(append([]any{&webhookURL}, dest...)...)
	if errors.Is(err, sql.ErrNoRows) {
		return herald.WebhookHealth{}, herald.ErrNotFound
	}
	if err != nil {
		return herald.WebhookHealth{}, wrap("webhook health", err)
	}
	h.failures, h.lastError, h.disabledReason = int(failures.Int64), lastError.String, reason.String
	out := h.public(webhookURL)
	var attempts, succeeded sql.NullInt64
	err = s.r.QueryRowContext(ctx, `SELECT sum(attempts), sum(succeeded) FROM webhook_attempt_counts WHERE account_id = $1 AND hour > $2`,
		accountID, millis(now.Add(-24*time.Hour))).Scan(&attempts, &succeeded)
	out.Attempts24h, out.Succeeded24h = int(attempts.Int64), int(succeeded.Int64)
	return out, wrap("webhook health", err)
}

// WebhookStates returns the webhook state of each of the accounts (for
// account lists); ids that name no account are left out.
func (s *Store) WebhookStates(ctx context.Context, accountIDs []int64) (map[int64]herald.WebhookState, error) {
	out := make(map[int64]herald.WebhookState, len(accountIDs))
	for chunk := range slices.Chunk(accountIDs, 500) {
		args := make([]any, len(chunk))
		marks := make([]string, len(chunk))
		for i, id := range chunk {
			args[i], marks[i] = id, fmt.Sprintf("$%d", i+1)
		}
		rows, err := s.r.QueryContext(ctx, `SELECT a.id, `+webhookStateExpr+` FROM accounts a`+webhookHealthJoin+
			` WHERE a.id IN (`+strings.Join(marks, ",")+`)`, args...)
		if err != nil {
			return nil, wrap("webhook states", err)
		}
		for rows.Next() {
			var id int64
			var st herald.WebhookState
			if err := rows.Scan(&id, &st); err != nil {
				rows.Close()
				return nil, wrap("webhook states", err)
			}
			out[id] = st
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, wrap("webhook states", err)
		}
	}
	return out, nil
}

// EnableWebhook turns the account's webhook back on, counters reset:
// the next failure starts a new streak. herald.ErrNotFound when there is
// no such account.
func (s *Store) EnableWebhook(ctx context.Context, accountID int64) error {
	return wrap("enable webhook", s.Transact(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM accounts WHERE id = $1`, accountID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return herald.ErrNotFound
		}
		return resetHealth(ctx, tx, accountID)
	}))
}

// resetHealth ends any streak and turns the webhook on; the last success
// and failure stay, as history.
func resetHealth(ctx context.Context, tx *sql.Tx, accountID int64) error {
	_, err := tx.ExecContext(ctx, `UPDATE webhook_health SET consecutive_failures = 0, failing_since = NULL, failing_notice_at = NULL,
		disabled_at = NULL, disabled_reason = '' WHERE account_id = $1`, accountID)
	return err
}
