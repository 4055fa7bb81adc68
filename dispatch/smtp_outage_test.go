package dispatch_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"herald"
	"herald/dispatch"
	"herald/email"
	"herald/store"
	"herald/store/storetest"
)

// An SMTP server that goes away for a while and comes back on the same
// port loses no email: while it is away every email stays pending, its
// failed attempts logged, and once it is back every one arrives, once.
func TestEmailsSurviveSMTPOutage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		mail, sender := stoppedMailServer(t)
		retry := make(dispatch.Schedule, 100) // long enough to outlast the outage below
		for i := range retry {
			retry[i] = 50 * time.Millisecond
		}
		h := newHarness(t, s, func(c *dispatch.WorkerConfig) {
			c.SMTP, c.EmailRetry, c.SMTPTimeout = sender, retry, 5*time.Second
		})
		recipients := []string{"ann@acme.test", "ops@acme.test", "dev@acme.test"}
		h.account(600, recipients[0], "", map[herald.EventKey]herald.EventSettings{
			herald.RunFailed: {EmailSubscribers: recipients[1:]},
		})
		const events = 5
		for range events {
			h.emit(600, "run_failed", specData["run_failed"])
		}

		// The server is away: every email fails at least twice and is still
		// pending, to be tried again.
		deadline := time.Now().Add(20 * time.Second)
		for {
			ds, err := s.Deliveries(context.Background(), store.DeliveryFilter{AccountID: 600, Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			waiting := 0
			for _, d := range ds {
				if d.Status != herald.StatusPending && d.Status != "" {
					t.Fatalf("while the SMTP server is away, delivery %s is %s after %d attempts (%s); want pending", d.ID, d.Status, d.Attempts, d.Error)
				}
				if d.Attempts >= 2 && strings.Contains(d.Error, "(will retry)") {
					waiting++
				}
			}
			if len(ds) != events*len(recipients) {
				t.Fatalf("%d deliveries, want %d", len(ds), events*len(recipients))
			}
			if waiting == len(ds) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("only %d of %d emails were tried twice while the server was away", waiting, len(ds))
			}
			time.Sleep(20 * time.Millisecond)
		}

		mail.start(t)
		for _, d := range h.settle(600, 30*time.Second) {
			if d.Status != herald.StatusSucceeded {
				t.Errorf("after the outage, delivery %s to %s is %s (%s)", d.ID, d.Target, d.Status, d.Error)
			}
		}
		for _, to := range recipients {
			if got := len(mail.received(to)); got != events {
				t.Errorf("%s received %d messages, want %d", to, got, events)
			}
		}
	})
}

// When the schedule is used up the email has failed: one attempt, then one
// per delay.
func TestEmailRetryScheduleEndsInFailed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		_, sender := stoppedMailServer(t)
		h := newHarness(t, s, func(c *dispatch.WorkerConfig) {
			c.SMTP, c.EmailRetry, c.SMTPTimeout = sender, dispatch.Schedule{20 * time.Millisecond, 20 * time.Millisecond}, 5*time.Second
		})
		h.account(601, "ann@acme.test", "", nil)
		h.emit(601, "run_failed", specData["run_failed"])
		ds := h.settle(601, 20*time.Second)
		if len(ds) != 1 || ds[0].Status != herald.StatusFailed || ds[0].Attempts != 3 || strings.Contains(ds[0].Error, "will retry") {
			t.Errorf("deliveries %+v, want one failed after 3 attempts", ds)
		}
	})
}

// stoppedMailServer is a mail server that has stopped, and a sender to
// its address, where it can start again.
func stoppedMailServer(t *testing.T) (*mailServer, *email.SMTP) {
	t.Helper()
	mail := startMailServer(t)
	mail.stop()
	sender, err := email.NewSMTP("smtp://" + mail.addr)
	if err != nil {
		t.Fatal(err)
	}
	return mail, sender
}
