package store

import (
	"context"
	"maps"
	"slices"
	"time"
)

// recordSuccessesPG folds, on PostgreSQL, the results of the accounts
// whose batch holds only successes into their health in one statement,
// for those whose webhook is healthy already (or has no health row yet):
// for them a success only moves last_success_at, and adds to the hour's
// counts. It returns the accounts it recorded; the others (failing or
// disabled, where a success may end a streak or skip waiting webhooks)
// take RecordWebhookResults' transaction, which reads and folds the row in
// Go. In a burst nearly every result is such a success, which took five
// statements per account and two more per batch.
//
// The upsert's WHERE is apply's rule for a success on a healthy row; a
// row that does not meet it is left as it is and not returned. Rows are
// locked in account order, as RecordWebhookResults locks them.
func (s *Store) recordSuccessesPG(ctx context.Context, byAccount map[int64][]WebhookResult) (map[int64]bool, error) {
	var accounts, latest, latestHours, countAccounts, hours []int64
	var attempts []int32
	for id, rs := range byAccount {
		if slices.ContainsFunc(rs, func(r WebhookResult) bool { return !r.Success }) {
			continue
		}
		accounts = append(accounts, id)
	}
	if len(accounts) == 0 {
		return nil, nil
	}
	slices.Sort(accounts)
	for _, id := range accounts {
		perHour := map[int64]int32{}
		var last, lastHour int64
		for _, r := range byAccount[id] {
			h := millis(r.At.Truncate(time.Hour))
			last, lastHour = max(last, millis(r.At)), max(lastHour, h)
			perHour[h]++
		}
		latest, latestHours = append(latest, last), append(latestHours, lastHour)
		// Hours countAttempts would count and drop at once are not counted.
		for _, h := range slices.Sorted(maps.Keys(perHour)) {
			if h >= lastHour-keepCounts {
				countAccounts, hours, attempts = append(countAccounts, id), append(hours, h), append(attempts, perHour[h])
			}
		}
	}
	st, err := s.writeStmt(ctx, recordSuccessesSQL)
	if err != nil {
		return nil, err
	}
	rows, err := st.QueryContext(ctx, accounts, latest, countAccounts, hours, attempts, latestHours, keepCounts)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	done := make(map[int64]bool, len(accounts))
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		done[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return done, rows.Close()
}

// recordSuccessesSQL: $1 the accounts, $2 each one's latest success; $3,
// $4, $5 attempts per account and hour (all succeeded); $6 each account's
// latest hour and $7 how long counts are kept, as countAttempts drops
// them.
const recordSuccessesSQL = `WITH healthy AS (INSERT INTO webhook_health AS h (account_id, last_success_at)
		SELECT * FROM unnest($1::bigint[], $2::bigint[]) ORDER BY 1
	ON CONFLICT (account_id) DO UPDATE SET last_success_at = GREATEST(h.last_success_at, excluded.last_success_at)
	WHERE h.consecutive_failures = 0 AND h.failing_since IS NULL AND h.failing_notice_at IS NULL AND h.disabled_at IS NULL
	RETURNING h.account_id),
counted AS (INSERT INTO webhook_attempt_counts AS c (account_id, hour, attempts, succeeded)
		SELECT u.a, u.h, u.n, u.n FROM unnest($3::bigint[], $4::bigint[], $5::int[]) AS u(a, h, n)
		WHERE u.a IN (SELECT account_id FROM healthy) ORDER BY 1, 2
	ON CONFLICT (account_id, hour) DO UPDATE SET attempts = c.attempts + excluded.attempts, succeeded = c.succeeded + excluded.succeeded),
dropped AS (DELETE FROM webhook_attempt_counts c USING unnest($1::bigint[], $6::bigint[]) AS l(a, h)
	WHERE c.account_id = l.a AND l.a IN (SELECT account_id FROM healthy) AND c.hour < l.h - $7)
SELECT account_id FROM healthy`
