package store

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"herald"
)

// ErrUnavailable is what callers answer for an error Unavailable reports:
// the database cannot be reached now, and the same request should work
// once it is back.
var ErrUnavailable = &herald.Error{Code: herald.CodeUnavailable, Message: "the database cannot be reached right now; try again shortly"}

// RetryAfterSeconds is what Herald tells clients to wait (Retry-After)
// while the database cannot be reached.
const RetryAfterSeconds = 5

// Unavailable reports whether err means the database cannot be reached or
// cannot take writes for now — connections refused, dropped or reset, a
// PostgreSQL server shutting down, starting up or out of connections or
// disk, a SQLite file locked beyond the busy timeout, full, or failing I/O
// — rather than a fault in the request or in Herald. Such errors heal by
// themselves: the connection pools dial again once the database is back.
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrUnavailable) || errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, pgconn.ErrConnClosed) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	if _, ok := errors.AsType[*pgconn.ConnectError](err); ok {
		return true
	}
	if _, ok := errors.AsType[*net.OpError](err); ok {
		return true
	}
	if pe, ok := errors.AsType[*pgconn.PgError](err); ok {
		return pgUnavailable(pe.Code)
	}
	if se, ok := errors.AsType[*sqlite.Error](err); ok {
		switch se.Code() & 0xff { // the primary result code
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_NOMEM:
			return true
		}
	}
	return false
}

// pgUnavailable reports whether a PostgreSQL SQLSTATE means the server
// cannot serve now: connection exceptions (08), too many connections or a
// full disk (53), shutdown or startup (57P01-57P03, 57P05), I/O errors (58).
func pgUnavailable(code string) bool {
	switch {
	case strings.HasPrefix(code, "08"), strings.HasPrefix(code, "53"), strings.HasPrefix(code, "58"):
		return true
	case code == "57P01", code == "57P02", code == "57P03", code == "57P05":
		return true
	}
	return false
}
