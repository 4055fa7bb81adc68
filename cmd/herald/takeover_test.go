//go:build unix

package main

import (
	"testing"
	"time"

	"herald/store/storetest"
)

// TestRestartTakesOverAKilledProcessesLeases kills herald with deliveries
// in flight and starts it again with a lease of ten minutes: every
// accepted event still arrives within the test's wait, which only the
// heartbeat takeover makes possible (the new process sees its
// predecessor's heartbeat stop and releases its leases).
func TestRestartTakesOverAKilledProcessesLeases(t *testing.T) {
	eachEngine(t, func(t *testing.T, e storetest.Engine) {
		const events = 200
		rcv := newReceiver(t, 100*time.Millisecond) // slow: deliveries stay in flight
		vars := mergeVars(durableVars(e.URL(t)), map[string]string{"HERALD_LEASE": "10m", "HERALD_HEARTBEAT_TIMEOUT": "2s"})
		p := startProcess(t, vars)
		setupWebhookAccount(t, p, 1, rcv.url())
		res := runBurst(func(int64) string { return p.base }, 1, runIDRange(1, events), 8, time.Now().Add(20*time.Second)).wait(t, 30*time.Second)
		if len(res.accepted) != events {
			t.Fatalf("%d of %d events accepted", len(res.accepted), events)
		}
		rcv.waitSeen(t, 20, 20*time.Second)
		p.kill(t)
		atKill := rcv.seen()
		if atKill >= events {
			t.Fatalf("all %d had arrived before the kill; nothing was in flight", atKill)
		}
		killed := time.Now()
		p2 := startProcess(t, vars)
		waitAllDelivered(t, p2, rcv, 1, res.accepted, 60*time.Second)
		checkNoneFailed(t, p2, 1)
		t.Logf("%d of %d had arrived at the kill; the rest %v after it (the lease was 10m)", atKill, events, time.Since(killed).Round(time.Millisecond))
	})
}
