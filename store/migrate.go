package store

import (
	"cmp"
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"math"
	"slices"
	"strconv"
	"strings"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migration is one schema change: migrations/NNNN_name.sql, which serves
// both engines, or NNNN_name.sqlite.sql and NNNN_name.postgres.sql when the
// engines need different statements (a version may have a file for one
// engine only: the other records it as applied with nothing to do). Files
// are append-only: a released migration is never edited, only followed.
type Migration struct {
	Version int
	Name    string
	Dialect Dialect // "" when the file serves both engines
	SQL     string
}

// for reports whether m applies to the engine d.
func (m Migration) applies(d Dialect) bool { return m.Dialect == "" || m.Dialect == d }

// Migrations returns the embedded migrations in version order.
func Migrations() ([]Migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, e := range entries {
		base := strings.TrimSuffix(e.Name(), ".sql")
		var dialect Dialect
		for _, d := range []Dialect{SQLite, Postgres} {
			if b, ok := strings.CutSuffix(base, "."+string(d)); ok {
				base, dialect = b, d
			}
		}
		num, name, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 || strings.Contains(name, ".") {
			return nil, fmt.Errorf("store: migration file %q is not named NNNN_name.sql or NNNN_name.{sqlite,postgres}.sql", e.Name())
		}
		body, err := fs.ReadFile(migrationFiles, "migrations/"+e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: name, Dialect: dialect, SQL: string(body)})
	}
	slices.SortFunc(out, func(a, b Migration) int {
		return cmp.Or(a.Version-b.Version, strings.Compare(string(a.Dialect), string(b.Dialect)))
	})
	// Numbers are handed out ahead of time to parallel work, so a gap (5
	// before 4 has landed) is fine: each version is applied on its own.
	// Two files with one number are not, unless they are one engine's
	// each.
	for i := 1; i < len(out); i++ {
		a, b := out[i-1], out[i]
		if a.Version == b.Version && (a.Dialect == "" || a.Dialect == b.Dialect) {
			return nil, fmt.Errorf("store: two migrations numbered %d", b.Version)
		}
	}
	return out, nil
}

// Migrate applies every migration not yet applied, each in its own
// transaction, and returns the versions it applied. Concurrent callers (two
// processes starting on one PostgreSQL) are serialized by a lock.
func (s *Store) Migrate(ctx context.Context) ([]int, error) {
	return s.migrateUpTo(ctx, math.MaxInt)
}

// migrateUpTo is Migrate, stopping after version last (tests of a
// migration start from the schema before it).
func (s *Store) migrateUpTo(ctx context.Context, last int) ([]int, error) {
	migrations, err := Migrations()
	if err != nil {
		return nil, err
	}
	var applied []int
	for _, m := range migrations {
		if m.Version > last {
			break
		}
		if !m.applies(s.dialect) {
			m.SQL = "" // the other engine's: recorded, nothing to run
			if slices.ContainsFunc(migrations, func(o Migration) bool { return o.Version == m.Version && o.applies(s.dialect) }) {
				continue
			}
		}
		err := s.Transact(ctx, func(tx *sql.Tx) error {
			if s.dialect == Postgres {
				// An arbitrary constant, the same in every Herald.
				if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7262372583)`); err != nil {
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
				version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`); err != nil {
				return err
			}
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = $1`, m.Version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			for _, stmt := range splitStatements(m.SQL) {
				if _, err := tx.ExecContext(ctx, stmt); err != nil {
					return fmt.Errorf("migration %d (%s): %w", m.Version, m.Name, err)
				}
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
				m.Version, m.Name, millis(s.now())); err != nil {
				return err
			}
			applied = append(applied, m.Version)
			return nil
		})
		if err != nil {
			return applied, fmt.Errorf("store: migrate: %w", err)
		}
	}
	if err := s.checkSecrets(ctx); err != nil {
		return applied, fmt.Errorf("store: secrets at rest: %w", err)
	}
	return applied, nil
}

// splitStatements splits a migration at semicolons that end a line, after
// dropping "--" comment lines; both drivers then run one statement a call.
func splitStatements(src string) []string {
	var lines []string
	for line := range strings.Lines(src) {
		if !strings.HasPrefix(strings.TrimSpace(line), "--") {
			lines = append(lines, line)
		}
	}
	var out []string
	for stmt := range strings.SplitSeq(strings.Join(lines, ""), ";\n") {
		if stmt = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(stmt), ";")); stmt != "" {
			out = append(out, stmt)
		}
	}
	return out
}
