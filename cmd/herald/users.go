package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"herald"
	"herald/password"
)

const usersUsage = `usage: herald users create -email EMAIL -role admin|viewer|operator [-account ID] [-password-stdin] [flags]

Adds a user of the admin pages. Admins and viewers belong to one account
(-account); operators to none, and may switch between accounts. The
password is read from the first line of standard input with
-password-stdin, else generated and printed this once.

"herald users create -help" lists every flag.
`

// users runs "herald users <subcommand>"; create is the only one.
func users(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usersUsage)
		return 2
	}
	switch args[0] {
	case "create":
		return usersCreate(ctx, args[1:], stdin, stdout, stderr, getenv)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usersUsage)
		return 0
	default:
		fmt.Fprintf(stderr, "herald users: unknown command %q\n\n%s", args[0], usersUsage)
		return 2
	}
}

func usersCreate(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	const name = "users create"
	fs := flag.NewFlagSet("herald "+name, flag.ContinueOnError)
	email := fs.String("email", "", "the user's email, which they sign in with (required)")
	account := fs.Int64("account", 0, "the account an admin or viewer belongs to (required for them; not for operators)")
	roleFlag := fs.String("role", "", "admin (may change settings, send tests, redeliver), viewer (reads only) or operator (any account, as admin)")
	fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input instead of generating one")
	cfg, code, ok := parseFlagSet(fs, name, args, stdout, stderr, getenv)
	if !ok {
		return code
	}
	u := herald.User{Email: strings.TrimSpace(*email), AccountID: *account, Role: herald.Role(*roleFlag)}
	var errs []error
	if reason := herald.CheckEmail(u.Email); reason != "" {
		errs = append(errs, fmt.Errorf("-email: %s", reason))
	}
	switch {
	case !u.Role.Valid():
		errs = append(errs, fmt.Errorf("-role: want admin, viewer or operator, got %q", *roleFlag))
	case u.Role == herald.RoleOperator && u.AccountID != 0:
		errs = append(errs, errors.New("-account: operators belong to no account (they may switch between all of them); leave it out"))
	case u.Role != herald.RoleOperator && u.AccountID <= 0:
		errs = append(errs, fmt.Errorf("-account: required for %ss: the id of the account they belong to", u.Role))
	}
	pw, generated := "", !*fromStdin
	if generated {
		pw = password.Generate()
	} else {
		var err error
		if pw, err = firstLine(stdin); err != nil {
			errs = append(errs, fmt.Errorf("-password-stdin: reading standard input: %w", err))
		} else if reason := password.Check(pw); reason != "" {
			errs = append(errs, fmt.Errorf("-password-stdin: the password %s", reason))
		}
	}
	if err := errors.Join(errs...); err != nil {
		fmt.Fprintf(stderr, "herald %s: %v\n(herald %s -help lists the flags)\n", name, err, name)
		return 2
	}

	logger := newLogger(stderr, cfg)
	st, err := openStore(ctx, cfg, logger)
	if err != nil {
		logger.Error("users create failed", "err", err)
		return 1
	}
	defer st.Close()
	if u.AccountID != 0 {
		if _, err := st.Account(ctx, u.AccountID); errors.Is(err, herald.ErrNotFound) {
			fmt.Fprintf(stderr, "herald %s: -account: account %d not found (create it with PUT /api/v1/accounts/%d)\n", name, u.AccountID, u.AccountID)
			return 2
		} else if err != nil {
			logger.Error("users create failed", "err", err)
			return 1
		}
	}
	hash, err := password.Hash(pw)
	if err != nil {
		logger.Error("users create failed", "err", err)
		return 1
	}
	now := time.Now()
	u.ID, u.CreatedAt = herald.NewID("usr_", now), now
	err = st.CreateUser(ctx, u, hash)
	switch herald.ErrorCode(err) {
	case herald.CodeConflict:
		fmt.Fprintf(stderr, "herald %s: a user with email %s already exists\n", name, strings.ToLower(u.Email))
		return 1
	case herald.CodeNotFound: // the account was deleted since the check
		fmt.Fprintf(stderr, "herald %s: -account: account %d not found\n", name, u.AccountID)
		return 2
	}
	if err != nil {
		logger.Error("users create failed", "err", err)
		return 1
	}
	of := ""
	if u.AccountID != 0 {
		of = fmt.Sprintf(" of account %d", u.AccountID)
	}
	fmt.Fprintf(stdout, "Created %s %s (%s)%s.\n", u.Role, strings.ToLower(u.Email), u.ID, of)
	if generated {
		fmt.Fprintf(stdout, "Password (shown this once; Herald keeps only its hash): %s\n", pw)
	}
	return 0
}

// maxPasswordLine bounds what is read from standard input: far more than
// the longest password allowed, so an over-long one is reported as such.
const maxPasswordLine = 64 << 10

// firstLine returns r's first line without its line ending ("\n" or
// "\r\n"); spaces are kept, as they may be part of the password. A nil r
// reads as empty.
func firstLine(r io.Reader) (string, error) {
	if r == nil {
		return "", nil
	}
	line, err := bufio.NewReader(io.LimitReader(r, maxPasswordLine)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	return strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r"), nil
}
