//go:build unix

package main

import (
	"sync/atomic"
	"testing"
	"time"

	"herald/store/storetest"
)

// TestCrashLosesNoAcceptedEvent kills herald with SIGKILL while it ingests
// and delivers, restarts it on the same database, and checks that every
// event it accepted still reaches the receiver: the ones waiting in the
// queue, and the ones the dead process had claimed, after their lease.
// Senders that got no answer retry with the same idempotency key, as a
// client should; an event stored before the kill then answers 200 and
// counts as accepted.
func TestCrashLosesNoAcceptedEvent(t *testing.T) {
	requireLeaseKnob(t)
	eachEngine(t, func(t *testing.T, e storetest.Engine) {
		const events = 300
		rcv := newReceiver(t, 20*time.Millisecond)
		vars := durableVars(e.URL(t))
		p := startProcess(t, vars)
		setupWebhookAccount(t, p, 1, rcv.url())

		start := time.Now()
		var base atomic.Pointer[string]
		base.Store(&p.base)
		burst := runBurst(func(int64) string { return *base.Load() }, 1, runIDRange(1, events), 8, start.Add(20*time.Second))
		rcv.waitSeen(t, 50, 20*time.Second)
		p.kill(t)
		atKill := rcv.seen()
		p2 := startProcess(t, vars)
		base.Store(&p2.base)
		res := burst.wait(t, 30*time.Second)
		if len(res.accepted) == 0 {
			t.Fatal("no event was accepted")
		}

		waitAllDelivered(t, p2, rcv, 1, res.accepted, 20*time.Second)
		dups, runs := rcv.check(t, 1, events, events)
		// Every event stored has one webhook delivery, so each run that
		// arrived is one succeeded delivery, and nothing failed.
		if got := countDeliveries(t, p2, 1, "succeeded"); got != runs {
			t.Errorf("the delivery log shows %d succeeded deliveries; %d distinct runs arrived", got, runs)
		}
		checkNoneFailed(t, p2, 1)
		t.Logf("%d of %d events accepted (%d of them answered only on a retry after the kill); %d requests had arrived at the kill; %d runs arrived, %d duplicate requests; %v in all",
			len(res.accepted), events, res.recovered, atKill, runs, dups, time.Since(start).Round(time.Millisecond))
	})
}

// TestTwoProcessesShareOnePostgres runs two herald processes on one
// PostgreSQL database. In normal operation no delivery is sent twice; when
// one is killed mid-burst, the other delivers everything accepted,
// including what the dead one had claimed, once its lease runs out.
func TestTwoProcessesShareOnePostgres(t *testing.T) {
	databaseURL := storetest.PostgresURL(t)
	rcv := newReceiver(t, 20*time.Millisecond)
	vars := durableVars(databaseURL)
	p1 := startProcess(t, vars)
	p2 := startProcess(t, vars)
	setupWebhookAccount(t, p1, 1, rcv.url())
	rcv.watchSenders(t, p1, p2)
	var bases [2]atomic.Pointer[string] // even run ids go to p1, odd to p2
	bases[0].Store(&p1.base)
	bases[1].Store(&p2.base)
	target := func(id int64) string { return *bases[id%2].Load() }

	// Round 1: 400 events split across both, no failure.
	start := time.Now()
	res := runBurst(target, 1, runIDRange(1, 400), 8, start.Add(20*time.Second)).wait(t, 30*time.Second)
	if len(res.accepted) != 400 || res.recovered != 0 {
		t.Fatalf("round 1: %d of 400 events answered 202 (%d only on a retry), want all at once", len(res.accepted), res.recovered)
	}
	waitAllDelivered(t, p1, rcv, 1, res.accepted, 20*time.Second)
	for id, n := range rcv.sentTwice() {
		t.Errorf("round 1: delivery %s arrived %d times; with both processes up, each is sent once", id, n)
	}
	if n := rcv.deliveryCount(); n != 400 {
		t.Errorf("round 1: %d distinct delivery ids arrived, want 400", n)
	}
	if dups, runs := rcv.check(t, 1, 400, 400); dups != 0 || runs != 400 {
		t.Errorf("round 1: %d runs arrived with %d duplicate requests, want 400 and 0", runs, dups)
	}
	by := rcv.sentBy()
	pid1, pid2 := p1.cmd.Process.Pid, p2.cmd.Process.Pid
	switch {
	case by[pid1]+by[pid2] == 0:
		t.Logf("round 1: could not tell which process sent the webhooks (that needs Linux /proc)")
	case by[pid1] == 0 || by[pid2] == 0:
		t.Errorf("round 1: process %d sent %d webhooks, process %d sent %d (%d unknown); both workers should share the queue", pid1, by[pid1], pid2, by[pid2], by[0])
	}
	t.Logf("round 1: 400 events through two processes (%d and %d webhooks sent, %d by one not told), each delivered once, in %v",
		by[pid1], by[pid2], by[0], time.Since(start).Round(time.Millisecond))

	if !leaseKnob(t) {
		t.Skip("round 2 needs HERALD_LEASE: without it the survivor takes the killed process's deliveries over only after 2 × HERALD_WEBHOOK_TIMEOUT + 30s")
	}

	// Round 2: 300 more; p1 is killed once 50 of them arrived.
	start = time.Now()
	before := rcv.seen()
	burst := runBurst(target, 1, runIDRange(401, 700), 8, start.Add(20*time.Second))
	rcv.waitSeen(t, before+50, 20*time.Second)
	p1.kill(t)
	atKill := rcv.seen() - before
	bases[0].Store(&p2.base)
	res = burst.wait(t, 30*time.Second)
	if len(res.accepted) == 0 {
		t.Fatal("round 2: no event was accepted")
	}
	waitAllDelivered(t, p2, rcv, 1, res.accepted, 20*time.Second)
	dups, runs := rcv.check(t, 401, 700, 700)
	if got := countDeliveries(t, p2, 1, "succeeded"); got != 400+runs {
		t.Errorf("the delivery log shows %d succeeded deliveries; %d distinct runs arrived", got, 400+runs)
	}
	checkNoneFailed(t, p2, 1)
	after := rcv.sentBy()
	t.Logf("round 2: %d of 300 events accepted (%d only on a retry after the kill); %d requests had arrived at the kill; %d runs arrived, %d duplicate requests; the killed process sent %d webhooks, the survivor %d; %v",
		len(res.accepted), res.recovered, atKill, runs, dups, after[pid1]-by[pid1], after[pid2]-by[pid2], time.Since(start).Round(time.Millisecond))
}
