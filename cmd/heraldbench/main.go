// Command heraldbench measures Herald end to end and, in the same run and
// on the same receivers, a relay with no storage as the yardstick: every
// throughput and latency figure is printed beside the relay's and their
// ratio, so a run on a busy or slower machine still says how far Herald is
// from what the machine can do.
//
// Run it from the repository root:
//
//	go run ./cmd/heraldbench                       # every case; one table
//	go run ./cmd/heraldbench -cases webhook,steady # some of them
//	go run ./cmd/heraldbench -postgres 'postgres://user@127.0.0.1:5432/herald?sslmode=disable'
//
// It builds ./cmd/herald (or runs -herald), and for every measurement
// starts "herald serve" as a child process on a fresh database
// (HERALD_ALLOW_PRIVATE_TARGETS=true), a webhook receiver on a free
// loopback port and, for realistic events, a loopback SMTP server in this
// process that counts messages. The relay is this binary again, as a child
// process: it accepts POST /api/v1/events, answers 202 and POSTs the
// webhook from 32 senders (Herald's per-host limit), storing nothing.
//
// The cases (-cases, comma-separated; default all):
//
//   - webhook: a burst of -events webhook-only events from -clients
//     clients, relay then Herald; delivered = webhooks received per second
//     from the first send to the last arrival; ingest = 202s per second.
//   - realistic: a burst of -realistic events, each planning a webhook,
//     an email to the primary contact and emails to 2 subscribers, sent
//     over SMTP; events/s count an event once its webhook has arrived and
//     all emails up to it (emails are counted, not matched).
//   - steady: -rate events/s for -steady; p99 of send → webhook received,
//     relay (webhook only) and Herald (realistic events).
//   - disk: -disk realistic events into the default set-up (SQLite, the
//     built-in outbox), all delivered, herald stopped; the database's
//     files' growth over an empty set-up's, per event.
//   - restart: -restart webhook events to a receiver that answers after
//     50ms (so deliveries are in flight), herald killed with SIGKILL once a
//     fifth has arrived, started again on the same database with the
//     default lease: seconds from the new start to the last webhook, and
//     how many accepted events never arrived.
//   - growth: ingest rate of -growth webhook events and delivery log
//     reads (first page; a rare filter) on an empty database, then again
//     with -stored deliveries already stored (seeded through the store in
//     big transactions, herald stopped meanwhile). Each measured burst
//     follows an unmeasured warm-up burst of -growth events on the same
//     process, so both measurements are of a warm process.
//   - postgres: the webhook case on PostgreSQL (-postgres).
//
// With -profile DIR, herald is built with -tags heraldpprof and serves
// net/http/pprof on a loopback port of its own; the webhook and realistic
// cases then write DIR/CASE-cpu.pprof (the burst's first 10 seconds) and
// DIR/CASE-allocs.pprof (allocations since start), for "go tool pprof
// -top".
//
// -database is the engine of the first six cases: "sqlite" (a temporary
// file, the default) or a postgres:// URL (disk is then skipped). -postgres
// is the postgres case's server: "auto" (the default) starts a private
// PostgreSQL from the Debian packages with its durable defaults (fsync and
// synchronous_commit on) in a temporary directory and stops it at the end;
// a postgres:// URL uses that server; "off" skips the case.
//
// All traffic stays on loopback; every phase is bounded in count and time.
// The exit status is 0 when every target is met and nothing was lost, 1
// otherwise, 2 on bad flags.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"
)

var allCases = []string{"webhook", "realistic", "steady", "disk", "restart", "growth", "postgres"}

type options struct {
	database  string
	postgres  string
	cases     []string
	events    int
	realistic int
	clients   int
	rate      int
	steady    time.Duration
	disk      int
	restart   int
	growth    int
	stored    int
	herald    string
	profile   string
	json      bool
}

func main() {
	if os.Getenv(relayEnv) == "1" {
		os.Exit(relayMain())
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string) int {
	var o options
	var cases string
	fs := flag.NewFlagSet("heraldbench", flag.ContinueOnError)
	fs.StringVar(&o.database, "database", "sqlite", `engine of the cases other than postgres: "sqlite" (a temporary file) or a postgres:// URL`)
	fs.StringVar(&o.postgres, "postgres", "auto", `server of the postgres case: "auto" (start a private durable one), a postgres:// URL, or "off"`)
	fs.StringVar(&cases, "cases", strings.Join(allCases, ","), "cases to run, comma-separated: "+strings.Join(allCases, ", "))
	fs.IntVar(&o.events, "events", 20000, "events of a webhook burst")
	fs.IntVar(&o.realistic, "realistic", 10000, "events of the realistic burst")
	fs.IntVar(&o.clients, "clients", 32, "concurrent clients of a burst")
	fs.IntVar(&o.rate, "rate", 200, "events per second of the steady phase")
	fs.DurationVar(&o.steady, "steady", 10*time.Second, "duration of the steady phase")
	fs.IntVar(&o.disk, "disk", 2000, "realistic events of the disk case")
	fs.IntVar(&o.restart, "restart", 1000, "events of the restart case")
	fs.IntVar(&o.growth, "growth", 10000, "events of each ingest burst of the growth case")
	fs.IntVar(&o.stored, "stored", 1_000_000, "deliveries stored before the growth case's second measurement")
	fs.StringVar(&o.herald, "herald", "", "a prebuilt herald binary (default: go build ./cmd/herald into a temporary directory)")
	fs.StringVar(&o.profile, "profile", "", "write CPU and allocation profiles of herald during the webhook and realistic bursts into this directory (builds herald with -tags heraldpprof)")
	fs.BoolVar(&o.json, "json", false, "also print the table as JSON lines")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	o.cases = strings.Split(cases, ",")
	if err := o.check(fs.Args()); err != nil {
		fmt.Fprintf(os.Stderr, "heraldbench: %v\n", err)
		return 2
	}
	s, err := newSuite(ctx, o)
	if err != nil {
		fmt.Fprintf(os.Stderr, "heraldbench: %v\n", err)
		return 1
	}
	defer s.close()
	ok := s.run(ctx)
	s.print(os.Stdout)
	if o.json {
		for _, r := range s.rows {
			line, _ := json.Marshal(r)
			fmt.Printf("%s\n", line)
		}
	}
	if ctx.Err() != nil {
		fmt.Fprintln(os.Stderr, "heraldbench: interrupted")
		return 1
	}
	if !ok {
		return 1
	}
	return 0
}

func (o options) check(rest []string) error {
	bounded := func(name string, v, lo, hi int) error {
		if v < lo || v > hi {
			return fmt.Errorf("-%s: want %d to %d", name, lo, hi)
		}
		return nil
	}
	if len(rest) > 0 {
		return fmt.Errorf("unexpected arguments: %v", rest)
	}
	for _, c := range o.cases {
		if !slices.Contains(allCases, c) {
			return fmt.Errorf("-cases: unknown case %q (want some of %s)", c, strings.Join(allCases, ", "))
		}
	}
	if !isSQLite(o.database) && !isPostgres(o.database) {
		return fmt.Errorf(`-database: want "sqlite" or a postgres:// URL, got %q`, o.database)
	}
	if o.postgres != "auto" && o.postgres != "off" && !isPostgres(o.postgres) {
		return fmt.Errorf(`-postgres: want "auto", "off" or a postgres:// URL, got %q`, o.postgres)
	}
	if o.steady <= 0 || o.steady > time.Hour {
		return errors.New("-steady: want more than 0, at most 1h")
	}
	return errors.Join(
		bounded("events", o.events, 1, 10_000_000),
		bounded("realistic", o.realistic, 1, 10_000_000),
		bounded("clients", o.clients, 1, 1024),
		bounded("rate", o.rate, 1, 100_000),
		bounded("disk", o.disk, 1, 1_000_000),
		bounded("restart", o.restart, 10, 1_000_000),
		bounded("growth", o.growth, 1, 1_000_000),
		bounded("stored", o.stored, 0, 100_000_000),
	)
}

func isSQLite(db string) bool { return db == "sqlite" }

func isPostgres(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

// progress tells the person waiting what is happening.
func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "heraldbench: "+format+"\n", args...)
}

// loadAverage is the first three fields of /proc/loadavg (Linux): other
// work on the machine skews the figures.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "n/a"
}
