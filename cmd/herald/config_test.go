package main

import (
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// defaultConfig is what an empty environment and no flags give.
func defaultConfig() Config {
	return Config{
		DatabaseURL:         "sqlite:herald.db",
		Listen:              "127.0.0.1:8080",
		Environment:         "local",
		PlatformToken:       "",
		SMTPURL:             "",
		EmailFrom:           "Herald <herald@localhost>",
		WebhookTimeout:      10 * time.Second,
		AllowPrivateTargets: false,
		AdminBaseURL:        "https://admin.{environment}.pandium.com",
		APIBaseURL:          "https://api.{environment}.pandium.com",
		PublicURL:           "http://127.0.0.1:8080",
		ShutdownTimeout:     15 * time.Second,
		HeartbeatTimeout:    3 * time.Second,
		Retention:           30 * 24 * time.Hour,
		EmailRetrySchedule:  "30s,1m0s,2m0s,5m0s,10m0s,15m0s,30m0s,1h0m0s,2h0m0s,4h0m0s,8h0m0s,8h0m0s",
		RetrySchedule:       "5s,5m0s,30m0s,2h0m0s,5h0m0s,10h0m0s,14h0m0s,20h0m0s,24h0m0s",
		DisableAfter:        120 * time.Hour,
		FailingNotice:       10,
		FrameAncestors:      "'none'",
		LogLevel:            "info",
		LogFormat:           "text",
		SigningOverlap:      24 * time.Hour,
	}
}

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want func(c *Config)
	}{
		{name: "defaults", want: func(c *Config) {}},
		{
			name: "public url defaults to http:// + listen",
			env:  map[string]string{"HERALD_LISTEN": "0.0.0.0:9090"},
			want: func(c *Config) { c.Listen = "0.0.0.0:9090"; c.PublicURL = "http://0.0.0.0:9090" },
		},
		{
			name: "public url defaults to http:// + the listen flag",
			env:  map[string]string{"HERALD_LISTEN": "0.0.0.0:9090"},
			args: []string{"-listen", "127.0.0.1:7070"},
			want: func(c *Config) { c.Listen = "127.0.0.1:7070"; c.PublicURL = "http://127.0.0.1:7070" },
		},
		{
			name: "explicit public url is kept",
			env:  map[string]string{"HERALD_LISTEN": "0.0.0.0:9090", "HERALD_PUBLIC_URL": "https://herald.example.test"},
			want: func(c *Config) { c.Listen = "0.0.0.0:9090"; c.PublicURL = "https://herald.example.test" },
		},
		{
			name: "every variable from the environment",
			env: map[string]string{
				"HERALD_DATABASE_URL":          "postgres://u@127.0.0.1:5432/h",
				"HERALD_LISTEN":                "127.0.0.1:0",
				"HERALD_ENVIRONMENT":           "staging",
				"HERALD_PLATFORM_TOKEN":        "tok",
				"HERALD_SMTP_URL":              "smtps://u:p@mail.example.test:465",
				"HERALD_EMAIL_FROM":            "ops@example.test",
				"HERALD_WEBHOOK_TIMEOUT":       "1m30s",
				"HERALD_ALLOW_PRIVATE_TARGETS": "true",
				"HERALD_ADMIN_BASE_URL":        "https://admin.{environment}.example.test",
				"HERALD_API_BASE_URL":          "http://api.{environment}.example.test",
				"HERALD_PUBLIC_URL":            "https://herald.example.test/base",
				"HERALD_SHUTDOWN_TIMEOUT":      "2s",
				"HERALD_LEASE":                 "2m",
				"HERALD_RETENTION":             "168h",
				"HERALD_EMAIL_RETRY_SCHEDULE":  "1s, 1m",
				"HERALD_DATABASE_WAIT":         "90s",
				"HERALD_LOG_LEVEL":             "debug",
				"HERALD_LOG_FORMAT":            "json",
				"HERALD_SECRET_KEY_FILE":       "/etc/herald/key",
				"HERALD_SIGNING_OVERLAP":       "90m",
				"HERALD_HEARTBEAT_TIMEOUT":     "7s",
			},
			want: func(c *Config) {
				*c = Config{
					DatabaseURL: "postgres://u@127.0.0.1:5432/h", Listen: "127.0.0.1:0", Environment: "staging",
					PlatformToken: "tok", SMTPURL: "smtps://u:p@mail.example.test:465", EmailFrom: "ops@example.test",
					WebhookTimeout: 90 * time.Second, AllowPrivateTargets: true,
					AdminBaseURL: "https://admin.{environment}.example.test", APIBaseURL: "http://api.{environment}.example.test",
					PublicURL: "https://herald.example.test/base", ShutdownTimeout: 2 * time.Second, Lease: 2 * time.Minute, HeartbeatTimeout: 7 * time.Second,
					Retention: 7 * 24 * time.Hour, EmailRetrySchedule: "1s,1m0s", DatabaseWait: 90 * time.Second, FrameAncestors: "'none'", LogLevel: "debug", LogFormat: "json",
					SecretKeyFile: "/etc/herald/key", SigningOverlap: 90 * time.Minute,
					RetrySchedule: "5s,5m0s,30m0s,2h0m0s,5h0m0s,10h0m0s,14h0m0s,20h0m0s,24h0m0s", DisableAfter: 120 * time.Hour, FailingNotice: 10,
				}
			},
		},
		{
			name: "flags override the environment",
			env: map[string]string{
				"HERALD_ENVIRONMENT": "from-env", "HERALD_WEBHOOK_TIMEOUT": "5s",
				"HERALD_ALLOW_PRIVATE_TARGETS": "false", "HERALD_SMTP_URL": "smtp://env.example.test:25",
			},
			args: []string{"-environment", "from-flag", "-webhook-timeout=7s", "-allow-private-targets=true", "-smtp-url", "smtp://flag.example.test:587"},
			want: func(c *Config) {
				c.Environment = "from-flag"
				c.WebhookTimeout = 7 * time.Second
				c.AllowPrivateTargets = true
				c.SMTPURL = "smtp://flag.example.test:587"
			},
		},
		{
			name: "a flag fixes an invalid environment value",
			env:  map[string]string{"HERALD_WEBHOOK_TIMEOUT": "soon", "HERALD_LISTEN": "nowhere"},
			args: []string{"-webhook-timeout", "3s", "-listen", "127.0.0.1:1234"},
			want: func(c *Config) {
				c.WebhookTimeout = 3 * time.Second
				c.Listen = "127.0.0.1:1234"
				c.PublicURL = "http://127.0.0.1:1234"
			},
		},
		{
			name: "an empty variable is unset",
			env:  map[string]string{"HERALD_ENVIRONMENT": "", "HERALD_WEBHOOK_TIMEOUT": ""},
			want: func(c *Config) {},
		},
		{
			name: "surrounding spaces are trimmed",
			env:  map[string]string{"HERALD_ENVIRONMENT": " prod ", "HERALD_PLATFORM_TOKEN": " tok\n"},
			want: func(c *Config) { c.Environment = "prod"; c.PlatformToken = "tok" },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			got, err := parseConfig(fs, tt.args, envFunc(tt.env))
			if err != nil {
				t.Fatalf("parseConfig: %v", err)
			}
			want := defaultConfig()
			tt.want(&want)
			if got != want {
				t.Errorf("parseConfig:\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestParseConfigReportsEveryInvalidSetting(t *testing.T) {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	_, err := parseConfig(fs, nil, envFunc(map[string]string{
		"HERALD_WEBHOOK_TIMEOUT":       "-1s",
		"HERALD_ALLOW_PRIVATE_TARGETS": "maybe",
		"HERALD_LOG_FORMAT":            "xml",
	}))
	if err == nil {
		t.Fatal("parseConfig accepted invalid settings")
	}
	for _, name := range []string{"-webhook-timeout", "-allow-private-targets", "-log-format"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s: %v", name, err)
		}
	}
}

func TestParseConfigHelpIsErrHelp(t *testing.T) {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if _, err := parseConfig(fs, []string{"-help"}, envFunc(nil)); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("parseConfig -help: %v, want flag.ErrHelp", err)
	}
}

func TestInvalidConfigExits2NamingTheFlag(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		args  []string
		names string // the flag the message must name
	}{
		{name: "bad duration env", env: map[string]string{"HERALD_WEBHOOK_TIMEOUT": "ten seconds"}, names: "-webhook-timeout"},
		{name: "bad duration flag", args: []string{"-webhook-timeout", "10"}, names: "-webhook-timeout"},
		{name: "zero duration", env: map[string]string{"HERALD_WEBHOOK_TIMEOUT": "0s"}, names: "-webhook-timeout"},
		{name: "lease not longer than the webhook timeout", env: map[string]string{"HERALD_LEASE": "5s", "HERALD_WEBHOOK_TIMEOUT": "10s"}, names: "-lease"},
		{name: "negative database wait", env: map[string]string{"HERALD_DATABASE_WAIT": "-1s"}, names: "-database-wait"},
		{name: "heartbeat timeout too short for its beats", env: map[string]string{"HERALD_HEARTBEAT_TIMEOUT": "1s"}, names: "-heartbeat-timeout"},
		{name: "bad webhook retry schedule", env: map[string]string{"HERALD_RETRY_SCHEDULE": "5s,soon"}, names: "-retry-schedule"},
		{name: "bad failing notice", env: map[string]string{"HERALD_WEBHOOK_FAILING_NOTICE": "0"}, names: "-webhook-failing-notice"},
		{name: "bad disable after", env: map[string]string{"HERALD_WEBHOOK_DISABLE_AFTER": "5 days"}, names: "-webhook-disable-after"},
		{name: "bad email retry schedule", env: map[string]string{"HERALD_EMAIL_RETRY_SCHEDULE": "30s,tomorrow"}, names: "-email-retry-schedule"},
		{name: "bad retention", env: map[string]string{"HERALD_RETENTION": "30d"}, names: "-retention"},
		{name: "bad shutdown timeout", env: map[string]string{"HERALD_SHUTDOWN_TIMEOUT": "later"}, names: "-shutdown-timeout"},
		{name: "bad bool env", env: map[string]string{"HERALD_ALLOW_PRIVATE_TARGETS": "yes please"}, names: "-allow-private-targets"},
		{name: "bad bool flag", args: []string{"-allow-private-targets=sure"}, names: "-allow-private-targets"},
		{name: "listen without port", env: map[string]string{"HERALD_LISTEN": "127.0.0.1"}, names: "-listen"},
		{name: "listen flag without port", args: []string{"-listen", "localhost"}, names: "-listen"},
		{name: "smtp url with http scheme", env: map[string]string{"HERALD_SMTP_URL": "http://mail.example.test:25"}, names: "-smtp-url"},
		{name: "smtp url without host", args: []string{"-smtp-url", "smtp://"}, names: "-smtp-url"},
		{name: "log level bogus", env: map[string]string{"HERALD_LOG_LEVEL": "bogus"}, names: "-log-level"},
		{name: "log format bogus", args: []string{"-log-format", "yaml"}, names: "-log-format"},
		{name: "negative signing overlap", env: map[string]string{"HERALD_SIGNING_OVERLAP": "-1h"}, names: "-signing-overlap"},
		{name: "both secret key settings", env: map[string]string{"HERALD_SECRET_KEY": "a", "HERALD_SECRET_KEY_FILE": "b"}, names: "-secret-key-file"},
		{name: "empty environment", args: []string{"-environment", " "}, names: "-environment"},
		{name: "public url not http", env: map[string]string{"HERALD_PUBLIC_URL": "ftp://herald.example.test"}, names: "-public-url"},
		{name: "admin base url relative", env: map[string]string{"HERALD_ADMIN_BASE_URL": "/admin"}, names: "-admin-base-url"},
		{name: "api base url no host", args: []string{"-api-base-url", "https://"}, names: "-api-base-url"},
		{name: "unknown flag", args: []string{"-no-such-flag"}, names: "-no-such-flag"},
		{name: "stray argument", args: []string{"extra"}, names: "extra"},
	}
	for _, cmd := range []string{"serve", "migrate"} {
		for _, tt := range tests {
			t.Run(cmd+"/"+tt.name, func(t *testing.T) {
				code, stdout, stderr := runCmd(t, tt.env, append([]string{cmd}, tt.args...)...)
				if code != 2 {
					t.Errorf("code %d, want 2; stderr:\n%s", code, stderr)
				}
				if !strings.Contains(stderr, tt.names) {
					t.Errorf("stderr does not name %s:\n%s", tt.names, stderr)
				}
				if strings.Contains(stdout, "hp_") || strings.Contains(stdout, "applied") {
					t.Errorf("the command did work despite invalid config; stdout:\n%s", stdout)
				}
			})
		}
	}
}

func TestInvalidConfigOpensNoDatabase(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "herald.db")
	code, _, _ := runCmd(t, map[string]string{"HERALD_DATABASE_URL": "sqlite:" + db, "HERALD_LOG_LEVEL": "loud"}, "migrate")
	if code != 2 {
		t.Fatalf("code %d, want 2", code)
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Errorf("invalid config still created the database %s (stat: %v)", db, err)
	}
}

func TestDatabaseURLFlagOverridesEnv(t *testing.T) {
	dir := t.TempDir()
	fromEnv := filepath.Join(dir, "env.db")
	fromFlag := filepath.Join(dir, "flag.db")
	var out, errOut syncBuffer
	code := run(t.Context(), []string{"migrate", "-database-url", "sqlite:" + fromFlag}, nil, &out, &errOut,
		envFunc(map[string]string{"HERALD_DATABASE_URL": "sqlite:" + fromEnv}), nil)
	if code != 0 {
		t.Fatalf("migrate: code %d, stderr:\n%s", code, errOut.String())
	}
	if _, err := os.Stat(fromFlag); err != nil {
		t.Errorf("the flag's database was not created: %v", err)
	}
	if _, err := os.Stat(fromEnv); !os.IsNotExist(err) {
		t.Errorf("the environment's database was used although the flag overrides it (stat: %v)", err)
	}
}

func TestServeFlagsOverrideEnv(t *testing.T) {
	// The environment is invalid (listen without port) and asks for text
	// logs; the flags fix the address and ask for JSON.
	p := startServe(t, map[string]string{
		"HERALD_DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "herald.db"),
		"HERALD_LISTEN":       "nowhere",
		"HERALD_LOG_FORMAT":   "text",
		"HERALD_ENVIRONMENT":  "from-env",
	}, "-listen", "127.0.0.1:0", "-log-format", "json", "-environment", "from-flag")
	p.expect(t, 200, "GET", "/healthz", "", "")
	if code := p.stop(t); code != 0 {
		t.Fatalf("serve returned %d, want 0; stderr:\n%s", code, p.stderr)
	}
	var serving map[string]any
	for line := range strings.Lines(p.stderr.String()) {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line is not JSON though -log-format json overrides the env: %q", line)
		}
		if m["msg"] == "herald serving" {
			serving = m
		}
	}
	if serving == nil {
		t.Fatalf("no %q log line:\n%s", "herald serving", p.stderr)
	}
	if serving["addr"] != p.addr || serving["environment"] != "from-flag" {
		t.Errorf("serving line %v: want addr %s and environment from-flag", serving, p.addr)
	}
}
