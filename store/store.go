// Package store keeps Herald's state in SQLite (embedded, the default) or
// PostgreSQL, through database/sql. SQL is written once, with $N
// placeholders, wherever the two engines agree, which is nearly everywhere.
package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"time"

	"herald"
	"herald/seal"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	_ "modernc.org/sqlite"             // registers "sqlite"
)

// Dialect names the database engine.
type Dialect string

// The two engines Herald runs on.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Store is Herald's database. Safe for concurrent use.
type Store struct {
	dialect Dialect
	// w takes every write. On SQLite it holds a single connection, so
	// writers queue in Go rather than spin on SQLITE_BUSY; on PostgreSQL
	// it is the same pool as r.
	w *sql.DB
	// r serves reads; on SQLite, WAL lets them run beside the writer.
	r     *sql.DB
	now   func() time.Time
	box   *seal.Box // seals webhook URLs and signing keys (secrets.go)
	stmts stmtCache
	// multiRows holds the text of multi-row statements by size (rows.go).
	multiRows sync.Map
	// batch groups concurrent writes into shared commits (batch.go);
	// on PostgreSQL events groups ingests into one statement each
	// (pgevents.go), nil on SQLite.
	batch, events *batcher
	// recipients keeps what ingest reads of an account (SQLite only).
	recipients recipientsCache

	unsub        unsubscribeTokens // see unsubscribe.go
	pgRecipients pgRecipientsCache // see pgrecipients.go

	closeOnce sync.Once
	closeErr  error

	url  string          // to open the LISTEN connection
	wake wakeups         // see notify.go
	life context.Context // ends at Close, stopping background work
	stop context.CancelFunc
}

// Options tune Open; the zero value is fine.
type Options struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// BusyTimeout is how long a SQLite write waits for a lock another
	// process holds before it fails as unavailable; 0 means 10s.
	BusyTimeout time.Duration
	// Secrets seals webhook URLs and signing keys at rest, and Migrate
	// checks the database was sealed under it. nil (tools, tests) writes
	// them unsealed and checks nothing; the next start with a key seals
	// them, and values sealed before cannot be read without it.
	Secrets *seal.Box
}

// Open connects to databaseURL: "sqlite:PATH" or "postgres://..." (also
// "postgresql://..."). It does not migrate; call Migrate.
func Open(ctx context.Context, databaseURL string, opts Options) (*Store, error) {
	s := &Store{now: opts.Now, url: databaseURL, box: opts.Secrets}
	s.life, s.stop = context.WithCancel(context.Background())
	if s.now == nil {
		s.now = time.Now
	}
	var err error
	switch {
	case strings.HasPrefix(databaseURL, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(databaseURL, "sqlite:"), "//")
		if path == "" {
			return nil, errors.New("store: sqlite: URL names no file (want sqlite:PATH)")
		}
		s.dialect = SQLite
		err = s.openSQLite(path, cmp.Or(opts.BusyTimeout, 10*time.Second))
	case strings.HasPrefix(databaseURL, "postgres://"), strings.HasPrefix(databaseURL, "postgresql://"):
		s.dialect = Postgres
		err = s.openPostgres(databaseURL)
	default:
		return nil, fmt.Errorf("store: unsupported database URL %q (want sqlite:PATH or postgres://...)", redact(databaseURL))
	}
	if err != nil {
		return nil, err
	}
	if err := s.connect(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("store: connect: %w", err)
	}
	return s, nil
}

// connect pings the database. Switching a new SQLite file to WAL needs a
// lock that busy_timeout does not wait for, so when two processes open a
// new file at once one may be told "database is locked": it tries again
// for a few seconds.
func (s *Store) connect(ctx context.Context) error {
	for try := 0; ; try++ {
		err := s.Ping(ctx)
		if err == nil || s.dialect != SQLite || try == 50 || !strings.Contains(err.Error(), "SQLITE_BUSY") {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (s *Store) openSQLite(path string, busy time.Duration) error {
	// synchronous=FULL syncs the WAL at every commit, so an event answered
	// 202 survives a power cut, not only a crash; group commit (batch.go)
	// keeps that cheap: 5,900-6,200 events/s against 6,400-6,500 with
	// NORMAL in BenchmarkIngest. busy_timeout comes first: switching a new
	// file to WAL takes a lock another process may hold at that moment.
	pragmas := fmt.Sprintf("_pragma=busy_timeout(%d)", busy.Milliseconds()) + "&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=foreign_keys(1)"
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + pragmas
	w, err := sql.Open("sqlite", dsn+"&_txlock=immediate")
	if err != nil {
		return err
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	r, err := sql.Open("sqlite", dsn+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return err
	}
	n := max(4, 2*runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	s.w, s.r = w, r
	s.batch = newBatcher(s, 1, nil)
	return nil
}

// pgCommitters is how many group commits run at once on PostgreSQL;
// pgEventCommitters how many of the ingests' one-statement groups
// (pgevents.go). One ingest group at a time makes each group bigger: in
// heraldbench -cases postgres, 20,000 events took 1,357 statements and
// PostgreSQL 4.5s of CPU with one, 2,533 and 5.5s with two, 4,041 and 7.6s
// with four, in the same load.
const (
	pgCommitters      = 4
	pgEventCommitters = 1
)

func (s *Store) openPostgres(databaseURL string) error {
	db, err := sql.Open("pgx", databaseURL)
	if err != nil {
		return err
	}
	db.SetMaxOpenConns(32)
	db.SetMaxIdleConns(32)
	db.SetConnMaxIdleTime(5 * time.Minute)
	s.w, s.r = db, db
	s.batch = newBatcher(s, pgCommitters, nil)
	s.events = newBatcher(s, pgEventCommitters, s.commitEvents)
	return nil
}

// Dialect reports the engine.
func (s *Store) Dialect() Dialect { return s.dialect }

// Ping checks the database answers (readiness).
func (s *Store) Ping(ctx context.Context) error {
	if err := s.w.PingContext(ctx); err != nil {
		return err
	}
	return s.r.PingContext(ctx)
}

// Close closes every connection; calling it again does nothing.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.stop()
		if s.batch != nil {
			s.batch.close()
		}
		if s.events != nil {
			s.events.close()
		}
		s.stmts.close()
		s.closeErr = s.w.Close()
		if s.r != s.w {
			s.closeErr = errors.Join(s.closeErr, s.r.Close())
		}
	})
	return s.closeErr
}

// Transact runs fn in a write transaction: committed when fn returns nil,
// rolled back when it returns an error or panics. What ingest keeps of
// accounts is read again afterwards (recipients_cache.go): writes through
// Transact are the ones that change accounts, and they are rare.
func (s *Store) Transact(ctx context.Context, fn func(tx *sql.Tx) error) error {
	defer s.recipients.changed()
	return s.transact(ctx, fn)
}

// transact is Transact for the batcher's writes, which leave accounts
// alone or say when they do not (accountsChanged).
func (s *Store) transact(ctx context.Context, fn func(tx *sql.Tx) error) (err error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			tx.Rollback()
			panic(p)
		}
		if err != nil {
			tx.Rollback()
		}
	}()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

func millis(t time.Time) int64 { return t.UnixMilli() }

func fromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// redact drops a URL's password before it reaches an error or a log.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

func notFound() error { return herald.ErrNotFound }
