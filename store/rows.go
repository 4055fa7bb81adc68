package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// maxRowsPerStatement bounds the rows of one multi-row statement, well
// within both engines' parameter limits (32,766 on SQLite, 65,535 on
// PostgreSQL) for the widest row here.
const maxRowsPerStatement = 128

// mark is the i-th (1-based) parameter of a multi-row statement, whose
// parameters are used once each, in order: $i on PostgreSQL, a bare ? on
// SQLite. SQLite keeps every numbered or named parameter ($i, ?i) in a
// list it scans to answer the driver's sqlite3_bind_parameter_name, which
// modernc calls for each parameter it binds: quadratic in a statement's
// parameters, and 18% of Herald's CPU in a realistic burst. Bare ?
// parameters are not in that list.
func (s *Store) mark(i int) string {
	if s.dialect == Postgres {
		return fmt.Sprintf("$%d", i)
	}
	return "?"
}

// jsonIDs is a subquery of the strings in the JSON array of parameter i:
// one statement, prepared once, for a list of any length.
func (s *Store) jsonIDs(i int) string {
	if s.dialect == Postgres {
		return fmt.Sprintf("(SELECT jsonb_array_elements_text($%d::jsonb))", i)
	}
	return fmt.Sprintf("(SELECT value FROM json_each($%d))", i)
}

// multiRow is a multi-row statement: prefix, then (row),(row)..., then
// suffix. casts, when set, types each column's parameters (CAST(? AS
// type)), which PostgreSQL needs where a VALUES list is not inserted
// straight into a table.
type multiRow struct {
	prefix, suffix string
	casts          []string
	cols           int
}

// prepare readies the statements for n rows, at most maxRowsPerStatement
// each, from the statement cache: call it before the transaction (see
// writeStmt). Parsing a statement of hundreds of parameters on every
// batch was a tenth of the writer's time.
func (s *Store) prepare(ctx context.Context, m multiRow, n int) (map[int]*sql.Stmt, error) {
	stmts := map[int]*sql.Stmt{}
	for _, size := range []int{min(n, maxRowsPerStatement), n % maxRowsPerStatement} {
		if size == 0 || stmts[size] != nil {
			continue
		}
		st, err := s.writeStmt(ctx, s.multiRowSQL(m, size))
		if err != nil {
			return nil, err
		}
		stmts[size] = st
	}
	return stmts, nil
}

// multiRowSQL is m's text for size rows, written once per size (prepare
// and event inserts, which had written it again on every batch or event,
// were 3% and 2% of Herald's CPU in a webhook burst).
func (s *Store) multiRowSQL(m multiRow, size int) string {
	key := multiRowKey{m.prefix, m.suffix, size}
	if q, ok := s.multiRows.Load(key); ok {
		return q.(string)
	}
	var b strings.Builder
	b.WriteString(m.prefix)
	for r := range size {
		if r > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for c := range m.cols {
			if c > 0 {
				b.WriteByte(',')
			}
			if m.casts != nil {
				fmt.Fprintf(&b, "CAST(%s AS %s)", s.mark(r*m.cols+c+1), m.casts[c])
			} else {
				b.WriteString(s.mark(r*m.cols + c + 1))
			}
		}
		b.WriteByte(')')
	}
	b.WriteString(m.suffix)
	s.multiRows.Store(key, b.String())
	return b.String()
}

type multiRowKey struct {
	prefix, suffix string
	size           int
}

// execRows runs rows through the statements prepare made for them.
func execRows(ctx context.Context, tx *sql.Tx, stmts map[int]*sql.Stmt, rows [][]any) error {
	for len(rows) > 0 {
		chunk := rows[:min(len(rows), maxRowsPerStatement)]
		rows = rows[len(chunk):]
		var args []any
		for _, row := range chunk {
			args = append(args, row...)
		}
		if _, err := tx.StmtContext(ctx, stmts[len(chunk)]).ExecContext(ctx, args...); err != nil {
			return err
		}
	}
	return nil
}
