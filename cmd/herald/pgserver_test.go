//go:build unix

package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// pgServer is a PostgreSQL server of one test's own, which the test may
// stop and restart (the shared one of scripts/test.sh must never be).
type pgServer struct {
	bin, dir string
	port     int
}

// pgBinDir finds the Debian PostgreSQL binaries ("" when absent).
func pgBinDir() string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d
		}
	}
	return ""
}

// startPostgres initializes and starts a server on a free loopback port,
// stopped and removed at the test's end. It skips the test, saying why,
// without the PostgreSQL binaries (scripts/test.sh installs them).
func startPostgres(t *testing.T) *pgServer {
	t.Helper()
	bin := pgBinDir()
	if bin == "" {
		t.Skip("needs the PostgreSQL server binaries (/usr/lib/postgresql/*/bin, Debian package postgresql; scripts/test.sh installs them)")
	}
	dir, err := os.MkdirTemp("", "herald-outage-pg-")
	if err != nil {
		t.Fatal(err)
	}
	// The server runs as the postgres user when the test runs as root
	// (initdb refuses root), and must reach its directory.
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if os.Getuid() == 0 {
		if out, err := exec.Command("chown", "postgres", dir).CombinedOutput(); err != nil {
			t.Fatalf("chown postgres %s: %v\n%s", dir, err, out)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	pg := &pgServer{bin: bin, dir: dir, port: port}
	t.Cleanup(func() {
		pg.command(pg.ctlArgs("stop", "-m", "immediate")...).Run() // it may be stopped already
		os.RemoveAll(dir)
	})
	pg.run(t, filepath.Join(bin, "initdb"), "-D", filepath.Join(dir, "data"), "-U", "postgres", "--auth=trust", "--locale=C.UTF-8", "--encoding=UTF8")
	// Durable settings, unlike the shared test server's: an immediate
	// stop must not lose a commit that was answered.
	pg.start(t)
	pg.run(t, filepath.Join(bin, "createdb"), "-h", "127.0.0.1", "-p", fmt.Sprint(port), "-U", "postgres", "herald")
	return pg
}

// url is the database URL of the server's herald database.
func (pg *pgServer) url() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/herald?sslmode=disable", pg.port)
}

// start starts the server (again), on its port.
func (pg *pgServer) start(t *testing.T) {
	t.Helper()
	pg.ctl(t, "start", "-o", fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1", pg.port, pg.dir))
}

// ctl runs pg_ctl with args (start, stop, restart, ...) and waits for it.
func (pg *pgServer) ctl(t *testing.T, args ...string) {
	t.Helper()
	pg.run(t, pg.ctlArgs(args...)...)
}

func (pg *pgServer) ctlArgs(args ...string) []string {
	return append([]string{filepath.Join(pg.bin, "pg_ctl"), "-D", filepath.Join(pg.dir, "data"), "-l", filepath.Join(pg.dir, "log"), "-w"}, args...)
}

// run runs a PostgreSQL program (argv[0] a path) and waits for it.
func (pg *pgServer) run(t *testing.T, argv ...string) {
	t.Helper()
	if out, err := pg.command(argv...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(argv, " "), err, out)
	}
}

// command is argv as the postgres user when the test runs as root.
func (pg *pgServer) command(argv ...string) *exec.Cmd {
	if os.Getuid() != 0 {
		return exec.Command(argv[0], argv[1:]...)
	}
	quoted := make([]string, len(argv))
	for i, a := range argv {
		quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return exec.Command("su", "postgres", "-s", "/bin/sh", "-c", strings.Join(quoted, " "))
}
