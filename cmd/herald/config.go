package main

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"herald/catalog"
	"herald/dispatch"
)

// Config is everything an operator sets. Each field is a flag whose default
// comes from its HERALD_* environment variable.
type Config struct {
	DatabaseURL         string
	Listen              string
	Environment         string
	PlatformToken       string
	SMTPURL             string
	EmailFrom           string
	WebhookTimeout      time.Duration
	AllowPrivateTargets bool
	AdminBaseURL        string
	APIBaseURL          string
	PublicURL           string
	ShutdownTimeout     time.Duration
	Lease               time.Duration // 0: the worker's default
	HeartbeatTimeout    time.Duration
	Retention           time.Duration
	// EmailRetrySchedule is the delays of transient SMTP failures' retries,
	// as dispatch.ParseSchedule reads them (a string keeps Config
	// comparable).
	EmailRetrySchedule string
	// DatabaseWait is how long serve waits for an unreachable database
	// at start before it gives up; 0 gives up at once.
	DatabaseWait   time.Duration
	FrameAncestors string
	LogLevel       string
	LogFormat      string
	// SecretKey (base64) or SecretKeyFile is the master key that seals
	// webhook URLs and signing keys at rest; neither set: a key file
	// generated beside the SQLite database (secrets.go).
	SecretKey      string
	SecretKeyFile  string
	SigningOverlap time.Duration // how long a rotated signing key keeps signing
	// RetrySchedule is the delays of failed webhooks' retries, for
	// accounts that turn retries on (a string, as EmailRetrySchedule).
	RetrySchedule string
	DisableAfter  time.Duration
	FailingNotice int
}

// setting describes one configuration knob: flag name, env var, default,
// and help.
type setting struct {
	flag, env, def, help string
}

var settings = []setting{
	{"database-url", "HERALD_DATABASE_URL", "sqlite:herald.db", "database: sqlite:PATH or postgres://..."},
	{"listen", "HERALD_LISTEN", "127.0.0.1:8080", "address to serve HTTP on"},
	{"environment", "HERALD_ENVIRONMENT", "local", `the deployment's namespace, sent as the payloads' "environment"`},
	{"platform-token", "HERALD_PLATFORM_TOKEN", "", "bearer token of the platform; unset on first start, one is generated and printed once"},
	{"smtp-url", "HERALD_SMTP_URL", "", "smtp://user:pass@host:port (STARTTLS when offered) or smtps://...; unset: emails go to the built-in outbox"},
	{"email-from", "HERALD_EMAIL_FROM", "Herald <herald@localhost>", "From address of notification emails"},
	{"webhook-timeout", "HERALD_WEBHOOK_TIMEOUT", "10s", "time limit of one webhook request (Go duration)"},
	{"allow-private-targets", "HERALD_ALLOW_PRIVATE_TARGETS", "false", "allow webhook URLs on loopback/private/link-local addresses (development and tests only)"},
	{"admin-base-url", "HERALD_ADMIN_BASE_URL", catalog.DefaultAdminBaseURL, "base of run admin links; {environment} is replaced"},
	{"api-base-url", "HERALD_API_BASE_URL", catalog.DefaultAPIBaseURL, "base of run API links; {environment} is replaced"},
	{"public-url", "HERALD_PUBLIC_URL", "", "how browsers reach Herald (default http:// + the listen address)"},
	{"shutdown-timeout", "HERALD_SHUTDOWN_TIMEOUT", "15s", "how long shutdown waits for in-flight requests"},
	{"lease", "HERALD_LEASE", "", "how long a worker owns a claimed delivery; after a crash, others take it over after this (default 2 × webhook timeout + 30s)"},
	{"heartbeat-timeout", "HERALD_HEARTBEAT_TIMEOUT", "3s", "a worker whose heartbeat (every 500ms) is silent this long is presumed dead, and the others take its deliveries over without waiting for its leases"},
	{"retention", "HERALD_RETENTION", "720h", "how long completed deliveries, their attempts and events are kept"},
	{"database-wait", "HERALD_DATABASE_WAIT", "0s", "how long serve waits at start for a database it cannot reach (not yet up, restarting), trying again, before it exits; 0s exits at once"},
	{"email-retry-schedule", "HERALD_EMAIL_RETRY_SCHEDULE", dispatch.DefaultEmailRetrySchedule.String(), "delays before each retry of an email after a transient SMTP failure (4xx, connection error, timeout), comma-separated Go durations, each with up to +20% jitter; permanent (5xx) failures are not retried"},
	{"retry-schedule", "HERALD_RETRY_SCHEDULE", dispatch.DefaultRetrySchedule.String(), "delays before each retry of a failed webhook, for accounts that turn retries on, comma-separated Go durations, each with up to ±20% jitter"},
	{"webhook-disable-after", "HERALD_WEBHOOK_DISABLE_AFTER", "120h", "disable a webhook failing continuously this long (with at least 3 failed attempts)"},
	{"webhook-failing-notice", "HERALD_WEBHOOK_FAILING_NOTICE", "10", "email the primary contact when a webhook has failed this many times in a row"},
	{"frame-ancestors", "HERALD_FRAME_ANCESTORS", "'none'", "who may frame the pages: the Content-Security-Policy frame-ancestors value, e.g. https://platform.example.com"},
	{"log-level", "HERALD_LOG_LEVEL", "info", "debug, info, warn or error"},
	{"log-format", "HERALD_LOG_FORMAT", "text", "text or json"},
	{"secret-key", "HERALD_SECRET_KEY", "", "master key sealing webhook URLs and signing keys at rest: base64 of 32 random bytes (e.g. openssl rand -base64 32)"},
	{"secret-key-file", "HERALD_SECRET_KEY_FILE", "", "file holding the master key (base64); neither this nor -secret-key set: one is generated on first start, beside a SQLite database, else in the working directory"},
	{"signing-overlap", "HERALD_SIGNING_OVERLAP", "24h", "how long a previous signing key keeps signing beside a new one after a rotation (Go duration; 0 ends it at once)"},
}

// parseConfig reads flags over the environment (getenv), then validates.
func parseConfig(fs *flag.FlagSet, args []string, getenv func(string) string) (Config, error) {
	vals := make(map[string]*string, len(settings))
	for _, s := range settings {
		v := cmp.Or(getenv(s.env), s.def)
		vals[s.flag] = fs.String(s.flag, v, fmt.Sprintf("%s (env %s)", s.help, s.env))
	}
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	get := func(name string) string { return strings.TrimSpace(*vals[name]) }
	c := Config{
		DatabaseURL:    get("database-url"),
		Listen:         get("listen"),
		Environment:    get("environment"),
		PlatformToken:  get("platform-token"),
		SMTPURL:        get("smtp-url"),
		EmailFrom:      get("email-from"),
		AdminBaseURL:   get("admin-base-url"),
		APIBaseURL:     get("api-base-url"),
		PublicURL:      get("public-url"),
		LogLevel:       get("log-level"),
		LogFormat:      get("log-format"),
		FrameAncestors: get("frame-ancestors"),
		SecretKey:      get("secret-key"),
		SecretKeyFile:  get("secret-key-file"),
	}
	var errs []error
	duration := func(name string) time.Duration {
		d, err := time.ParseDuration(get(name))
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("-%s: want a positive Go duration like 10s, got %q", name, get(name)))
		}
		return d
	}
	c.WebhookTimeout = duration("webhook-timeout")
	c.ShutdownTimeout = duration("shutdown-timeout")
	c.Retention = duration("retention")
	c.HeartbeatTimeout = duration("heartbeat-timeout")
	if c.HeartbeatTimeout > 0 && c.HeartbeatTimeout < 2*time.Second {
		errs = append(errs, fmt.Errorf("-heartbeat-timeout: want at least 2s (4 heartbeats), got %s", c.HeartbeatTimeout))
	}
	// Lease stays 0 when unset: the worker's default follows the timeout.
	if get("lease") != "" {
		c.Lease = duration("lease")
	}
	if d, err := time.ParseDuration(get("signing-overlap")); err != nil || d < 0 {
		errs = append(errs, fmt.Errorf("-signing-overlap: want a Go duration like 24h (0 allowed), got %q", get("signing-overlap")))
	} else {
		c.SigningOverlap = d
	}
	if c.SecretKey != "" && c.SecretKeyFile != "" {
		errs = append(errs, errors.New("-secret-key and -secret-key-file: set one, not both"))
	}
	if c.Lease > 0 && c.Lease <= c.WebhookTimeout {
		errs = append(errs, fmt.Errorf("-lease: must be longer than -webhook-timeout (%s), or a send could outlive it", c.WebhookTimeout))
	}
	if d, err := time.ParseDuration(get("database-wait")); err != nil || d < 0 {
		errs = append(errs, fmt.Errorf("-database-wait: want a Go duration like 0s or 2m, got %q", get("database-wait")))
	} else {
		c.DatabaseWait = d
	}
	c.DisableAfter = duration("webhook-disable-after")
	if sched, err := dispatch.ParseSchedule(get("retry-schedule")); err != nil {
		errs = append(errs, fmt.Errorf("-retry-schedule: %w", err))
	} else {
		c.RetrySchedule = sched.String()
	}
	if n, err := strconv.Atoi(get("webhook-failing-notice")); err != nil || n < 1 {
		errs = append(errs, fmt.Errorf("-webhook-failing-notice: want a positive number, got %q", get("webhook-failing-notice")))
	} else {
		c.FailingNotice = n
	}
	if sched, err := dispatch.ParseSchedule(get("email-retry-schedule")); err != nil {
		errs = append(errs, fmt.Errorf("-email-retry-schedule: %w", err))
	} else {
		c.EmailRetrySchedule = sched.String()
	}
	b, err := strconv.ParseBool(get("allow-private-targets"))
	if err != nil {
		errs = append(errs, fmt.Errorf("-allow-private-targets: want true or false, got %q", get("allow-private-targets")))
	}
	c.AllowPrivateTargets = b
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		errs = append(errs, fmt.Errorf("-listen: want host:port, got %q", c.Listen))
	}
	if c.Environment == "" {
		errs = append(errs, errors.New("-environment: must not be empty"))
	}
	if c.PublicURL == "" {
		c.PublicURL = "http://" + c.Listen
	}
	for _, u := range []struct{ name, value string }{{"admin-base-url", c.AdminBaseURL}, {"api-base-url", c.APIBaseURL}, {"public-url", c.PublicURL}} {
		if p, err := url.Parse(strings.ReplaceAll(u.value, "{environment}", "x")); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			errs = append(errs, fmt.Errorf("-%s: want an http(s) URL, got %q", u.name, u.value))
		}
	}
	if c.SMTPURL != "" {
		if p, err := url.Parse(c.SMTPURL); err != nil || (p.Scheme != "smtp" && p.Scheme != "smtps") || p.Hostname() == "" {
			errs = append(errs, errors.New("-smtp-url: want smtp://user:pass@host:port or smtps://user:pass@host:port"))
		}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("-log-level: want debug, info, warn or error, got %q", c.LogLevel))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("-log-format: want text or json, got %q", c.LogFormat))
	}
	return c, errors.Join(errs...)
}
