package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// suite is one run of heraldbench: the binaries, a temporary directory
// for the SQLite files, the PostgreSQL server of the postgres case, and
// the table's rows.
type suite struct {
	opt   options
	tmp   string
	bin   string // herald
	self  string // this binary, the relay
	token string
	// keyFile is the master key every herald of the run is given.
	keyFile string
	pg      *postgres // started by the suite; nil otherwise
	dbs     int       // databases made so far

	loadStart string
	rows      []row
	notes     []string
}

// row is one line of the table.
type row struct {
	Case   string `json:"case"`
	Herald string `json:"herald"`
	Relay  string `json:"relay,omitempty"`
	Ratio  string `json:"ratio,omitempty"`
	Target string `json:"target,omitempty"`
	Result string `json:"result"` // met, MISSED, or "" (for information)
}

func newSuite(ctx context.Context, o options) (*suite, error) {
	s := &suite{opt: o, token: rand.Text() + rand.Text(), loadStart: loadAverage()}
	var err error
	if s.tmp, err = os.MkdirTemp("", "heraldbench-"); err != nil {
		return nil, err
	}
	if s.self, err = os.Executable(); err != nil {
		return nil, err
	}
	key := make([]byte, 32)
	rand.Read(key)
	s.keyFile = filepath.Join(s.tmp, "herald.key")
	if err := os.WriteFile(s.keyFile, []byte(base64.StdEncoding.EncodeToString(key)+"\n"), 0o600); err != nil {
		return nil, err
	}
	s.bin = o.herald
	if s.bin == "" {
		progress("building ./cmd/herald")
		var tags []string
		if o.profile != "" {
			tags = append(tags, "heraldpprof")
		}
		if s.bin, err = buildHerald(ctx, s.tmp, tags...); err != nil {
			s.close()
			return nil, err
		}
	}
	return s, nil
}

func (s *suite) close() {
	if s.pg != nil {
		s.pg.stop()
	}
	os.RemoveAll(s.tmp)
}

// run runs the cases asked for; it reports whether every target was met.
func (s *suite) run(ctx context.Context) bool {
	cases := map[string]func(context.Context) error{
		"webhook": s.webhookCase, "realistic": s.realisticCase, "steady": s.steadyCase, "disk": s.diskCase,
		"restart": s.restartCase, "growth": s.growthCase, "postgres": s.postgresCase,
	}
	ok := true
	for _, c := range allCases {
		if !slices.Contains(s.opt.cases, c) || ctx.Err() != nil {
			continue
		}
		progress("case %s", c)
		if err := cases[c](ctx); err != nil {
			ok = false
			s.add(row{Case: c, Herald: "error: " + err.Error(), Result: "MISSED"})
		}
	}
	for _, r := range s.rows {
		ok = ok && r.Result != "MISSED"
	}
	return ok
}

func (s *suite) add(r row) { s.rows = append(s.rows, r) }

func (s *suite) note(format string, args ...any) {
	s.notes = append(s.notes, fmt.Sprintf(format, args...))
}

// judge is "met" or "MISSED".
func judge(met bool) string {
	if met {
		return "met"
	}
	return "MISSED"
}

// newDatabase returns a fresh database of the engine of db ("sqlite" or a
// postgres:// URL): a new SQLite file, a new database on the suite's own
// PostgreSQL, or the given URL itself (whose server the suite cannot
// create databases on).
func (s *suite) newDatabase(db string) (string, error) {
	s.dbs++
	switch {
	case isSQLite(db):
		return "sqlite:" + filepath.Join(s.tmp, fmt.Sprintf("herald-%d.db", s.dbs)), nil
	case s.pg != nil && db == s.pg.url:
		return s.pg.createDatabase(fmt.Sprintf("bench_%d", s.dbs))
	}
	return db, nil
}

// accounts returns n random account ids in a row.
func accounts(n int) []int64 {
	first := 1_000_000 + mrand.Int64N(1_000_000_000_000)
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = first + int64(i)
	}
	return ids
}

// startHerald starts herald serve on dbURL with the suite's token and the
// extra environment.
func (s *suite) startHerald(ctx context.Context, dbURL string, env ...string) (*heraldProc, error) {
	env = append([]string{
		"HERALD_DATABASE_URL=" + dbURL,
		"HERALD_LISTEN=127.0.0.1:0",
		"HERALD_ALLOW_PRIVATE_TARGETS=true",
		"HERALD_PLATFORM_TOKEN=" + s.token,
		"HERALD_LOG_FORMAT=json",
		"HERALD_LOG_LEVEL=info",
		// Herald's master key: one per run, in the temporary directory
		// (on PostgreSQL herald would generate it in the current one).
		"HERALD_SECRET_KEY_FILE=" + s.keyFile,
	}, env...)
	return startHerald(ctx, s.bin, env)
}

// startRelay starts the relay with a webhook URL per account, and the
// realistic events' emails when mail is set.
func (s *suite) startRelay(ctx context.Context, rc *receiver, accts []int64, mail *mailSink) (*heraldProc, error) {
	hooks := make([]string, len(accts))
	for i, a := range accts {
		hooks[i] = fmt.Sprintf("%d=%s", a, rc.urls[i])
	}
	env := []string{relayEnv + "=1", relayHooksEnv + "=" + strings.Join(hooks, ",")}
	if mail != nil {
		env = append(env, relaySMTPEnv+"="+mail.addr, relayEmailsEnv+"="+strings.Join(realisticEmails, ","))
	}
	return startHerald(ctx, s.self, env)
}

// service is a started herald or relay, with the load that drives it.
type service struct {
	proc *heraldProc
	load *load
	rc   *receiver
	mail *mailSink
}

func (sv *service) close() {
	if sv.proc != nil {
		sv.proc.stop()
	}
	sv.rc.close()
	if sv.mail != nil {
		sv.mail.close()
	}
}

// relay starts the relay with a receiver sized for n events; realistic,
// it also emails each event's three recipients over SMTP to a mail sink.
func (s *suite) relay(ctx context.Context, n int, realistic bool) (*service, error) {
	accts := accounts(1)
	rc, err := startReceiver(accts, n, 0)
	if err != nil {
		return nil, err
	}
	sv := &service{rc: rc, load: newLoad(accts, rc, n, s.opt.clients)}
	if realistic {
		if sv.mail, err = startMailSink(); err != nil {
			sv.close()
			return nil, err
		}
		sv.load.mail, sv.load.perEvent = sv.mail, 1+len(realisticEmails)
	}
	if sv.proc, err = s.startRelay(ctx, rc, accts, sv.mail); err != nil {
		sv.close()
		return nil, err
	}
	sv.load.base = "http://" + sv.proc.addr
	return sv, nil
}

// heraldOpts says how to set up a herald service.
type heraldOpts struct {
	db        string // a database URL from newDatabase
	realistic bool   // a primary contact and two subscribers
	smtp      bool   // emails over SMTP to a mail sink (else the outbox)
	delay     time.Duration
	env       []string
}

// herald starts herald with a receiver sized for n events and sets its
// account up.
func (s *suite) herald(ctx context.Context, n int, ho heraldOpts) (*service, error) {
	accts := accounts(1)
	rc, err := startReceiver(accts, n, ho.delay)
	if err != nil {
		return nil, err
	}
	sv := &service{rc: rc, load: newLoad(accts, rc, n, s.opt.clients)}
	env := ho.env
	if ho.smtp {
		if sv.mail, err = startMailSink(); err != nil {
			sv.close()
			return nil, err
		}
		sv.load.mail = sv.mail
		env = append(env, "HERALD_SMTP_URL=smtp://"+sv.mail.addr)
	}
	if sv.proc, err = s.startHerald(ctx, ho.db, env...); err != nil {
		sv.close()
		return nil, err
	}
	sv.load.base, sv.load.token = "http://"+sv.proc.addr, s.token
	if err := sv.load.setup(ctx, ho.realistic); err != nil {
		sv.close()
		return nil, err
	}
	return sv, nil
}

// burst runs a burst of n events on sv and waits for them to arrive.
func (s *suite) burst(ctx context.Context, sv *service, n int) (phase, error) {
	progress("  %d events from %d clients to %s", n, s.opt.clients, sv.load.base)
	lo := sv.load.burst(ctx, n, s.opt.clients)
	sv.load.waitDelivered(ctx)
	p := sv.load.result(lo, n)
	if n, first := sv.load.errors(); n > 0 {
		return p, fmt.Errorf("%d ingest errors; first: %s", n, first)
	}
	return p, nil
}

// whereTimeWent notes the CPU time a herald service used and the
// connections it opened, to compare with profiles.
func (s *suite) whereTimeWent(name string, sv *service) {
	sv.proc.mem.final()
	hwm, _, cpu := sv.proc.mem.peak()
	n := fmt.Sprintf("%s: herald CPU %.1fs, peak memory %s, %d webhook connection(s)", name, cpu.Seconds(), mib(hwm), sv.rc.conns.Load())
	if sv.mail != nil {
		n += fmt.Sprintf(", %d SMTP connection(s) for %d messages", sv.mail.conns.Load(), sv.mail.messages.Load())
	}
	if d, f := sv.rc.counts(); d > 0 || f > 0 {
		n += fmt.Sprintf(", %d webhooks received twice, %d not ours", d, f)
	}
	if w := sv.proc.logs.warnings(); w > 0 {
		n += fmt.Sprintf(", %d warnings logged", w)
	}
	s.note("%s", n)
}

func mib(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }

func rate(v float64) string { return fmt.Sprintf("%.0f/s", v) }

func ratio(herald, relay float64) string {
	if relay <= 0 {
		return ""
	}
	return fmt.Sprintf("%.2f", herald/relay)
}

func msec(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

func (s *suite) print(w io.Writer) {
	engine := "SQLite"
	if isPostgres(s.opt.database) {
		engine = "PostgreSQL"
	}
	fmt.Fprintf(w, "\nheraldbench: %d CPUs, %s; load average %s at start, %s at end\n\n", runtime.NumCPU(), engine, s.loadStart, loadAverage())
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "case\therald\trelay (same run)\tratio\ttarget\t")
	for _, r := range s.rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Case, r.Herald, r.Relay, r.Ratio, r.Target, r.Result)
	}
	tw.Flush()
	if len(s.notes) > 0 {
		fmt.Fprintln(w)
		for _, n := range s.notes {
			fmt.Fprintln(w, n)
		}
	}
}
