package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// postgres is a private PostgreSQL server started by the suite from the
// Debian packages, with the durable defaults (fsync, synchronous_commit
// and full_page_writes on), as scripts/test.sh starts one but without its
// fsync=off.
type postgres struct {
	bin, dir string
	port     int
	url      string // of the database "postgres"
}

func startPostgres(ctx context.Context, tmp string) (*postgres, error) {
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 {
		return nil, errors.New("no /usr/lib/postgresql/*/bin/initdb: apt-get install postgresql, or pass -postgres URL or -postgres off")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	pg := &postgres{bin: filepath.Dir(bins[len(bins)-1]), dir: filepath.Join(tmp, "pg"), port: port}
	if err := os.Mkdir(pg.dir, 0o755); err != nil {
		return nil, err
	}
	if os.Geteuid() == 0 {
		// initdb refuses to run as root: the server runs as postgres.
		if out, err := exec.CommandContext(ctx, "chown", "postgres", pg.dir, tmp).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("chown: %v: %s", err, out)
		}
	}
	progress("starting PostgreSQL (durable defaults) on 127.0.0.1:%d", port)
	if err := pg.cmd(ctx, "initdb", "-D", pg.dir+"/data", "-U", "postgres", "--auth=trust", "--locale=C.UTF-8", "--encoding=UTF8"); err != nil {
		return nil, err
	}
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c max_connections=200", port, pg.dir)
	if err := pg.cmd(ctx, "pg_ctl", "-D", pg.dir+"/data", "-l", pg.dir+"/log", "-w", "-o", opts, "start"); err != nil {
		return nil, err
	}
	pg.url = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	return pg, nil
}

// cmd runs one of the server's programs, as postgres when we are root.
func (pg *postgres) cmd(ctx context.Context, name string, args ...string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	var c *exec.Cmd
	if os.Geteuid() == 0 {
		quoted := []string{filepath.Join(pg.bin, name)}
		for _, a := range args {
			quoted = append(quoted, "'"+strings.ReplaceAll(a, "'", `'\''`)+"'")
		}
		c = exec.CommandContext(ctx, "su", "postgres", "-s", "/bin/sh", "-c", strings.Join(quoted, " "))
	} else {
		c = exec.CommandContext(ctx, filepath.Join(pg.bin, name), args...)
	}
	if out, err := c.CombinedOutput(); err != nil {
		return fmt.Errorf("%s: %v: %s", name, err, out)
	}
	return nil
}

// createDatabase makes an empty database and returns its URL.
func (pg *postgres) createDatabase(name string) (string, error) {
	if err := pg.cmd(context.Background(), "createdb", "-h", "127.0.0.1", "-p", fmt.Sprint(pg.port), "-U", "postgres", name); err != nil {
		return "", err
	}
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", pg.port, name), nil
}

func (pg *postgres) stop() {
	pg.cmd(context.Background(), "pg_ctl", "-D", pg.dir+"/data", "-m", "immediate", "-w", "stop")
}
