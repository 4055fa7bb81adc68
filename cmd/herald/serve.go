package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"herald"
	"herald/catalog"
	"herald/dispatch"
	"herald/email"
	"herald/metrics"
	"herald/netguard"
	"herald/password"
	"herald/seal"
	"herald/store"
	"herald/ui"
	"herald/web"
	"herald/webhook"
)

// parseFlags parses a command's flags; help goes to stdout (exit 0), errors
// to stderr (exit 2). ok is false when the command should stop with code.
func parseFlags(name string, args []string, stdout, stderr io.Writer, getenv func(string) string) (cfg Config, code int, ok bool) {
	return parseFlagSet(flag.NewFlagSet("herald "+name, flag.ContinueOnError), name, args, stdout, stderr, getenv)
}

// parseFlagSet is parseFlags for a command with flags of its own, already
// defined on fs, beside the settings.
func parseFlagSet(fs *flag.FlagSet, name string, args []string, stdout, stderr io.Writer, getenv func(string) string) (cfg Config, code int, ok bool) {
	fs.SetOutput(io.Discard)
	cfg, err := parseConfig(fs, args, getenv)
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(stdout)
		fmt.Fprintf(stdout, "usage: herald %s [flags]\n\nflags (each defaults to its environment variable):\n", name)
		fs.PrintDefaults()
		return cfg, 0, false
	}
	if err != nil {
		fmt.Fprintf(stderr, "herald %s: %v\n(herald %s -help lists the flags)\n", name, err, name)
		return cfg, 2, false
	}
	return cfg, 0, true
}

func newLogger(w io.Writer, cfg Config) *slog.Logger {
	var level slog.Level
	level.UnmarshalText([]byte(cfg.LogLevel)) // validated in parseConfig
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// openStore opens and migrates the database.
func openStore(ctx context.Context, cfg Config, logger *slog.Logger) (*store.Store, error) {
	st, err := openDatabase(ctx, cfg, logger)
	if err != nil {
		return nil, err
	}
	applied, err := st.Migrate(ctx)
	if err != nil {
		st.Close()
		return nil, err
	}
	if len(applied) > 0 {
		logger.Info("database migrated", "applied", applied)
	}
	return st, nil
}

// openDatabase opens the database with the master key that seals its
// secrets (Migrate then checks it is the right one).
func openDatabase(ctx context.Context, cfg Config, logger *slog.Logger) (*store.Store, error) {
	key, err := loadMasterKey(cfg, logger, true)
	if err != nil {
		return nil, err
	}
	if key.generated {
		// A new key is written only once the database answers, so a
		// failed start leaves no key file behind.
		st, err := store.Open(ctx, cfg.DatabaseURL, store.Options{})
		if err != nil {
			return nil, err
		}
		st.Close()
		if err := key.save(logger); err != nil {
			return nil, err
		}
	}
	box, err := seal.NewBox(key.key)
	if err != nil {
		return nil, err
	}
	return store.Open(ctx, cfg.DatabaseURL, store.Options{Secrets: box})
}

// defaultGCPercent is the garbage collector's target when GOGC is not
// set: the heap may grow to three times what is live between collections,
// not twice (Go's 100). Allocation and collection were about a sixth of
// serve's CPU in heraldbench's bursts, where the live heap is tens of MiB.
// Measured with heraldbench on 2 cores: a webhook-only event 205–234 µs of
// CPU instead of 261, a realistic one 620–685 µs instead of 626–725; peak
// memory of the realistic burst 101–104 MiB instead of 86. GOGC (and
// GOMEMLIMIT) still decide when set.
const defaultGCPercent = 200

func serve(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string, ready chan<- string) int {
	cfg, code, ok := parseFlags("serve", args, stdout, stderr, getenv)
	if !ok {
		return code
	}
	logger := newLogger(stderr, cfg)
	if getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
	if err := serveConfig(ctx, cfg, stdout, logger, ready); err != nil {
		logger.Error("herald stopped", "err", err)
		return 1
	}
	return 0
}

// waitForStore opens and migrates the database like openStore, but while
// the database cannot be reached (not yet started, restarting) it tries
// again, saying so, for up to cfg.DatabaseWait: a host that boots
// PostgreSQL and herald together then needs no supervisor restarting herald
// in a loop.
func waitForStore(ctx context.Context, cfg Config, logger *slog.Logger) (*store.Store, error) {
	backoff := 250 * time.Millisecond
	deadline := time.Now().Add(cfg.DatabaseWait)
	for {
		st, err := openStore(ctx, cfg, logger)
		if err == nil || !store.Unavailable(err) || ctx.Err() != nil || time.Now().Add(backoff).After(deadline) {
			return st, err
		}
		logger.Warn("database unreachable; waiting for it", "err", err, "retry_in", backoff.String())
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

func serveConfig(ctx context.Context, cfg Config, stdout io.Writer, logger *slog.Logger, ready chan<- string) error {
	st, err := waitForStore(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer st.Close()

	hashes, err := platformTokens(ctx, cfg, st, stdout, logger)
	if err != nil {
		return err
	}
	builder := catalog.NewBuilder(cfg.Environment, cfg.AdminBaseURL, cfg.APIBaseURL)
	guard := &netguard.Guard{AllowPrivate: cfg.AllowPrivateTargets}
	// As many idle connections per host as deliveries in flight to one host
	// (the worker's PerHost), so a busy receiver is not redialled.
	webhooks := webhook.New(webhook.Options{Timeout: cfg.WebhookTimeout, Guard: guard, UserAgent: "Herald/" + version, MaxIdleConnsPerHost: dispatch.DefaultPerHost})
	defer webhooks.Close()
	m := metrics.New(st, nil)
	renderer, err := email.NewRenderer(cfg.EmailFrom)
	if err != nil {
		return fmt.Errorf("-email-from: %w", err)
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	if cfg.PublicURL == "http://"+cfg.Listen {
		// The default follows the address actually bound (port 0 in tests).
		cfg.PublicURL = "http://" + ln.Addr().String()
	}
	// After listening: emails link to the public URL.
	worker, err := newWorker(cfg, st, webhooks, renderer, m, logger)
	if err != nil {
		ln.Close()
		return err
	}
	// After listening, so the sign-in address printed is the real one.
	if err := operatorOnFirstStart(ctx, cfg, st, stdout, logger); err != nil {
		ln.Close()
		return err
	}
	ingester := dispatch.NewIngester(st, builder, nil)
	ingester.HandTo(worker)
	signing := &dispatch.Signing{Store: st, Overlap: cfg.SigningOverlap}
	tester := &dispatch.Tester{Store: st, Builder: builder, Webhooks: webhooks, Lease: worker.Lease()}
	handler := web.New(web.Config{
		Store:               st,
		Ingester:            ingester,
		Builder:             builder,
		Guard:               guard,
		PlatformTokenHashes: hashes,
		Tester:              tester,
		Signing:             signing,
		Metrics:             m,
		Logger:              logger,
		PublicURL:           cfg.PublicURL,
		Pages: ui.New(ui.Config{
			Store: st, Tester: tester, Signing: signing, Guard: guard, PublicURL: cfg.PublicURL, FrameAncestors: cfg.FrameAncestors,
			OutboxEnabled: cfg.SMTPURL == "", Renderer: renderer, Builder: builder, Logger: logger,
		}),
	})
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      cfg.WebhookTimeout + 30*time.Second, // a test send waits for the receiver
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	worked := make(chan error, 1)
	go func() { worked <- worker.Run(workCtx) }()
	go dispatch.Prune(workCtx, st, cfg.Retention, time.Minute, logger)
	logger.Info("herald serving", "version", version, "addr", ln.Addr().String(), "database", string(st.Dialect()),
		"environment", cfg.Environment, "public_url", cfg.PublicURL, "allow_private_targets", cfg.AllowPrivateTargets)
	if ready != nil {
		ready <- ln.Addr().String()
	}

	var serveErr error
	select {
	case serveErr = <-served:
	case <-ctx.Done():
	}
	logger.Info("shutting down: no new connections; waiting for in-flight requests", "timeout", cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		logger.Warn("in-flight requests did not finish in time; closing them", "err", err)
		srv.Close()
	}
	// Deliveries in flight finish (each bounded by its timeout) and are
	// recorded; the rest stay pending in the database for the next start.
	stopWork()
	select {
	case <-worked:
	case <-time.After(cfg.WebhookTimeout + 5*time.Second):
		logger.Warn("deliveries in flight did not finish; they will be sent again after their leases expire")
	}
	logger.Info("stopped")
	return serveErr
}

// newWorker builds the delivery worker: webhooks through the guarded
// sender, emails over SMTP when configured, else into the outbox.
func newWorker(cfg Config, st *store.Store, webhooks *webhook.Sender, renderer *email.Renderer, m *metrics.Metrics, logger *slog.Logger) (*dispatch.Worker, error) {
	retry, err := dispatch.ParseSchedule(cfg.EmailRetrySchedule)
	if err != nil {
		return nil, fmt.Errorf("-email-retry-schedule: %w", err)
	}
	webhookRetry, err := dispatch.ParseSchedule(cfg.RetrySchedule)
	if err != nil {
		return nil, fmt.Errorf("-retry-schedule: %w", err)
	}
	wc := dispatch.WorkerConfig{Store: st, Webhooks: webhooks, Renderer: renderer, WebhookTimeout: cfg.WebhookTimeout, Lease: cfg.Lease,
		DeadAfter: cfg.HeartbeatTimeout, EmailRetry: retry, PublicURL: cfg.PublicURL, Observer: m, Logger: logger, RetrySchedule: webhookRetry,
		Health: store.HealthPolicy{DisableAfter: cfg.DisableAfter, FailingNotice: cfg.FailingNotice}}
	if cfg.SMTPURL != "" {
		smtp, err := email.NewSMTP(cfg.SMTPURL)
		if err != nil {
			return nil, fmt.Errorf("-smtp-url: %w", err)
		}
		wc.SMTP = smtp
	}
	return dispatch.NewWorker(wc), nil
}

// platformTokens returns the hashes of every platform credential: the
// configured token, and the one generated on the first start. With neither,
// it generates one and prints it this once; only its hash is stored.
func platformTokens(ctx context.Context, cfg Config, st *store.Store, stdout io.Writer, logger *slog.Logger) ([]string, error) {
	hashes, err := st.PlatformTokenHashes(ctx)
	if err != nil {
		return nil, err
	}
	if cfg.PlatformToken != "" {
		if len(cfg.PlatformToken) < 32 {
			logger.Warn("HERALD_PLATFORM_TOKEN is short; use at least 32 random characters")
		}
		return append(hashes, herald.HashToken(cfg.PlatformToken)), nil
	}
	if len(hashes) > 0 {
		return hashes, nil
	}
	token := herald.NewToken(herald.PlatformTokenPrefix)
	stored, err := st.InitPlatformToken(ctx, herald.HashToken(token))
	if err != nil {
		return nil, err
	}
	if stored {
		fmt.Fprintf(stdout, "\nGenerated the platform token. It is shown this once; Herald keeps only its hash:\n\n    %s\n\nUse it as: Authorization: Bearer %s\n\n", token, token)
	}
	return st.PlatformTokenHashes(ctx)
}

// firstOperatorEmail is the email of the operator created on first start.
// It need not be deliverable: it is only the name to sign in with.
const firstOperatorEmail = "admin@localhost"

// operatorOnFirstStart creates an operator with a generated password when
// there are no users, and prints how to sign in, this once, next to the
// generated platform token: so the quick start leads straight into the
// pages. A deployment that configures HERALD_PLATFORM_TOKEN gets no such
// account (nor a password on its stdout); it adds users with "herald
// users create". Of two processes starting together on one database, the
// one whose insert loses on the unique email prints nothing.
func operatorOnFirstStart(ctx context.Context, cfg Config, st *store.Store, stdout io.Writer, logger *slog.Logger) error {
	n, err := st.CountUsers(ctx)
	if err != nil || n > 0 {
		return err
	}
	if cfg.PlatformToken != "" {
		logger.Info("no users can sign in to the pages yet; add one with: herald users create -email EMAIL -role operator")
		return nil
	}
	pw := password.Generate()
	hash, err := password.Hash(pw)
	if err != nil {
		return err
	}
	now := time.Now()
	u := herald.User{ID: herald.NewID("usr_", now), Email: firstOperatorEmail, Role: herald.RoleOperator, CreatedAt: now}
	err = st.CreateUser(ctx, u, hash)
	if herald.ErrorCode(err) == herald.CodeConflict {
		return nil // another process created it, and printed it
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Generated the first operator. Sign in at %s/ with: email %s, password %s (shown this once)\n\n",
		strings.TrimRight(cfg.PublicURL, "/"), firstOperatorEmail, pw)
	return nil
}

func migrate(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	cfg, code, ok := parseFlags("migrate", args, stdout, stderr, getenv)
	if !ok {
		return code
	}
	logger := newLogger(stderr, cfg)
	st, err := openDatabase(ctx, cfg, logger)
	if err != nil {
		logger.Error("migrate failed", "err", err)
		return 1
	}
	defer st.Close()
	applied, err := st.Migrate(ctx)
	if err != nil {
		logger.Error("migrate failed", "err", err)
		return 1
	}
	fmt.Fprintf(stdout, "applied %d migration(s) %v\n", len(applied), applied)
	return 0
}
