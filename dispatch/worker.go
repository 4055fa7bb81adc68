package dispatch

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"strings"
	"time"

	"herald"
	"herald/catalog"
	"herald/email"
	"herald/store"
	"herald/webhook"
)

// Mailer sends one rendered email; *email.SMTP is one.
type Mailer interface {
	Send(ctx context.Context, m email.Message) error
}

// Observer is told what the worker does, for metrics; nil observes
// nothing.
type Observer interface {
	Delivered(channel herald.Channel, status herald.Status, endToEnd, call time.Duration)
	// Taken counts n deliveries taken on, how: "handed_over" by ingest
	// (handoff.go) or "claimed" from the database.
	Taken(how string, n int)
}

// DefaultPerHost is how many webhooks a worker sends to one host at once
// unless configured otherwise.
const DefaultPerHost = 32

// WorkerConfig wires a Worker. Store, Webhooks and Renderer are required.
type WorkerConfig struct {
	Store    *store.Store
	Webhooks *webhook.Sender
	Renderer *email.Renderer
	// SMTP sends emails; nil keeps them in the built-in outbox.
	SMTP Mailer
	// PublicURL is how browsers reach Herald (HERALD_PUBLIC_URL): emails
	// link to the settings tab and to unsubscribing under it; "" leaves
	// the links out.
	PublicURL string
	// Owner names this worker in leases; "" means host-pid-random.
	Owner string
	// Concurrency bounds the deliveries a worker holds, sending or
	// waiting (default 256); PerHost bounds the sends to one webhook host
	// (default 32). A host may have PerHost more waiting, or 3 × PerHost
	// while its answers come fast, so a slow or black-holed endpoint holds
	// at most 2 × PerHost and a fast one is claimed for in big batches.
	Concurrency, PerHost int
	// Lease is how long a claimed job is this worker's alone; it must
	// outlast a send. Default: 2 × WebhookTimeout + 30s.
	Lease          time.Duration
	WebhookTimeout time.Duration // default 10s
	// SMTPTimeout bounds one email send (default 30s). EmailRetry is
	// when a transient SMTP failure (4xx, connection error, timeout) is
	// tried again: nil means DefaultEmailRetrySchedule (over 24 h), empty
	// means never. A permanent one (5xx) fails at once.
	SMTPTimeout time.Duration
	EmailRetry  Schedule
	// Poll is how often an idle worker looks for retries and expired
	// leases, which nobody announces (default 1s).
	Poll time.Duration
	// Heartbeat is how often the worker records that it is alive
	// (default 500ms); a worker silent for DeadAfter (default 3s) is
	// presumed dead, and the others release its leases at once rather
	// than wait for them to run out. See heartbeat.go.
	Heartbeat, DeadAfter time.Duration
	Logger               *slog.Logger
	Observer             Observer
	Now                  func() time.Time

	// RetrySchedule is the delays before each retry of a failed webhook
	// of an account that opted in (default DefaultRetrySchedule), each
	// moved by up to ±20%.
	RetrySchedule Schedule
	// HostSlowdown is how long a 429, 502 or 504 from a host limits the
	// webhooks to it to one at a time (default 1m).
	HostSlowdown time.Duration
	// Health says when a failing webhook is disabled (default: after
	// 120h with at least 3 failures) and when its primary contact is told
	// it keeps failing (default: 10 in a row).
	Health store.HealthPolicy
}

// Worker claims due deliveries from the store, sends them, and records
// each outcome. Several workers, in one process or many sharing a
// PostgreSQL database, can run at once.
type Worker struct {
	cfg     WorkerConfig
	signers webhook.SignerCache
	retry   retryPolicy
	out     chan finished   // outcomes to record
	sent    chan sendResult // each send that returned
	beat    beats
	q       *slots // what the worker holds; see slots.go
}

type sendResult struct {
	host string
	took time.Duration
	slow bool // the host said it is overloaded (429, 502, 504)
}

type finished struct {
	outcome store.Outcome
	job     store.Job
	call    time.Duration
	health  *store.WebhookResult // a webhook's result, tests aside
}

// NewWorker returns a Worker for cfg, defaults filled in.
func NewWorker(cfg WorkerConfig) *Worker {
	cfg.Concurrency = cmp.Or(cfg.Concurrency, 256)
	cfg.PerHost = cmp.Or(cfg.PerHost, DefaultPerHost)
	cfg.WebhookTimeout = cmp.Or(cfg.WebhookTimeout, 10*time.Second)
	cfg.Lease = cmp.Or(cfg.Lease, 2*cfg.WebhookTimeout+30*time.Second)
	cfg.SMTPTimeout = cmp.Or(cfg.SMTPTimeout, 30*time.Second)
	if cfg.EmailRetry == nil {
		cfg.EmailRetry = DefaultEmailRetrySchedule
	}
	cfg.Poll = cmp.Or(cfg.Poll, time.Second)
	cfg.Heartbeat = cmp.Or(cfg.Heartbeat, 500*time.Millisecond)
	cfg.DeadAfter = cmp.Or(cfg.DeadAfter, 3*time.Second)
	cfg.HostSlowdown = cmp.Or(cfg.HostSlowdown, time.Minute)
	cfg.Health.DisableAfter = cmp.Or(cfg.Health.DisableAfter, DefaultDisableAfter)
	cfg.Health.MinFailures = cmp.Or(cfg.Health.MinFailures, 3)
	cfg.Health.FailingNotice = cmp.Or(cfg.Health.FailingNotice, DefaultFailingNotice)
	cfg.Logger = cmp.Or(cfg.Logger, slog.New(slog.DiscardHandler))
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Owner == "" {
		host, _ := os.Hostname()
		cfg.Owner = fmt.Sprintf("%s-%d-%08x", host, os.Getpid(), rand.Uint32())
	}
	w := &Worker{cfg: cfg, retry: newRetryPolicy(cfg.RetrySchedule), out: make(chan finished, 2*cfg.Concurrency), sent: make(chan sendResult, cfg.Concurrency)}
	w.q = newSlots(w)
	return w
}

// Lease is how long a claimed job is the worker's alone.
func (w *Worker) Lease() time.Duration { return w.cfg.Lease }

// Run delivers until ctx ends, then stops claiming, lets the deliveries in
// flight finish and records them, and returns. Whatever it could not
// record stays leased and is picked up again when the lease runs out.
//
// Two things keep one busy host fast without a database round trip per
// delivery (measured with heraldbench: 820 webhooks/s to one host before,
// when every finished send freed one slot that the next claim refilled):
// a slot is freed as soon as its send returns, not when its outcome is
// written (recording is batched, and bounded separately); and a host may
// have up to PerHost claimed jobs waiting beside the PerHost it is sending,
// started as slots free, so claims come in batches. A waiting job holds
// its lease for at most one send's time before it starts.
func (w *Worker) Run(ctx context.Context) error {
	wake := w.cfg.Store.Wakeups()
	done := make(chan struct{})
	recorded := make(chan int, 2*w.cfg.Concurrency)
	go w.record(done, recorded)
	stopBeating := w.startHeartbeats(ctx)
	defer stopBeating()

	q := w.q
	q.setOpen(true)
	var lastDeep time.Time
	timer := time.NewTimer(0)
	defer timer.Stop()
	stopping := ctx.Done()
	claimNow := true
	// backlog: due deliveries may be left that the last claim did not
	// take (it took some, or a busy host had no room). Else the next
	// claim waits for a wake-up or the poll: deliveries handed over by
	// ingest (handoff.go) need none.
	backlog := true
	var lastEmpty time.Time // a claim found nothing it had room for
	dbDown := false         // the last claim found the database unreachable
	for {
		q.mu.Lock()
		held, unrecorded := q.held(), q.unrecorded
		q.mu.Unlock()
		if stopping != nil && claimNow && held < w.cfg.Concurrency && unrecorded < 2*w.cfg.Concurrency && w.alive(w.cfg.Now()) {
			limit := q.claimRoom()
			jobs, err := w.claim(ctx, q, limit, &lastDeep)
			if ctx.Err() == nil {
				dbDown = w.logClaim(err, dbDown)
			}
			if len(jobs) > 0 && w.cfg.Observer != nil {
				w.cfg.Observer.Taken("claimed", len(jobs))
			}
			q.mu.Lock()
			q.claiming = 0
			q.unrecorded += len(jobs)
			for _, j := range jobs {
				q.add(j)
			}
			busy := q.busy()
			more := len(jobs) > 0 && q.held() < w.cfg.Concurrency
			q.mu.Unlock()
			backlog = len(jobs) > 0 || busy || err != nil
			if len(jobs) == 0 && busy {
				lastEmpty = time.Now()
			}
			if more {
				continue // more may be due right now
			}
		}
		if stopping == nil {
			q.mu.Lock()
			idle := q.unrecorded == 0 && q.reserved == 0
			q.mu.Unlock()
			if idle {
				close(w.out)
				<-done // the recorder has returned
				if c, ok := w.cfg.SMTP.(io.Closer); ok {
					c.Close() // says QUIT on its idle connections
				}
				return nil
			}
		}
		timer.Reset(w.cfg.Poll)
		claimNow = false
		select {
		case <-wake:
			// While a busy host's backlog fills the scan, claiming on
			// every ingest (thousands a second in a burst) finds nothing
			// and keeps the database busy; wait a moment instead.
			if wait := wakeDebounce - time.Since(lastEmpty); wait > 0 {
				timer.Reset(wait)
			} else {
				claimNow = true
			}
		case r := <-w.sent:
			q.mu.Lock()
			q.done(r)
			// Take every send that has returned meanwhile before the next
			// (blocking) claim: handling one per claim had capped a busy
			// host at one new send per database round trip.
		drain:
			for {
				select {
				case r := <-w.sent:
					q.done(r)
				default:
					break drain
				}
			}
			// Claim again once a batch's worth of room has opened, or
			// when nothing is left waiting.
			claimNow = backlog && (q.queued == 0 || w.cfg.Concurrency-q.held() >= claimBatch)
			q.mu.Unlock()
		case n := <-recorded:
			q.mu.Lock()
			q.unrecorded -= n
			q.mu.Unlock()
		case <-q.poke:
			// A handoff ended while stopping: see whether all is done.
		case <-timer.C:
			claimNow = true
		case <-stopping:
			stopping = nil
			q.setOpen(false)
		}
	}
}

// logClaim logs a failed claim. While the database cannot be reached the
// worker keeps polling, and says so once when it goes and once when it is
// back, not once a poll.
func (w *Worker) logClaim(err error, down bool) bool {
	switch {
	case err == nil && down:
		w.cfg.Logger.Info("database reachable again; delivering")
		return false
	case err == nil:
		return false
	case store.Unavailable(err):
		if !down {
			w.cfg.Logger.Warn("database unreachable; deliveries wait until it is back", "err", err)
		}
		return true
	default:
		w.cfg.Logger.Error("claiming deliveries failed", "err", err)
		return down
	}
}

// claimBatch is how much room opens before the next claim.
const claimBatch = 16

// wakeDebounce is the longest an ingest waits to be claimed while a busy
// host blocks the claim.
const wakeDebounce = 5 * time.Millisecond

func (w *Worker) claim(ctx context.Context, q *slots, limit int, lastDeep *time.Time) ([]store.Job, error) {
	var busy []string
	q.mu.Lock()
	for h := range q.perHost {
		if h != "" && q.room(h) <= 0 {
			busy = append(busy, h)
		}
	}
	q.mu.Unlock()
	now := w.cfg.Now()
	deep := len(busy) > 0 && now.Sub(*lastDeep) >= w.cfg.Poll
	if deep {
		*lastDeep = now
	}
	return w.cfg.Store.Claim(ctx, store.ClaimRequest{
		Owner: w.cfg.Owner,
		Now:   now,
		Lease: w.cfg.Lease,
		Limit: min(limit, 256),
		Room:  q.lockedRoom,
		Busy:  busy,
		Deep:  deep,
	})
}

// record writes outcomes in batches as deliveries finish and reports how
// many it wrote back to Run. It returns when w.out is closed and drained.
func (w *Worker) record(done chan<- struct{}, recorded chan<- int) {
	defer close(done)
	for f := range w.out {
		batch := make([]finished, 1, 1+min(len(w.out), 255))
		batch[0] = f
	drain:
		for len(batch) < 256 {
			select {
			case f, ok := <-w.out:
				if !ok {
					break drain
				}
				batch = append(batch, f)
			default:
				break drain
			}
		}
		outcomes := make([]store.Outcome, len(batch))
		for i, f := range batch {
			outcomes[i] = f.outcome
		}
		w.complete(outcomes)
		now := w.cfg.Now()
		for _, f := range batch {
			if w.cfg.Observer != nil && f.outcome.Status != herald.StatusPending {
				w.cfg.Observer.Delivered(f.job.Delivery.Channel, f.outcome.Status, now.Sub(f.job.Delivery.CreatedAt), f.call)
			}
		}
		w.recordHealth(batch)
		recorded <- len(batch)
	}
}

// complete writes outcomes, retrying a failing database: a delivery
// whose outcome is lost is sent again once its lease runs out. While the
// database cannot be reached (a PostgreSQL restart, a locked SQLite file)
// it keeps trying for a lease's time and half a minute more (until a
// worker takes the jobs over again the outcome still applies, and spares
// a second send); other errors get a few tries.
func (w *Worker) complete(outcomes []store.Outcome) {
	backoff := 50 * time.Millisecond
	start := time.Now()
	for try := 0; ; try++ {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := w.cfg.Store.Complete(ctx, outcomes)
		cancel()
		if err == nil {
			return
		}
		if try >= 8 && (!store.Unavailable(err) || time.Since(start) > w.cfg.Lease+30*time.Second) {
			w.cfg.Logger.Error("recording delivery outcomes failed; they will be sent again when their leases expire", "count", len(outcomes), "err", err)
			return
		}
		w.cfg.Logger.Warn("recording delivery outcomes failed; retrying", "err", err)
		time.Sleep(backoff)
		backoff = min(2*backoff, 500*time.Millisecond)
	}
}

// deliver sends one job and hands its outcome to the recorder. It runs
// without Run's context: a delivery in flight at shutdown is finished, not
// abandoned (its own timeouts bound it).
func (w *Worker) deliver(j store.Job) {
	start := w.cfg.Now()
	var o store.Outcome
	var health *store.WebhookResult
	switch j.Delivery.Channel {
	case herald.ChannelWebhook:
		o, health = w.sendWebhook(j, start)
	default:
		o = w.sendEmail(j, start)
		o.Digest = carriesDigest(j)
	}
	o.DeliveryID, o.Owner = j.Delivery.ID, w.cfg.Owner
	o.Attempt.ID, o.Attempt.DeliveryID = herald.NewID("att_", start), j.Delivery.ID
	o.Attempt.StartedAt = start
	w.sent <- sendResult{j.Host, o.Attempt.Latency, slowsHost(o.Attempt.ResponseStatus)}
	w.out <- finished{outcome: o, job: j, call: o.Attempt.Latency, health: health}
}

// WebhookHeaders are the informational headers every webhook carries:
// which event it is and which delivery, so receivers can deduplicate a
// delivery sent twice (possible after a crash). None authenticates.
func WebhookHeaders(d herald.Delivery) http.Header {
	wire := string(d.EventKey)
	if e := catalog.ByKey(d.EventKey); e != nil {
		wire = e.Type
	}
	return http.Header{"X-Herald-Event": {wire}, "X-Herald-Delivery": {d.ID}}
}

// sendWebhook sends j and returns its outcome (pending again when the
// account retries and the schedule has not ended) and, but for tests, the
// result the webhook's health is kept from.
func (w *Worker) sendWebhook(j store.Job, start time.Time) (store.Outcome, *store.WebhookResult) {
	d := j.Delivery
	res := w.cfg.Webhooks.Send(context.Background(), webhook.Request{URL: d.Target, Body: j.Payload, Header: WebhookHeaders(d),
		ID: d.ID, Signer: w.signers.Signer(j.Signing)})
	o := store.Outcome{Status: webhookStatus(res), Attempt: WebhookAttempt(d.Target, res, start)}
	end := o.Attempt.CompletedAt
	if !res.Success && j.RetryWebhooks && !d.IsTest && res.StatusCode != http.StatusGone {
		if at, ok := w.retry.next(d.Attempts+1, end, res.ResponseHeader); ok {
			o.Status, o.RetryAt = herald.StatusPending, at
		}
	}
	if d.IsTest {
		return o, nil
	}
	return o, &store.WebhookResult{AccountID: d.AccountID, At: end, Success: res.Success, Gone: res.StatusCode == http.StatusGone, Error: res.Error}
}

func webhookStatus(res webhook.Result) herald.Status {
	if res.Success {
		return herald.StatusSucceeded
	}
	return herald.StatusFailed
}

// WebhookAttempt is the log entry of a webhook send.
func WebhookAttempt(target string, res webhook.Result, start time.Time) herald.Attempt {
	return herald.Attempt{
		StartedAt:       start,
		CompletedAt:     start.Add(res.Latency),
		Target:          herald.MaskURL(target),
		RequestHeaders:  res.RequestHeader,
		ResponseStatus:  res.StatusCode,
		ResponseHeaders: res.ResponseHeader,
		ResponseBody:    string(res.ResponseBody),
		Error:           res.Error,
		Latency:         res.Latency,
	}
}

// links fills in an email's footer links: for a subscriber, the
// one-click unsubscribe URL, its token stored before any email carries
// it; for the primary contact, who gets every event and cannot
// unsubscribe, the settings tab. Without a public URL there are none.
func (w *Worker) links(n *email.Notification, j store.Job) error {
	base := strings.TrimRight(w.cfg.PublicURL, "/")
	d := j.Delivery
	if base == "" {
		return nil
	}
	if strings.EqualFold(d.Target, j.ContactEmail) {
		n.SettingsURL = SettingsURL(base, d.AccountID)
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), w.cfg.SMTPTimeout)
	defer cancel()
	token, err := w.cfg.Store.UnsubscribeToken(ctx, d.AccountID, d.EventKey, d.Target)
	if err != nil {
		return err
	}
	n.UnsubscribeURL = UnsubscribeURL(base, token)
	return nil
}

// SettingsURL is the account's Notifications & Webhooks tab under
// publicURL, which the primary contact's emails link to.
func SettingsURL(publicURL string, accountID int64) string {
	return fmt.Sprintf("%s/accounts/%d/notifications", strings.TrimRight(publicURL, "/"), accountID)
}

// UnsubscribeURL is a subscriber's one-click unsubscribe link under
// publicURL.
func UnsubscribeURL(publicURL, token string) string {
	return strings.TrimRight(publicURL, "/") + "/unsubscribe/" + token
}

func (w *Worker) sendEmail(j store.Job, start time.Time) store.Outcome {
	d := j.Delivery
	fail := func(err error) store.Outcome {
		end := w.cfg.Now()
		return store.Outcome{Status: herald.StatusFailed, Attempt: herald.Attempt{Target: d.Target, CompletedAt: end, Latency: end.Sub(start), Error: err.Error()}}
	}
	var msg email.Message
	var err error
	if d.EventKey.IsNotice() {
		msg, err = w.renderNotice(j, start)
	} else {
		n := email.Notification{EventKey: d.EventKey, AccountName: j.AccountName, Payload: j.Payload, DeliveryID: d.ID}
		if err := w.links(&n, j); err != nil {
			// The database is failing; the email can wait for it.
			end := w.cfg.Now()
			return w.emailRetry(d, herald.Attempt{Target: d.Target, CompletedAt: end, Latency: end.Sub(start), Error: err.Error()}, end)
		}
		msg, err = w.renderEmail(j, n, start)
		if errors.Is(err, errDigestUnread) {
			end := w.cfg.Now()
			return w.emailRetry(d, herald.Attempt{Target: d.Target, CompletedAt: end, Latency: end.Sub(start), Error: err.Error()}, end)
		}
	}
	if err != nil {
		return fail(err)
	}
	att := herald.Attempt{Target: d.Target, RequestHeaders: map[string][]string{
		"From": {msg.From}, "To": {msg.To}, "Subject": {msg.Subject}, "Message-ID": {"<" + msg.MessageID + ">"},
	}}
	if w.cfg.SMTP == nil {
		raw, err := msg.Bytes()
		if err != nil {
			return fail(err)
		}
		end := w.cfg.Now()
		att.CompletedAt, att.Latency = end, end.Sub(start)
		return store.Outcome{Status: herald.StatusSucceeded, Attempt: att, Outbox: &store.OutboxMessage{
			ID: herald.NewID("msg_", start), DeliveryID: d.ID, AccountID: d.AccountID, Recipient: d.Target,
			Subject: msg.Subject, Message: string(raw), CreatedAt: start,
		}}
	}
	ctx, cancel := context.WithTimeout(context.Background(), w.cfg.SMTPTimeout)
	err = w.cfg.SMTP.Send(ctx, msg)
	cancel()
	end := w.cfg.Now()
	att.CompletedAt, att.Latency = end, end.Sub(start)
	if err == nil {
		return store.Outcome{Status: herald.StatusSucceeded, Attempt: att}
	}
	att.Error = err.Error()
	if email.Permanent(err) {
		return store.Outcome{Status: herald.StatusFailed, Attempt: att}
	}
	return w.emailRetry(d, att, end)
}

// emailRetry is the outcome of a transient failure: tried again on the
// retry schedule, failed once it is used up.
func (w *Worker) emailRetry(d herald.Delivery, att herald.Attempt, end time.Time) store.Outcome {
	if wait, ok := w.cfg.EmailRetry.Next(d.Attempts + 1); ok {
		att.Error += " (will retry)"
		return store.Outcome{Status: herald.StatusPending, RetryAt: end.Add(wait), Attempt: att}
	}
	return store.Outcome{Status: herald.StatusFailed, Attempt: att}
}
