package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"herald"
)

// normalizeEmail is the form emails are stored and looked up in, so "Ann@X"
// and "ann@x" are one user.
func normalizeEmail(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}

// CreateUser stores u with its password hash (see package password). The
// email is stored trimmed and lowercased. An email already taken, in any
// case, is a herald.CodeConflict error naming "email"; an account that
// does not exist is herald.CodeNotFound. Admins and viewers belong to an
// account; operators (AccountID 0, stored as NULL) to none.
func (s *Store) CreateUser(ctx context.Context, u herald.User, passwordHash string) error {
	if u.ID == "" || passwordHash == "" {
		return errors.New("store: create user: id and password hash are required")
	}
	var bad herald.Fields
	if normalizeEmail(u.Email) == "" {
		bad.Add("email", "must not be empty")
	}
	switch {
	case !u.Role.Valid():
		bad.Add("role", "must be admin, viewer or operator")
	case u.Role == herald.RoleOperator && u.AccountID != 0:
		bad.Add("account_id", "must be empty for an operator, who may switch between accounts")
	case u.Role != herald.RoleOperator && u.AccountID <= 0:
		bad.Add("account_id", "is required for "+string(u.Role)+"s")
	}
	if err := bad.Err(); err != nil {
		return err
	}
	if u.CreatedAt.IsZero() {
		u.CreatedAt = s.now()
	}
	account := sql.NullInt64{Int64: u.AccountID, Valid: u.AccountID != 0}
	err := s.Transact(ctx, func(tx *sql.Tx) error {
		if account.Valid {
			var one int
			err := tx.QueryRowContext(ctx, `SELECT 1 FROM accounts WHERE id = $1`, u.AccountID).Scan(&one)
			if errors.Is(err, sql.ErrNoRows) {
				return herald.Errorf(herald.CodeNotFound, "account %d not found", u.AccountID)
			}
			if err != nil {
				return err
			}
		}
		// ON CONFLICT rather than catching the driver's unique violation:
		// the two engines report that differently, and on PostgreSQL a
		// concurrent insert of the same email waits for the first to
		// commit, then inserts nothing.
		res, err := tx.ExecContext(ctx, `INSERT INTO users (id, email, account_id, role, password_hash, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (email) DO NOTHING`,
			u.ID, normalizeEmail(u.Email), account, string(u.Role), passwordHash, millis(u.CreatedAt))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return &herald.Error{Code: herald.CodeConflict, Message: "a user with this email already exists",
				Fields: map[string]string{"email": "is already taken"}}
		}
		return nil
	})
	if _, ok := errors.AsType[*herald.Error](err); ok || err == nil {
		return err
	}
	return fmt.Errorf("store: create user: %w", err)
}

const userColumns = `id, email, account_id, role, created_at`

func scanUser(row interface{ Scan(...any) error }, extra ...any) (herald.User, error) {
	var u herald.User
	var account sql.NullInt64
	var role string
	var created int64
	err := row.Scan(append([]any{&u.ID, &u.Email, &account, &role, &created}, extra...)...)
	u.AccountID, u.Role, u.CreatedAt = account.Int64, herald.Role(role), fromMillis(created)
	return u, err
}

// UserByEmail returns the user with this email, in any case, and their
// password hash; or herald.ErrNotFound.
func (s *Store) UserByEmail(ctx context.Context, email string) (herald.User, string, error) {
	var hash string
	u, err := scanUser(s.queryRow(ctx, `SELECT `+userColumns+`, password_hash FROM users WHERE email = $1`, normalizeEmail(email)), &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return herald.User{}, "", herald.ErrNotFound
	}
	if err != nil {
		return herald.User{}, "", fmt.Errorf("store: user by email: %w", err)
	}
	return u, hash, nil
}

// User returns user id, or herald.ErrNotFound.
func (s *Store) User(ctx context.Context, id string) (herald.User, error) {
	u, err := scanUser(s.queryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return herald.User{}, herald.ErrNotFound
	}
	if err != nil {
		return herald.User{}, fmt.Errorf("store: user: %w", err)
	}
	return u, nil
}

// CountUsers returns how many users exist (0 on a first start).
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count users: %w", err)
	}
	return n, nil
}
