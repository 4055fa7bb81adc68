package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Targets, from the issue (2 cores).
const (
	webhookRatioSQLite   = 0.5  // × the relay's webhooks/s
	webhookRatioPostgres = 0.25 // durable PostgreSQL
	realisticEventsPerS  = 2000
	steadyP99            = 10 * time.Millisecond
	diskPerEvent         = 6 << 10
	restartResume        = 5 * time.Second
	growthIngestRatio    = 0.8
)

// relayBurst measures the relay on a burst of n events, webhook-only or
// realistic.
func (s *suite) relayBurst(ctx context.Context, n int, realistic bool) (phase, error) {
	sv, err := s.relay(ctx, n, realistic)
	if err != nil {
		return phase{}, err
	}
	defer sv.close()
	p, err := s.burst(ctx, sv, n)
	sv.proc.mem.final()
	_, _, cpu := sv.proc.mem.peak()
	name := "relay"
	if realistic {
		name = "realistic relay"
	}
	s.note("%s: CPU %.1fs for %d events (%.0f µs/event)", name, cpu.Seconds(), n, float64(cpu.Microseconds())/float64(n))
	return p, err
}

// profiled runs a burst of n events on a herald set up with ho, fetching
// profiles named name when -profile is set.
func (s *suite) profiled(ctx context.Context, name string, n int, ho heraldOpts) (*service, phase, error) {
	var prof *profiler
	if s.opt.profile != "" {
		var err error
		if prof, err = newProfiler(s.opt.profile); err != nil {
			return nil, phase{}, err
		}
		ho.env = append(ho.env, "HERALD_PPROF_LISTEN="+prof.addr)
	}
	sv, err := s.herald(ctx, n, ho)
	if err != nil {
		return nil, phase{}, err
	}
	if prof != nil {
		prof.startCPU(name, 10*time.Second)
	}
	// This process's own CPU (load, receivers, SMTP server) shares the
	// cores with herald: what it takes, herald cannot have.
	self := procCPU(os.Getpid())
	p, err := s.burst(ctx, sv, n)
	self = procCPU(os.Getpid()) - self
	if err == nil && prof != nil {
		err = prof.finish(name)
	}
	if err != nil {
		sv.close()
		return nil, p, err
	}
	_, _, cpu := sv.proc.mem.peak()
	s.note("%s: herald CPU %.0f µs/event; heraldbench's own (load, receivers, SMTP server) %.0f µs/event",
		name, float64(cpu.Microseconds())/float64(n), float64(self.Microseconds())/float64(n))
	return sv, p, nil
}

// webhookRows measures webhook-only bursts, relay then herald on db, and
// adds their rows.
func (s *suite) webhookRows(ctx context.Context, name, db string, want float64) error {
	rp, err := s.relayBurst(ctx, s.opt.events, false)
	if err != nil {
		return fmt.Errorf("relay: %w", err)
	}
	dbURL, err := s.newDatabase(db)
	if err != nil {
		return err
	}
	sv, hp, err := s.profiled(ctx, "webhook", s.opt.events, heraldOpts{db: dbURL})
	if err != nil {
		return err
	}
	defer sv.close()
	s.whereTimeWent(name, sv)
	s.add(row{Case: name + ", webhooks delivered", Herald: rate(hp.DeliveredRate), Relay: rate(rp.DeliveredRate),
		Ratio: ratio(hp.DeliveredRate, rp.DeliveredRate), Target: fmt.Sprintf("≥ %.2f × relay", want),
		Result: judge(hp.Lost == 0 && hp.DeliveredRate >= want*rp.DeliveredRate)})
	s.add(row{Case: name + ", ingest", Herald: rate(hp.IngestRate), Relay: rate(rp.IngestRate), Ratio: ratio(hp.IngestRate, rp.IngestRate)})
	s.lost(name, hp)
	return nil
}

// lost adds a failing row when a phase lost events.
func (s *suite) lost(name string, p phase) {
	if p.Lost > 0 {
		s.add(row{Case: name + ", lost", Herald: fmt.Sprint(p.Lost), Target: "0", Result: "MISSED"})
	}
}

func (s *suite) engine(db string) string {
	if isPostgres(db) {
		return "PostgreSQL"
	}
	return "SQLite"
}

func (s *suite) webhookCase(ctx context.Context) error {
	want := webhookRatioSQLite
	if isPostgres(s.opt.database) {
		want = webhookRatioPostgres
	}
	return s.webhookRows(ctx, "webhook only, "+s.engine(s.opt.database), s.opt.database, want)
}

func (s *suite) postgresCase(ctx context.Context) error {
	db := s.opt.postgres
	switch db {
	case "off":
		return nil
	case "auto":
		if s.pg == nil {
			pg, err := startPostgres(ctx, s.tmp)
			if err != nil {
				return fmt.Errorf("starting PostgreSQL: %w", err)
			}
			s.pg = pg
		}
		db = s.pg.url
	}
	return s.webhookRows(ctx, "webhook only, PostgreSQL durable", db, webhookRatioPostgres)
}

func (s *suite) realisticCase(ctx context.Context) error {
	n := s.opt.realistic
	rp, err := s.relayBurst(ctx, n, true)
	if err != nil {
		return fmt.Errorf("realistic relay: %w", err)
	}
	dbURL, err := s.newDatabase(s.opt.database)
	if err != nil {
		return err
	}
	sv, p, err := s.profiled(ctx, "realistic", n, heraldOpts{db: dbURL, realistic: true, smtp: true})
	if err != nil {
		return err
	}
	defer sv.close()
	s.whereTimeWent("realistic", sv)
	name := "realistic (webhook + 3 emails over SMTP), " + s.engine(s.opt.database)
	s.add(row{Case: name + ", events delivered", Herald: fmt.Sprintf("%s (%.0f deliveries/s)", rate(p.DeliveredRate), 4*p.DeliveredRate),
		Relay: rate(rp.DeliveredRate), Ratio: ratio(p.DeliveredRate, rp.DeliveredRate), Target: fmt.Sprintf("≥ %d events/s", realisticEventsPerS),
		Result: judge(p.Lost == 0 && p.DeliveredRate >= realisticEventsPerS)})
	s.add(row{Case: name + ", ingest", Herald: rate(p.IngestRate), Relay: rate(rp.IngestRate), Ratio: ratio(p.IngestRate, rp.IngestRate)})
	s.lost("realistic", p)
	return nil
}

func (s *suite) steadyCase(ctx context.Context) error {
	n := int(float64(s.opt.rate) * s.opt.steady.Seconds())
	steady := func(sv *service) phase {
		progress("  %d events/s for %v to %s", s.opt.rate, s.opt.steady, sv.load.base)
		lo := sv.load.steady(ctx, n, s.opt.rate)
		sv.load.waitDelivered(ctx)
		return sv.load.result(lo, n)
	}
	rsv, err := s.relay(ctx, n, true)
	if err != nil {
		return err
	}
	rp := steady(rsv)
	rsv.close()
	dbURL, err := s.newDatabase(s.opt.database)
	if err != nil {
		return err
	}
	sv, err := s.herald(ctx, n, heraldOpts{db: dbURL, realistic: true, smtp: true})
	if err != nil {
		return err
	}
	defer sv.close()
	hp := steady(sv)
	if n, first := sv.load.errors(); n > 0 {
		return fmt.Errorf("%d ingest errors; first: %s", n, first)
	}
	s.add(row{Case: fmt.Sprintf("steady %d events/s, realistic, %s, p99 event → webhook", s.opt.rate, s.engine(s.opt.database)),
		Herald: msec(hp.EndToEnd.P99), Relay: msec(rp.EndToEnd.P99), Ratio: ratio(float64(hp.EndToEnd.P99), float64(rp.EndToEnd.P99)),
		Target: "≤ " + msec(steadyP99), Result: judge(hp.Lost == 0 && hp.EndToEnd.P99 <= steadyP99)})
	s.add(row{Case: "steady, p50 event → webhook", Herald: msec(hp.EndToEnd.P50), Relay: msec(rp.EndToEnd.P50)})
	s.lost("steady", hp)
	return nil
}

func (s *suite) diskCase(ctx context.Context) error {
	if !isSQLite(s.opt.database) {
		return nil
	}
	// The empty set-up: migrated, the account saved.
	size := func(dbURL string) int64 {
		var total int64
		path := strings.TrimPrefix(dbURL, "sqlite:")
		matches, _ := filepath.Glob(path + "*") // the file, -wal, -shm
		for _, m := range matches {
			if fi, err := os.Stat(m); err == nil {
				total += fi.Size()
			}
		}
		return total
	}
	empty, err := s.newDatabase("sqlite")
	if err != nil {
		return err
	}
	sv, err := s.herald(ctx, 1, heraldOpts{db: empty, realistic: true})
	if err != nil {
		return err
	}
	sv.close()
	dbURL, err := s.newDatabase("sqlite")
	if err != nil {
		return err
	}
	n := s.opt.disk
	if sv, err = s.herald(ctx, n, heraldOpts{db: dbURL, realistic: true}); err != nil {
		return err
	}
	defer sv.close()
	lo := sv.load.burst(ctx, n, s.opt.clients)
	sv.load.waitDelivered(ctx)
	if err := sv.load.waitIdle(ctx); err != nil {
		return err
	}
	p := sv.load.result(lo, n)
	if err := sv.proc.stop(); err != nil {
		return fmt.Errorf("stopping herald: %w", err)
	}
	per := float64(size(dbURL)-size(empty)) / float64(max(p.Accepted, 1))
	s.add(row{Case: "disk per realistic event, SQLite, built-in outbox", Herald: fmt.Sprintf("%.2f KiB (%s bytes)", per/1024, count(int(per))),
		Target: fmt.Sprintf("≤ %d KiB (%s bytes)", diskPerEvent>>10, count(diskPerEvent)), Result: judge(p.Accepted == n && per <= diskPerEvent)})
	return nil
}

func (s *suite) restartCase(ctx context.Context) error {
	dbURL, err := s.newDatabase(s.opt.database)
	if err != nil {
		return err
	}
	n := s.opt.restart
	sv, err := s.herald(ctx, n, heraldOpts{db: dbURL, delay: 50 * time.Millisecond})
	if err != nil {
		return err
	}
	defer sv.close()
	sv.load.burst(ctx, n, s.opt.clients)
	if !sv.rc.waitFor(int64(n/5), deliveryWait, ctx.Done()) {
		return errors.New("the first fifth did not arrive")
	}
	sv.proc.kill()
	inFlight := sv.load.accepted.Load() - sv.rc.unique.Load()
	progress("  killed herald with %d events not yet delivered; starting it again", inFlight)
	start := time.Now()
	if sv.proc, err = s.startHerald(ctx, dbURL); err != nil {
		return err
	}
	sv.load.base = "http://" + sv.proc.addr
	sv.load.waitDelivered(ctx)
	p := sv.load.result(1, n)
	var last time.Time
	for _, t := range sv.rc.arrivals(1, n) {
		last = later(last, t)
	}
	took := last.Sub(start)
	s.whereTimeWent("restart", sv)
	s.add(row{Case: fmt.Sprintf("restart after kill -9 (%d in flight), %s, until all delivered", inFlight, s.engine(s.opt.database)),
		Herald: fmt.Sprintf("%.1f s, %d lost", took.Seconds(), p.Lost), Target: fmt.Sprintf("≤ %v, 0 lost", restartResume),
		Result: judge(p.Lost == 0 && took <= restartResume)})
	return nil
}

func (s *suite) growthCase(ctx context.Context) error {
	dbURL, err := s.newDatabase(s.opt.database)
	if err != nil {
		return err
	}
	// Each measured burst follows an unmeasured one of the same size on the
	// same process: a process's first burst runs slower than its later
	// ones (13-24% with nothing stored), and herald is restarted between
	// the two measurements, so without the warm-up the ratio would compare
	// whatever warm-up each side happened to get.
	measure := func(sv *service) (phase, latency, error) {
		progress("  warm-up burst (not measured)")
		if _, err := s.burst(ctx, sv, s.opt.growth); err != nil {
			return phase{}, latency{}, fmt.Errorf("warm-up: %w", err)
		}
		p, err := s.burst(ctx, sv, s.opt.growth)
		if err != nil {
			return p, latency{}, err
		}
		l, err := sv.load.readLog(ctx, 200)
		return p, l, err
	}
	sv, err := s.herald(ctx, 4*s.opt.growth, heraldOpts{db: dbURL})
	if err != nil {
		return err
	}
	defer sv.close()
	emptyP, emptyL, err := measure(sv)
	if err != nil {
		return err
	}
	if err := sv.proc.stop(); err != nil {
		return fmt.Errorf("stopping herald: %w", err)
	}
	progress("  storing %d deliveries", s.opt.stored)
	seedStart := time.Now()
	if err := seed(ctx, dbURL, sv.load.accounts[0], s.opt.stored); err != nil {
		return fmt.Errorf("seeding: %w", err)
	}
	s.note("growth: stored %d deliveries in %.1fs", s.opt.stored, time.Since(seedStart).Seconds())
	if sv.proc, err = s.startHerald(ctx, dbURL); err != nil {
		return err
	}
	sv.load.base = "http://" + sv.proc.addr
	fullP, fullL, err := measure(sv)
	if err != nil {
		return err
	}
	name := fmt.Sprintf("with %s deliveries stored vs empty, %s", count(s.opt.stored), s.engine(s.opt.database))
	s.add(row{Case: "ingest " + name, Herald: fmt.Sprintf("%s vs %s", rate(fullP.IngestRate), rate(emptyP.IngestRate)),
		Ratio: ratio(fullP.IngestRate, emptyP.IngestRate), Target: fmt.Sprintf("≥ %.1f × empty", growthIngestRatio),
		Result: judge(fullP.IngestRate >= growthIngestRatio*emptyP.IngestRate)})
	s.add(row{Case: "delivery log read p50 / p99 " + name,
		Herald: fmt.Sprintf("%s / %s vs %s / %s", msec(fullL.P50), msec(fullL.P99), msec(emptyL.P50), msec(emptyL.P99)),
		Ratio:  ratio(float64(fullL.P50), float64(emptyL.P50))})
	s.lost("growth", fullP)
	return nil
}

// count writes 1000000 as "1,000,000".
func count(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
