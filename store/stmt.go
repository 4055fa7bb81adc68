package store

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCache keeps prepared statements for the hot paths (ingest, auth):
// parsing SQL again on every call was an eighth of ingest's CPU on SQLite.
// database/sql prepares a *sql.Stmt once per connection and reuses it.
type stmtCache struct {
	mu    sync.Mutex
	stmts map[*sql.DB]map[string]*sql.Stmt
}

func (c *stmtCache) get(ctx context.Context, db *sql.DB, query string) (*sql.Stmt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.stmts[db][query]; ok {
		return st, nil
	}
	st, err := db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if c.stmts == nil {
		c.stmts = make(map[*sql.DB]map[string]*sql.Stmt)
	}
	if c.stmts[db] == nil {
		c.stmts[db] = make(map[string]*sql.Stmt)
	}
	c.stmts[db][query] = st
	return st, nil
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range c.stmts {
		for _, st := range m {
			st.Close()
		}
	}
	c.stmts = nil
}

// queryRow runs a cached statement on the reader.
func (s *Store) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := s.stmts.get(ctx, s.r, query)
	if err != nil {
		// Let the caller see the error where it scans.
		return s.r.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// writeStmt returns a cached writer statement, for tx.StmtContext. Call it
// before the transaction begins: on SQLite the writer has one connection,
// which the transaction holds, so preparing inside it would wait forever.
func (s *Store) writeStmt(ctx context.Context, query string) (*sql.Stmt, error) {
	return s.stmts.get(ctx, s.w, query)
}
