package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"herald"
	"herald/password"
	"herald/store"
	"herald/store/storetest"
)

// runUsers runs "herald users ARGS..." in-process against dbURL with
// stdin as standard input.
func runUsers(t *testing.T, dbURL, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut syncBuffer
	env := envFunc(map[string]string{"HERALD_DATABASE_URL": dbURL})
	code = run(t.Context(), append([]string{"users"}, args...), strings.NewReader(stdin), &out, &errOut, env, nil)
	return code, out.String(), errOut.String()
}

// generatedPasswordRE finds the password "herald users create" generated.
var generatedPasswordRE = regexp.MustCompile(`Password \(shown this once; Herald keeps only its hash\): (\S+)\n`)

// checkUser fails unless the store has a user with email, role and
// account, whose password is pw.
func checkUser(t *testing.T, st *store.Store, email string, role herald.Role, account int64, pw string) {
	t.Helper()
	u, hash, err := st.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatalf("user %s: %v", email, err)
	}
	if u.Email != strings.ToLower(email) || u.Role != role || u.AccountID != account || !strings.HasPrefix(u.ID, "usr_") {
		t.Errorf("user %s = %+v, want role %s of account %d", email, u, role, account)
	}
	if !password.Verify(pw, hash) {
		t.Errorf("user %s: the password %q does not verify against the stored hash", email, pw)
	}
	if strings.Contains(hash, pw) {
		t.Errorf("user %s: the stored hash contains the password", email)
	}
}

func TestUsersCreate(t *testing.T) {
	eachEngine(t, func(t *testing.T, e storetest.Engine) {
		dbURL := e.URL(t)
		st := storetest.Open(t, dbURL)
		if _, _, err := st.PutAccount(t.Context(), 100, "Acme Corp"); err != nil {
			t.Fatal(err)
		}

		tests := []struct {
			name, stdin string
			args        []string
			email       string
			role        herald.Role
			account     int64
			pw          string // "" when generated
		}{
			{"admin, password from stdin", "correct horse battery\n",
				[]string{"-email", "Ann@Acme.test", "-role", "admin", "-account", "100", "-password-stdin"},
				"ann@acme.test", herald.RoleAdmin, 100, "correct horse battery"},
			{"viewer, generated password", "",
				[]string{"-email", "vic@acme.test", "-role", "viewer", "-account=100"},
				"vic@acme.test", herald.RoleViewer, 100, ""},
			{"operator, stdin keeps spaces, drops CRLF, reads one line", "  spaced out pass  \r\nsecond line\n",
				[]string{"-role", "operator", "-email", "ops@herald.test", "-password-stdin"},
				"ops@herald.test", herald.RoleOperator, 0, "  spaced out pass  "},
			{"stdin without a final newline", "no newline at all",
				[]string{"-email", "nl@acme.test", "-role", "viewer", "-account", "100", "-password-stdin"},
				"nl@acme.test", herald.RoleViewer, 100, "no newline at all"},
		}
		for _, tc := range tests {
			code, stdout, stderr := runUsers(t, dbURL, tc.stdin, append([]string{"create"}, tc.args...)...)
			if code != 0 {
				t.Fatalf("%s: code %d, want 0; stderr:\n%s", tc.name, code, stderr)
			}
			if !strings.Contains(stdout, "Created "+string(tc.role)+" "+tc.email) {
				t.Errorf("%s: stdout does not report the user:\n%s", tc.name, stdout)
			}
			pw := tc.pw
			m := generatedPasswordRE.FindStringSubmatch(stdout)
			switch {
			case pw == "" && m == nil:
				t.Fatalf("%s: no generated password on stdout:\n%s", tc.name, stdout)
			case pw == "":
				pw = m[1]
				if len(pw) != password.GeneratedLength {
					t.Errorf("%s: generated password %q is not %d characters", tc.name, pw, password.GeneratedLength)
				}
			case m != nil || strings.Contains(stdout, pw):
				t.Errorf("%s: a password read from stdin is printed:\n%s", tc.name, stdout)
			}
			if strings.Contains(stderr, pw) {
				t.Errorf("%s: the password is in the log:\n%s", tc.name, stderr)
			}
			checkUser(t, st, tc.email, tc.role, tc.account, pw)
		}

		// The same email again, in any case: exit 1, saying why.
		code, stdout, stderr := runUsers(t, dbURL, "", "create", "-email", "ANN@acme.test", "-role", "operator")
		if code != 1 || !strings.Contains(stderr, "ann@acme.test already exists") || stdout != "" {
			t.Errorf("duplicate email: code %d, stdout %q, stderr:\n%s\nwant 1, nothing, and the reason", code, stdout, stderr)
		}
		if n, err := st.CountUsers(t.Context()); err != nil || n != len(tests) {
			t.Errorf("CountUsers = %d, %v; want %d", n, err, len(tests))
		}
	})
}

func TestUsersCreateRefusesInvalidInputNamingTheFlag(t *testing.T) {
	t.Parallel()
	dbURL := "sqlite:" + filepath.Join(t.TempDir(), "herald.db")
	st := storetest.Open(t, dbURL)
	if _, _, err := st.PutAccount(t.Context(), 100, "Acme Corp"); err != nil {
		t.Fatal(err)
	}
	good := []string{"-email", "ann@acme.test", "-role", "admin", "-account", "100"}
	tests := []struct {
		name, stdin string
		args        []string
		names       string
	}{
		{"no email", "", []string{"-role", "admin", "-account", "100"}, "-email"},
		{"bad email", "", []string{"-email", "ann", "-role", "admin", "-account", "100"}, "-email"},
		{"email with a name", "", []string{"-email", "Ann <ann@acme.test>", "-role", "admin", "-account", "100"}, "-email"},
		{"no role", "", []string{"-email", "ann@acme.test", "-account", "100"}, "-role"},
		{"unknown role", "", []string{"-email", "ann@acme.test", "-role", "owner", "-account", "100"}, "-role"},
		{"admin without account", "", []string{"-email", "ann@acme.test", "-role", "admin"}, "-account"},
		{"viewer with account 0", "", []string{"-email", "ann@acme.test", "-role", "viewer", "-account", "0"}, "-account"},
		{"negative account", "", []string{"-email", "ann@acme.test", "-role", "viewer", "-account", "-5"}, "-account"},
		{"account not a number", "", []string{"-email", "ann@acme.test", "-role", "admin", "-account", "acme"}, "-account"},
		{"operator with account", "", []string{"-email", "ann@acme.test", "-role", "operator", "-account", "100"}, "-account"},
		{"account does not exist", "", []string{"-email", "ann@acme.test", "-role", "admin", "-account", "999"}, "-account"},
		{"short password", "short pw\n", append(good, "-password-stdin"), "-password-stdin"},
		{"empty stdin", "", append(good, "-password-stdin"), "-password-stdin"},
		{"empty first line", "\ncorrect horse battery\n", append(good, "-password-stdin"), "-password-stdin"},
		{"long password", strings.Repeat("x", 257) + "\n", append(good, "-password-stdin"), "-password-stdin"},
		{"unknown flag", "", append(good, "-admin"), "-admin"},
		{"bad setting", "", append(good, "-log-level", "loud"), "-log-level"},
		{"stray argument", "", append(good, "extra"), "extra"},
	}
	for _, tc := range tests {
		code, stdout, stderr := runUsers(t, dbURL, tc.stdin, append([]string{"create"}, tc.args...)...)
		if code != 2 {
			t.Errorf("%s: code %d, want 2; stderr:\n%s", tc.name, code, stderr)
		}
		if !strings.Contains(stderr, tc.names) {
			t.Errorf("%s: stderr does not name %s:\n%s", tc.name, tc.names, stderr)
		}
		if stdout != "" {
			t.Errorf("%s: stdout %q, want nothing", tc.name, stdout)
		}
	}
	if n, err := st.CountUsers(t.Context()); err != nil || n != 0 {
		t.Errorf("CountUsers = %d, %v after refused commands; want 0", n, err)
	}
}

func TestUsersCreateInvalidInputOpensNoDatabase(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "herald.db")
	code, _, _ := runUsers(t, "sqlite:"+db, "", "create", "-email", "ann@acme.test", "-role", "owner")
	if code != 2 {
		t.Fatalf("code %d, want 2", code)
	}
	if _, err := os.Stat(db); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("invalid input still created the database %s (stat: %v)", db, err)
	}
}

func TestUsersUsage(t *testing.T) {
	t.Parallel()
	dbURL := "sqlite:" + filepath.Join(t.TempDir(), "herald.db")
	tests := []struct {
		name       string
		args       []string
		code       int
		stdout     []string
		stderrHas  []string
		stdoutNone bool
	}{
		{"no subcommand", nil, 2, nil, []string{"usage: herald users create"}, true},
		{"unknown subcommand", []string{"delete"}, 2, nil, []string{`"delete"`, "usage: herald users create"}, true},
		{"help", []string{"help"}, 0, []string{"usage: herald users create", "-password-stdin"}, nil, false},
		{"create -help", []string{"create", "-help"}, 0, []string{"-email", "-role", "-account", "-password-stdin", "HERALD_DATABASE_URL"}, nil, false},
	}
	for _, tc := range tests {
		code, stdout, stderr := runUsers(t, dbURL, "", tc.args...)
		if code != tc.code {
			t.Errorf("%s: code %d, want %d", tc.name, code, tc.code)
		}
		for _, want := range tc.stdout {
			if !strings.Contains(stdout, want) {
				t.Errorf("%s: stdout lacks %q:\n%s", tc.name, want, stdout)
			}
		}
		for _, want := range tc.stderrHas {
			if !strings.Contains(stderr, want) {
				t.Errorf("%s: stderr lacks %q:\n%s", tc.name, want, stderr)
			}
		}
		if tc.stdoutNone && stdout != "" {
			t.Errorf("%s: stdout %q, want nothing", tc.name, stdout)
		}
	}
	// The command list names it.
	code, stdout, _ := runCmd(t, nil, "help")
	if code != 0 || !strings.Contains(stdout, "users create") {
		t.Errorf("herald help does not list users create:\n%s", stdout)
	}
}

// firstOperatorRE finds the sign-in line of a first start: URL and password.
var firstOperatorRE = regexp.MustCompile(`Generated the first operator\. Sign in at (\S+) with: email admin@localhost, password (\S+) \(shown this once\)`)

func TestServeFirstStartCreatesAnOperatorOnce(t *testing.T) {
	eachEngine(t, func(t *testing.T, e storetest.Engine) {
		dbURL := e.URL(t)
		env := map[string]string{"HERALD_DATABASE_URL": dbURL}
		p := startServe(t, env)
		stdout := p.stdout.String()
		token := generatedToken(t, stdout)
		if n := strings.Count(stdout, "Generated the first operator"); n != 1 {
			t.Fatalf("stdout announces the operator %d times, want once:\n%s", n, stdout)
		}
		m := firstOperatorRE.FindStringSubmatch(stdout)
		if m == nil {
			t.Fatalf("stdout lacks the operator's sign-in line:\n%s", stdout)
		}
		if want := p.base + "/"; m[1] != want {
			t.Errorf("sign in at %q, want the public URL %q", m[1], want)
		}
		if strings.Contains(p.stderr.String(), m[2]) {
			t.Errorf("the operator's password is in the log:\n%s", p.stderr)
		}
		st := storetest.Open(t, dbURL)
		checkUser(t, st, "admin@localhost", herald.RoleOperator, 0, m[2])

		// The server builds portal links under its public URL.
		p.expect(t, 201, "PUT", "/api/v1/accounts/1", token, `{"name":"A"}`)
		var link struct{ URL string }
		if err := json.Unmarshal([]byte(p.expect(t, 201, "POST", "/api/v1/accounts/1/portal-links", token, `{"role":"viewer"}`)), &link); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(link.URL, p.base+"/portal/hpl_") {
			t.Errorf("portal link %q is not under the public URL %s", link.URL, p.base)
		}
		if code := p.stop(t); code != 0 {
			t.Fatalf("serve returned %d, want 0; stderr:\n%s", code, p.stderr)
		}

		// A restart finds a user and prints nothing.
		p2 := startServe(t, env)
		if code := p2.stop(t); code != 0 || p2.stdout.String() != "" {
			t.Errorf("restart: code %d, stdout:\n%s\nwant 0 and nothing", code, p2.stdout)
		}
		if n, err := st.CountUsers(t.Context()); err != nil || n != 1 {
			t.Errorf("CountUsers = %d, %v; want 1", n, err)
		}
	})
}

func TestServeConcurrentFirstStartsPrintOneOperator(t *testing.T) {
	eachEngine(t, func(t *testing.T, e storetest.Engine) {
		dbURL := e.URL(t)
		env := map[string]string{"HERALD_DATABASE_URL": dbURL}
		a := launchServe(t, env)
		b := launchServe(t, env)
		a.waitReady(t)
		b.waitReady(t)
		printed := 0
		for _, p := range []*inProc{a, b} {
			printed += strings.Count(p.stdout.String(), "Generated the first operator")
		}
		if printed != 1 {
			t.Errorf("two servers starting together printed an operator %d times, want 1:\n%s\n---\n%s", printed, a.stdout, b.stdout)
		}
		for _, p := range []*inProc{a, b} {
			if code := p.stop(t); code != 0 {
				t.Errorf("serve returned %d, want 0; stderr:\n%s", code, p.stderr)
			}
		}
		if n, err := storetest.Open(t, dbURL).CountUsers(t.Context()); err != nil || n != 1 {
			t.Errorf("CountUsers = %d, %v; want 1", n, err)
		}
	})
}

func TestServeCreatesNoOperatorWhenThereAreUsersOrATokenIsConfigured(t *testing.T) {
	eachEngine(t, func(t *testing.T, e storetest.Engine) {
		// A configured platform token: nothing generated, nothing
		// printed, and the log says how to add a user.
		dbURL := e.URL(t)
		p := startServe(t, map[string]string{"HERALD_DATABASE_URL": dbURL, "HERALD_PLATFORM_TOKEN": "configured-platform-token-0123456789abcdef"})
		if code := p.stop(t); code != 0 || p.stdout.String() != "" {
			t.Errorf("configured token: code %d, stdout:\n%s\nwant 0 and nothing", code, p.stdout)
		}
		if !strings.Contains(p.stderr.String(), "herald users create") {
			t.Errorf("the log does not say how to add a user:\n%s", p.stderr)
		}
		st := storetest.Open(t, dbURL)
		if n, err := st.CountUsers(t.Context()); err != nil || n != 0 {
			t.Errorf("CountUsers = %d, %v; want 0", n, err)
		}

		// A user created beforehand: the platform token is still
		// generated and printed on this first unconfigured start, but no
		// operator.
		if code, _, stderr := runUsers(t, dbURL, "", "create", "-email", "ops@herald.test", "-role", "operator"); code != 0 {
			t.Fatalf("users create: code %d; stderr:\n%s", code, stderr)
		}
		p2 := startServe(t, map[string]string{"HERALD_DATABASE_URL": dbURL})
		p2.stop(t)
		generatedToken(t, p2.stdout.String())
		if strings.Contains(p2.stdout.String(), "operator") {
			t.Errorf("an operator was generated although a user exists:\n%s", p2.stdout)
		}
		if _, _, err := st.UserByEmail(t.Context(), "admin@localhost"); !errors.Is(err, herald.ErrNotFound) {
			t.Errorf("admin@localhost exists (err %v), want not found", err)
		}
	})
}
