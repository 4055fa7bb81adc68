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
	"time"

	"herald"
	"herald/catalog"
	"herald/dispatch"
	"herald/netguard"
	"herald/store"
	"herald/web"
)

// parseFlags parses a command's flags; help goes to stdout (exit 0), errors
// to stderr (exit 2). ok is false when the command should stop with code.
func parseFlags(name string, args []string, stdout, stderr io.Writer, getenv func(string) string) (cfg Config, code int, ok bool) {
	fs := flag.NewFlagSet("herald "+name, flag.ContinueOnError)
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
	st, err := store.Open(ctx, cfg.DatabaseURL, store.Options{})
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

func serve(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string, ready chan<- string) int {
	cfg, code, ok := parseFlags("serve", args, stdout, stderr, getenv)
	if !ok {
		return code
	}
	logger := newLogger(stderr, cfg)
	if err := serveConfig(ctx, cfg, stdout, logger, ready); err != nil {
		logger.Error("herald stopped", "err", err)
		return 1
	}
	return 0
}

func serveConfig(ctx context.Context, cfg Config, stdout io.Writer, logger *slog.Logger, ready chan<- string) error {
	st, err := openStore(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer st.Close()

	hashes, err := platformTokens(ctx, cfg, st, stdout, logger)
	if err != nil {
		return err
	}
	builder := catalog.NewBuilder(cfg.Environment, cfg.AdminBaseURL, cfg.APIBaseURL)
	handler := web.New(web.Config{
		Store:               st,
		Ingester:            dispatch.NewIngester(st, builder, nil),
		Builder:             builder,
		Guard:               &netguard.Guard{AllowPrivate: cfg.AllowPrivateTargets},
		PlatformTokenHashes: hashes,
		Logger:              logger,
	})
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      cfg.WebhookTimeout + 30*time.Second, // a test send waits for the receiver
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	if cfg.PublicURL == "http://"+cfg.Listen {
		// The default follows the address actually bound (port 0 in tests).
		cfg.PublicURL = "http://" + ln.Addr().String()
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	logger.Info("herald serving", "version", version, "addr", ln.Addr().String(), "database", string(st.Dialect()),
		"environment", cfg.Environment, "public_url", cfg.PublicURL, "allow_private_targets", cfg.AllowPrivateTargets)
	if ready != nil {
		ready <- ln.Addr().String()
	}

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down: no new connections; waiting for in-flight requests", "timeout", cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		logger.Warn("in-flight requests did not finish in time; closing them", "err", err)
		srv.Close()
	}
	logger.Info("stopped")
	return nil
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

func migrate(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	cfg, code, ok := parseFlags("migrate", args, stdout, stderr, getenv)
	if !ok {
		return code
	}
	logger := newLogger(stderr, cfg)
	st, err := store.Open(ctx, cfg.DatabaseURL, store.Options{})
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
