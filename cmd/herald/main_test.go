package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// runCmd runs the CLI in-process with a fake environment and returns the
// exit code and outputs. The context is canceled beforehand: a command
// that unexpectedly gets as far as opening a database or serving fails
// fast rather than hanging or binding 127.0.0.1:8080.
func runCmd(t *testing.T, vars map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	env := map[string]string{
		"HERALD_DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "herald.db"),
		"HERALD_LISTEN":       "127.0.0.1:0",
	}
	for k, v := range vars {
		env[k] = v
	}
	var out, errOut bytes.Buffer
	code = run(ctx, args, nil, &out, &errOut, envFunc(env), nil)
	return code, out.String(), errOut.String()
}

func TestVersionPrintsHeraldDev(t *testing.T) {
	for _, arg := range []string{"version", "-version", "--version"} {
		t.Run(arg, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, nil, arg)
			if code != 0 || stdout != "herald dev\n" || stderr != "" {
				t.Errorf("herald %s: code %d, stdout %q, stderr %q; want 0, %q, nothing", arg, code, stdout, stderr, "herald dev\n")
			}
		})
	}
}

func TestNoArgumentsExits2WithUsage(t *testing.T) {
	code, stdout, stderr := runCmd(t, nil)
	if code != 2 {
		t.Errorf("code %d, want 2", code)
	}
	if stdout != "" {
		t.Errorf("stdout %q, want nothing", stdout)
	}
	for _, want := range []string{"usage: herald", "serve", "migrate", "version"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

func TestHelpCommandExits0WithUsageOnStdout(t *testing.T) {
	for _, arg := range []string{"help", "-h", "-help", "--help"} {
		t.Run(arg, func(t *testing.T) {
			code, stdout, _ := runCmd(t, nil, arg)
			if code != 0 || !strings.Contains(stdout, "usage: herald") {
				t.Errorf("code %d, stdout %q; want 0 and the usage", code, stdout)
			}
		})
	}
}

func TestUnknownCommandExits2NamingIt(t *testing.T) {
	code, stdout, stderr := runCmd(t, nil, "frobnicate")
	if code != 2 {
		t.Errorf("code %d, want 2", code)
	}
	if stdout != "" {
		t.Errorf("stdout %q, want nothing", stdout)
	}
	if !strings.Contains(stderr, `"frobnicate"`) || !strings.Contains(stderr, "usage: herald") {
		t.Errorf("stderr should name the command and show the usage:\n%s", stderr)
	}
}

// The Running table of api.md: every variable, and the defaults it and
// the spec folder's README.md give.
var runningTable = []struct{ env, flag, def string }{
	{"HERALD_DATABASE_URL", "database-url", "sqlite:herald.db"},
	{"HERALD_LISTEN", "listen", "127.0.0.1:8080"},
	{"HERALD_ENVIRONMENT", "environment", "local"},
	{"HERALD_PLATFORM_TOKEN", "platform-token", ""},
	{"HERALD_SMTP_URL", "smtp-url", ""},
	{"HERALD_EMAIL_FROM", "email-from", ""},
	{"HERALD_WEBHOOK_TIMEOUT", "webhook-timeout", "10s"},
	{"HERALD_ALLOW_PRIVATE_TARGETS", "allow-private-targets", "false"},
	{"HERALD_ADMIN_BASE_URL", "admin-base-url", "https://admin.{environment}.pandium.com"},
	{"HERALD_API_BASE_URL", "api-base-url", "https://api.{environment}.pandium.com"},
	{"HERALD_PUBLIC_URL", "public-url", ""},
}

func TestServeHelpListsEveryRunningVariableWithDefaults(t *testing.T) {
	for _, arg := range []string{"-help", "--help", "-h"} {
		t.Run(arg, func(t *testing.T) {
			// No environment at all, so the defaults shown are the built-in ones.
			var out, errOut bytes.Buffer
			code := run(context.Background(), []string{"serve", arg}, nil, &out, &errOut, envFunc(nil), nil)
			stdout := out.String()
			if code != 0 {
				t.Fatalf("herald serve %s: code %d, want 0; stderr:\n%s", arg, code, errOut.String())
			}
			if errOut.Len() != 0 {
				t.Errorf("stderr should be empty, got:\n%s", errOut.String())
			}
			for _, v := range runningTable {
				if !strings.Contains(stdout, v.env) {
					t.Errorf("help lacks %s", v.env)
				}
				if !strings.Contains(stdout, "-"+v.flag) {
					t.Errorf("help lacks the flag -%s", v.flag)
				}
				if v.def != "" && !strings.Contains(stdout, `(default "`+v.def+`")`) {
					t.Errorf("help lacks the default %q of %s", v.def, v.env)
				}
			}
			if t.Failed() {
				t.Logf("help:\n%s", stdout)
			}
		})
	}
}

func TestServeHelpShowsEnvironmentValuesAsDefaults(t *testing.T) {
	var out bytes.Buffer
	env := map[string]string{"HERALD_ENVIRONMENT": "staging-eu", "HERALD_WEBHOOK_TIMEOUT": "3s"}
	if code := run(context.Background(), []string{"serve", "-help"}, nil, &out, &bytes.Buffer{}, envFunc(env), nil); code != 0 {
		t.Fatalf("code %d, want 0", code)
	}
	for _, want := range []string{`(default "staging-eu")`, `(default "3s")`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help lacks %s:\n%s", want, out.String())
		}
	}
}

func TestMigrateHelpExits0(t *testing.T) {
	code, stdout, _ := runCmd(t, nil, "migrate", "-help")
	if code != 0 || !strings.Contains(stdout, "HERALD_DATABASE_URL") {
		t.Errorf("code %d, stdout:\n%s\nwant 0 and the flags", code, stdout)
	}
}
