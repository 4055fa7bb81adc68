package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// phaseResult is one phase's figures; times in milliseconds or seconds.
type phaseResult struct {
	Events         int     `json:"events"` // sent
	Accepted       int     `json:"accepted"`
	Errors         int     `json:"errors"`
	Delivered      int     `json:"delivered"`
	Lost           int     `json:"lost"`                 // never arrived, by the end of the run
	Outstanding    int     `json:"outstanding"`          // not arrived when the phase's wait ended
	SendRate       float64 `json:"sent_per_s,omitempty"` // steady phase
	IngestRate     float64 `json:"ingest_per_s"`
	IngestSeconds  float64 `json:"ingest_s"`
	DeliveredRate  float64 `json:"delivered_per_s"`
	DeliverSeconds float64 `json:"deliver_s"`
	IngestP50Ms    float64 `json:"ingest_p50_ms"` // POST round trip
	IngestP99Ms    float64 `json:"ingest_p99_ms"`
	LatencyP50Ms   float64 `json:"e2e_p50_ms"`
	LatencyP99Ms   float64 `json:"e2e_p99_ms"`
	LatencyMaxMs   float64 `json:"e2e_max_ms"`
}

// target is one goal and whether the run met it.
type target struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Want   string `json:"want"`
	Result string `json:"result"` // PASS, FAIL, n/a; on PostgreSQL "met (info)", "missed (info)"
}

type report struct {
	Database         string      `json:"database"`
	CPUs             int         `json:"cpus"`
	Accounts         []int64     `json:"account_ids"`
	Burst            phaseResult `json:"burst"`
	Steady           phaseResult `json:"steady"`
	PeakMemory       int64       `json:"peak_memory_bytes"` // VmHWM
	MaxSampledRSS    int64       `json:"max_sampled_rss_bytes"`
	Lost             int         `json:"lost"`
	Duplicates       int         `json:"duplicates"`
	Foreign          int         `json:"foreign"` // arrivals not of this run
	IngestErrors     int         `json:"ingest_errors"`
	FirstError       string      `json:"first_error,omitempty"`
	HeraldPending    int         `json:"herald_pending"`
	HeraldFailed     int         `json:"herald_failed"`
	DeliveriesErr    string      `json:"deliveries_error,omitempty"`
	HeraldWarnings   int         `json:"herald_warnings"`
	StopErr          string      `json:"stop_error,omitempty"`
	ReceiverConns    int64       `json:"receiver_connections"` // TCP connections Herald opened to the receivers
	HeraldCPUSeconds float64     `json:"herald_cpu_s"`
	BenchCPUSeconds  float64     `json:"bench_cpu_s"`
	LoadStart        string      `json:"loadavg_start"`
	LoadEnd          string      `json:"loadavg_end"`
	Targets          []target    `json:"targets"`
	Pass             bool        `json:"pass"`
}

// judge sets Targets and Pass. On PostgreSQL the performance targets are
// informational; losing events or failing ingest fails on any database.
func (rep *report) judge() {
	info := rep.Database != "sqlite"
	rep.Pass = true
	add := func(name, value, want string, evaluated, met, always bool) {
		t := target{Name: name, Value: value, Want: want}
		switch {
		case !evaluated:
			t.Result = "n/a"
		case info && !always && met:
			t.Result = "met (info)"
		case info && !always:
			t.Result = "missed (info)"
		case met:
			t.Result = "PASS"
		default:
			t.Result = "FAIL"
			rep.Pass = false
		}
		rep.Targets = append(rep.Targets, t)
	}
	add("delivered rate (burst)", fmt.Sprintf("%.0f/s", rep.Burst.DeliveredRate), fmt.Sprintf(">= %d/s", targetDeliveredPerSec),
		rep.Burst.Accepted > 0, rep.Burst.DeliveredRate >= targetDeliveredPerSec, false)
	add("e2e latency p99 (steady)", fmt.Sprintf("%.1fms", rep.Steady.LatencyP99Ms), fmt.Sprintf("<= %v", targetSteadyP99),
		rep.Steady.Delivered > 0, rep.Steady.LatencyP99Ms <= ms(targetSteadyP99), false)
	add("peak memory (VmHWM)", mib(rep.PeakMemory), fmt.Sprintf("<= %s", mib(targetPeakMemory)),
		rep.PeakMemory > 0, rep.PeakMemory <= targetPeakMemory, false)
	add("lost", fmt.Sprint(rep.Lost), "0", true, rep.Lost == 0, true)
	add("ingest errors", fmt.Sprint(rep.IngestErrors), "0", true, rep.IngestErrors == 0, true)
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

func (rep *report) print(w io.Writer) {
	fmt.Fprintf(w, "\nheraldbench: %s, %d CPUs, %d receiver(s), account %d", rep.Database, rep.CPUs, len(rep.Accounts), rep.Accounts[0])
	if len(rep.Accounts) > 1 {
		fmt.Fprintf(w, "..%d", rep.Accounts[len(rep.Accounts)-1])
	}
	fmt.Fprint(w, "\n\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(cells ...string) { fmt.Fprintln(tw, strings.Join(cells, "\t")) }
	b, s := rep.Burst, rep.Steady
	row("burst", "events sent / accepted / errors", fmt.Sprintf("%d / %d / %d", b.Events, b.Accepted, b.Errors))
	row("", "ingest rate", fmt.Sprintf("%.0f/s (%.2fs)", b.IngestRate, b.IngestSeconds))
	row("", "delivered rate", fmt.Sprintf("%.0f/s (%d in %.2fs)", b.DeliveredRate, b.Delivered, b.DeliverSeconds))
	row("", "ingest p50 / p99", fmt.Sprintf("%.1fms / %.1fms", b.IngestP50Ms, b.IngestP99Ms))
	row("", "e2e p50 / p99 / max (queueing)", fmt.Sprintf("%.0fms / %.0fms / %.0fms", b.LatencyP50Ms, b.LatencyP99Ms, b.LatencyMaxMs))
	row("steady", "events sent / accepted / errors", fmt.Sprintf("%d / %d / %d", s.Events, s.Accepted, s.Errors))
	row("", "send rate", fmt.Sprintf("%.1f/s", s.SendRate))
	row("", "ingest rate / delivered rate", fmt.Sprintf("%.1f/s / %.1f/s", s.IngestRate, s.DeliveredRate))
	row("", "ingest p50 / p99", fmt.Sprintf("%.1fms / %.1fms", s.IngestP50Ms, s.IngestP99Ms))
	row("", "e2e p50 / p99 / max", fmt.Sprintf("%.1fms / %.1fms / %.1fms", s.LatencyP50Ms, s.LatencyP99Ms, s.LatencyMaxMs))
	row("herald", "peak memory VmHWM / max VmRSS", fmt.Sprintf("%s / %s", mib(rep.PeakMemory), mib(rep.MaxSampledRSS)))
	row("", "lost / duplicates / foreign", fmt.Sprintf("%d / %d / %d", rep.Lost, rep.Duplicates, rep.Foreign))
	pf := fmt.Sprintf("%d / %d", rep.HeraldPending, rep.HeraldFailed)
	if rep.DeliveriesErr != "" {
		pf += " (" + rep.DeliveriesErr + ")"
	}
	row("", "deliveries API: pending / failed", pf)
	row("", "log warnings", fmt.Sprint(rep.HeraldWarnings))
	row("", "CPU time herald / heraldbench", fmt.Sprintf("%.1fs / %.1fs", rep.HeraldCPUSeconds, rep.BenchCPUSeconds))
	row("", "connections to the receiver(s)", fmt.Sprint(rep.ReceiverConns))
	row("machine", "load average at start / end", rep.LoadStart+" / "+rep.LoadEnd)
	if rep.StopErr != "" {
		row("", "stop", rep.StopErr)
	}
	tw.Flush()
	if n := rep.Burst.Outstanding; n > 0 && rep.Steady.Events > 0 {
		fmt.Fprintf(w, "note: %d burst webhooks had not arrived after %v; the steady phase ran behind that backlog, so its latencies include it\n", n, deliveryWait)
	}
	if rep.FirstError != "" {
		fmt.Fprintf(w, "first ingest error: %s\n", rep.FirstError)
	}

	title := "targets (SQLite, 2 cores)"
	if rep.Database != "sqlite" {
		title += ": informational on " + rep.Database + "; lost and ingest errors count everywhere"
	}
	fmt.Fprintf(w, "\n%s\n", title)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, t := range rep.Targets {
		row(t.Name, t.Value, t.Want, t.Result)
	}
	tw.Flush()
	verdict := "PASS"
	if !rep.Pass {
		verdict = "FAIL"
	}
	fmt.Fprintf(w, "\nresult: %s\n", verdict)
}
