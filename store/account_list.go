package store

import (
	"context"
	"fmt"
	"strings"

	"herald"
)

// AccountFilter narrows the operators' account list; zero fields match
// every account.
type AccountFilter struct {
	// Query matches a case-insensitive substring of the id, the name or
	// the primary contact's email.
	Query string
	// State is a herald.WebhookState, or "" for all.
	State string
	// After is the cursor: the last id of the previous page.
	After int64
	Limit int
}

// AccountSummary is one account as the operators' list shows it.
type AccountSummary struct {
	Account        herald.Account
	PrimaryContact *herald.Contact // nil when none is set
	WebhookState   string          // a herald.WebhookState
}

// Accounts lists accounts by ascending id.
func (s *Store) Accounts(ctx context.Context, f AccountFilter) ([]AccountSummary, error) {
	where := []string{"a.id > $1"}
	args := []any{f.After}
	if f.Query != "" {
		args = append(args, "%"+likeEscaper.Replace(strings.ToLower(f.Query))+"%")
		n := len(args)
		where = append(where, fmt.Sprintf(`(CAST(a.id AS TEXT) LIKE $%d ESCAPE '\' OR lower(a.name) LIKE $%d ESCAPE '\' OR lower(a.contact_email) LIKE $%d ESCAPE '\')`, n, n, n))
	}
	if f.State != "" {
		args = append(args, f.State)
		where = append(where, fmt.Sprintf("(%s) = $%d", webhookStateExpr, len(args)))
	}
	rows, err := s.r.QueryContext(ctx, `SELECT a.id, a.name, a.created_at, a.updated_at, a.contact_name, a.contact_email, `+webhookStateExpr+`
		FROM accounts a`+webhookHealthJoin+` WHERE `+strings.Join(where, " AND ")+fmt.Sprintf(` ORDER BY a.id LIMIT %d`, f.Limit), args...)
	if err != nil {
		return nil, wrap("accounts", err)
	}
	defer rows.Close()
	var out []AccountSummary
	for rows.Next() {
		var a AccountSummary
		var created, updated int64
		var name, email string
		if err := rows.Scan(&a.Account.ID, &a.Account.Name, &created, &updated, &name, &email, &a.WebhookState); err != nil {
			return nil, wrap("accounts", err)
		}
		a.Account.CreatedAt, a.Account.UpdatedAt = fromMillis(created), fromMillis(updated)
		a.PrimaryContact = company(name, email).PrimaryContact
		out = append(out, a)
	}
	return out, wrap("accounts", rows.Err())
}

// likeEscaper makes a search text match itself literally in LIKE ... ESCAPE '\'.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
