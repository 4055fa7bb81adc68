package store

import "context"

// claimTakePG leases the picked deliveries ($4) that are still due at $3
// to $1 until $2, and returns them as jobs, in the order they fell due.
// FOR UPDATE SKIP LOCKED passes over rows another claim is taking; a row
// another claim took since the scan is no longer due when its lock is
// granted, and PostgreSQL checks the condition again then, so it is left
// out.
const claimTakePG = `WITH l AS (SELECT id, next_attempt_at AS due FROM deliveries
		WHERE id = ANY($4::text[]) AND status = 'pending' AND next_attempt_at <= $3 FOR UPDATE SKIP LOCKED),
	d AS (UPDATE deliveries SET lease_owner = $1, lease_until = $2, next_attempt_at = $2 FROM l WHERE deliveries.id = l.id
		RETURNING deliveries.*, l.due)
	SELECT ` + jobColumns + ` FROM d` + jobJoins + ` ORDER BY d.due, d.id`

// claimPG is Claim on PostgreSQL, where several processes may claim from
// one table: the scan reads due rows without locking them, the request
// picks among them, and one statement (claimTakePG, committed as its own
// transaction before it answers) locks, leases and reads the jobs it
// picked. Measured with heraldbench (one busy host): a scan locking what it
// read (FOR UPDATE SKIP LOCKED) locked about ten rows per row it leased,
// each lock a write to the table and the WAL, and a claim took six round
// trips (begin, scan, lease, commit, read the jobs, read signing keys)
// where it now takes three.
func (s *Store) claimPG(ctx context.Context, r ClaimRequest, scanLimit int, deep string, deepArgs []any) ([]Job, error) {
	scan, err := s.writeStmt(ctx, claimScan)
	if err != nil {
		return nil, wrap("claim", err)
	}
	rows, err := scan.QueryContext(ctx, millis(r.Now), scanLimit)
	if err != nil {
		return nil, wrap("claim", err)
	}
	ids, scanned, err := pick(rows, r, scanLimit)
	if err == nil && len(ids) == 0 && scanned == scanLimit && deep != "" {
		if rows, err = s.w.QueryContext(ctx, deep, deepArgs...); err != nil {
			return nil, wrap("claim", err)
		}
		ids, _, err = pick(rows, r, scanLimit)
	}
	if err != nil || len(ids) == 0 {
		return nil, wrap("claim", err)
	}
	take, err := s.writeStmt(ctx, claimTakePG)
	if err != nil {
		return nil, wrap("claim", err)
	}
	if rows, err = take.QueryContext(ctx, r.Owner, millis(r.Now.Add(r.Lease)), millis(r.Now), ids); err != nil {
		return nil, wrap("claim", err)
	}
	jobs, err := s.scanJobs(rows, len(ids))
	if err != nil {
		return nil, wrap("claim", err)
	}
	return jobs, s.withSigning(ctx, jobs, r.Now)
}
