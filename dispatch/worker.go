package dispatch

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
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
}

// WorkerConfig wires a Worker. Store, Webhooks and Renderer are required.
type WorkerConfig struct {
	Store    *store.Store
	Webhooks *webhook.Sender
	Renderer *email.Renderer
	// SMTP sends emails; nil keeps them in the built-in outbox.
	SMTP Mailer
	// Owner names this worker in leases; "" means host-pid-random.
	Owner string
	// Concurrency bounds deliveries in flight in total (default 128),
	// PerHost those to one webhook host (default 32), so a slow or
	// black-holed endpoint holds at most PerHost of them.
	Concurrency, PerHost int
	// Lease is how long a claimed job is this worker's alone; it must
	// outlast a send. Default: 2 × WebhookTimeout + 30s.
	Lease          time.Duration
	WebhookTimeout time.Duration // default 10s
	// SMTPTimeout bounds one email send (default 30s); EmailAttempts is
	// how many times a transient SMTP failure is tried (default 4), with
	// exponential backoff from EmailBackoff (default 30s).
	SMTPTimeout   time.Duration
	EmailAttempts int
	EmailBackoff  time.Duration
	// Poll is how often an idle worker looks for retries and expired
	// leases, which nobody announces (default 1s).
	Poll     time.Duration
	Logger   *slog.Logger
	Observer Observer
	Now      func() time.Time
}

// Worker claims due deliveries from the store, sends them, and records
// each outcome. Several workers, in one process or many sharing a
// PostgreSQL database, can run at once.
type Worker struct {
	cfg WorkerConfig
	out chan finished
}

type finished struct {
	host    string
	outcome store.Outcome
	job     store.Job
	call    time.Duration
}

// NewWorker returns a Worker for cfg, defaults filled in.
func NewWorker(cfg WorkerConfig) *Worker {
	cfg.Concurrency = cmp.Or(cfg.Concurrency, 128)
	cfg.PerHost = cmp.Or(cfg.PerHost, 32)
	cfg.WebhookTimeout = cmp.Or(cfg.WebhookTimeout, 10*time.Second)
	cfg.Lease = cmp.Or(cfg.Lease, 2*cfg.WebhookTimeout+30*time.Second)
	cfg.SMTPTimeout = cmp.Or(cfg.SMTPTimeout, 30*time.Second)
	cfg.EmailAttempts = cmp.Or(cfg.EmailAttempts, 4)
	cfg.EmailBackoff = cmp.Or(cfg.EmailBackoff, 30*time.Second)
	cfg.Poll = cmp.Or(cfg.Poll, time.Second)
	cfg.Logger = cmp.Or(cfg.Logger, slog.New(slog.DiscardHandler))
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Owner == "" {
		host, _ := os.Hostname()
		cfg.Owner = fmt.Sprintf("%s-%d-%08x", host, os.Getpid(), rand.Uint32())
	}
	return &Worker{cfg: cfg, out: make(chan finished, cfg.Concurrency)}
}

// Lease is how long a claimed job is the worker's alone.
func (w *Worker) Lease() time.Duration { return w.cfg.Lease }

// Run delivers until ctx ends, then stops claiming, lets the deliveries in
// flight finish and records them, and returns. Whatever it could not
// record stays leased and is picked up again when the lease runs out.
func (w *Worker) Run(ctx context.Context) error {
	wake := w.cfg.Store.Wakeups()
	done := make(chan []finished, 1)
	recorded := make(chan []string, w.cfg.Concurrency)
	go w.record(done, recorded)

	inflight := 0
	perHost := map[string]int{}
	timer := time.NewTimer(0)
	defer timer.Stop()
	stopping := ctx.Done()
	for {
		if stopping != nil && inflight < w.cfg.Concurrency {
			jobs, err := w.claim(ctx, inflight, perHost)
			if err != nil && ctx.Err() == nil {
				w.cfg.Logger.Error("claiming deliveries failed", "err", err)
			}
			for _, j := range jobs {
				inflight++
				perHost[j.Host]++
				go w.deliver(j)
			}
			if len(jobs) > 0 && inflight < w.cfg.Concurrency {
				continue // more may be due right now
			}
		}
		if stopping == nil && inflight == 0 {
			close(w.out)
			<-done // the recorder has written everything
			return nil
		}
		timer.Reset(w.cfg.Poll)
		select {
		case <-wake:
		case hosts := <-recorded:
			for _, h := range hosts {
				inflight--
				if perHost[h]--; perHost[h] <= 0 {
					delete(perHost, h)
				}
			}
		case <-timer.C:
		case <-stopping:
			stopping = nil
		}
	}
}

func (w *Worker) claim(ctx context.Context, inflight int, perHost map[string]int) ([]store.Job, error) {
	var busy []string
	for h, n := range perHost {
		if h != "" && n >= w.cfg.PerHost {
			busy = append(busy, h)
		}
	}
	return w.cfg.Store.Claim(ctx, store.ClaimRequest{
		Owner: w.cfg.Owner,
		Now:   w.cfg.Now(),
		Lease: w.cfg.Lease,
		Limit: min(w.cfg.Concurrency-inflight, 100),
		Busy:  busy,
		Room:  func(host string) int { return w.cfg.PerHost - perHost[host] },
	})
}

// record writes outcomes in batches as deliveries finish, then reports
// their hosts back to Run so it can start more. It stops when w.out is
// closed and drained.
func (w *Worker) record(done chan<- []finished, recorded chan<- []string) {
	defer close(done)
	for f := range w.out {
		batch := []finished{f}
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
		hosts := make([]string, len(batch))
		now := w.cfg.Now()
		for i, f := range batch {
			hosts[i] = f.host
			if w.cfg.Observer != nil && f.outcome.Status != herald.StatusPending {
				w.cfg.Observer.Delivered(f.job.Delivery.Channel, f.outcome.Status, now.Sub(f.job.Delivery.CreatedAt), f.call)
			}
		}
		recorded <- hosts
	}
}

// complete writes outcomes, retrying a failing database for a while: a
// delivery whose outcome is lost is sent again once its lease runs out.
func (w *Worker) complete(outcomes []store.Outcome) {
	backoff := 50 * time.Millisecond
	for try := 0; ; try++ {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := w.cfg.Store.Complete(ctx, outcomes)
		cancel()
		if err == nil {
			return
		}
		if try == 8 {
			w.cfg.Logger.Error("recording delivery outcomes failed; they will be sent again when their leases expire", "count", len(outcomes), "err", err)
			return
		}
		w.cfg.Logger.Warn("recording delivery outcomes failed; retrying", "err", err)
		time.Sleep(backoff)
		backoff *= 2
	}
}

// deliver sends one job and hands its outcome to the recorder. It runs
// without Run's context: a delivery in flight at shutdown is finished, not
// abandoned (its own timeouts bound it).
func (w *Worker) deliver(j store.Job) {
	start := w.cfg.Now()
	var o store.Outcome
	switch j.Delivery.Channel {
	case herald.ChannelWebhook:
		o = w.sendWebhook(j, start)
	default:
		o = w.sendEmail(j, start)
	}
	o.DeliveryID, o.Owner = j.Delivery.ID, w.cfg.Owner
	o.Attempt.ID, o.Attempt.DeliveryID = herald.NewID("att_", start), j.Delivery.ID
	o.Attempt.StartedAt = start
	w.out <- finished{host: j.Host, outcome: o, job: j, call: o.Attempt.Latency}
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

func (w *Worker) sendWebhook(j store.Job, start time.Time) store.Outcome {
	res := w.cfg.Webhooks.Send(context.Background(), webhook.Request{URL: j.Delivery.Target, Body: j.Payload, Header: WebhookHeaders(j.Delivery)})
	return store.Outcome{Status: webhookStatus(res), Attempt: WebhookAttempt(j.Delivery.Target, res, start)}
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

func (w *Worker) sendEmail(j store.Job, start time.Time) store.Outcome {
	d := j.Delivery
	fail := func(err error) store.Outcome {
		end := w.cfg.Now()
		return store.Outcome{Status: herald.StatusFailed, Attempt: herald.Attempt{Target: d.Target, CompletedAt: end, Latency: end.Sub(start), Error: err.Error()}}
	}
	msg, err := w.cfg.Renderer.Render(email.Notification{EventKey: d.EventKey, AccountName: j.AccountName, Payload: j.Payload, DeliveryID: d.ID}, d.Target, start)
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
	switch {
	case err == nil:
		return store.Outcome{Status: herald.StatusSucceeded, Attempt: att}
	case email.Permanent(err) || d.Attempts+1 >= w.cfg.EmailAttempts:
		att.Error = err.Error()
		return store.Outcome{Status: herald.StatusFailed, Attempt: att}
	default:
		att.Error = err.Error() + " (will retry)"
		// Exponential backoff with jitter, so a recovering server is not
		// hit by every retry at once.
		wait := w.cfg.EmailBackoff << d.Attempts
		wait += time.Duration(rand.Int64N(int64(wait)/4 + 1))
		return store.Outcome{Status: herald.StatusPending, RetryAt: end.Add(wait), Attempt: att}
	}
}
