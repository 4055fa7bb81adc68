package store

import (
	"time"

	"herald"
)

// Handoff asks Insert to give the event's deliveries straight to a worker
// of this process: the rows are written already leased to Owner until
// Until, as a claim would have left them, and Insert returns them as Jobs.
// The worker sends them without a claim. A claim was a scan and an UPDATE
// of each row in the single writer's transactions, then a read of the jobs
// by id: measured at 13% of Herald's CPU in a webhook-only burst on SQLite,
// and a transaction of its own for the writer to commit.
//
// Nothing changes for durability: the rows are committed before ingest
// answers, exactly as before, and are only leased. If the process dies
// they are released like any other lease it held (heartbeat.go in
// dispatch); if it stops, Unregister hands them back; and if the worker
// never gets them (the ingest call's context ended before the commit was
// known), they become due again when the lease runs out.
//
// The keys that sign the webhooks come with the recipients ingest planned
// from (Recipients.signing): a signing change touches the account's row,
// so a copy kept on PostgreSQL is found stale by the insert's check
// (pgrecipients.go), and one kept on SQLite is dropped (Transact).
type Handoff struct {
	Owner string
	Until time.Time
}

// DueAtOnce reports whether a worker may send d as soon as it is written:
// pending, due when created. Insert leases these (but emails waiting for
// a digest) to a Handoff's worker, which keeps room for them beforehand.
func DueAtOnce(d herald.Delivery) bool {
	return d.Status == herald.StatusPending && (d.NextAttemptAt.IsZero() || d.NextAttemptAt.Equal(d.CreatedAt))
}

// holds reports whether the email d may wait for a digest (decided in the
// transaction), which only the claim may then take.
func (h *digestHold) holds(d herald.Delivery) bool {
	if h == nil {
		return false
	}
	for _, e := range h.emails {
		if e.ID == d.ID {
			return true
		}
	}
	return false
}

// jobs are the rows ins leased, as the claim would have read them (see
// jobColumns): the delivery as stored, its event's payload, and what the
// send needs of the account from r, the recipients ds were planned from.
func (ins *eventInsert) jobs(r Recipients, ds []herald.Delivery) []Job {
	h := ins.handoff
	if h == nil {
		return nil
	}
	var jobs []Job
	contact := ""
	if c := r.Company.PrimaryContact; c != nil {
		contact = c.Email
	}
	for i, row := range ins.rows {
		if row.leaseOwner == "" {
			continue
		}
		d := ds[i]
		d.NextAttemptAt, d.DigestWindow = time.Time{}, 0
		j := Job{Delivery: d, Host: row.host, Payload: ins.ev.Payload, AccountName: r.Account.Name, ContactEmail: contact,
			RetryWebhooks: r.Settings.RetryFailedWebhooks, LeaseUntil: fromMillis(row.leaseUntil)}
		if d.Channel == herald.ChannelWebhook {
			j.Signing = signingAt(r.signing, d.CreatedAt)
		}
		jobs = append(jobs, j)
	}
	return jobs
}

// signingAt is keys without those whose overlap ended by now, as the
// claim's read leaves them out; nil when none sign.
func signingAt(keys []herald.SigningKey, now time.Time) []herald.SigningKey {
	var out []herald.SigningKey
	for _, k := range keys {
		if k.ExpiresAt.IsZero() || k.ExpiresAt.After(now) {
			out = append(out, k)
		}
	}
	return out
}

// claimable reports whether ins leaves deliveries due for a claim.
func (ins *eventInsert) claimable() bool {
	leased := 0
	for _, r := range ins.rows {
		if r.leaseOwner != "" {
			leased++
		}
	}
	return ins.due > leased
}
