package client

import (
	"context"
	"iter"
	"net/http"
)

// AccountListItem is an account as the account list shows it.
type AccountListItem struct {
	Account
	PrimaryContact *Contact `json:"primary_contact"`
	WebhookState   string   `json:"webhook_state"` // none, healthy, failing, disabled
}

// AccountFilter narrows the account list: Query matches the id, name or
// primary contact email (case-insensitive substring); WebhookState one
// state.
type AccountFilter struct {
	Query        string
	WebhookState string
	ListOptions
}

// ListAccounts returns one page of accounts, by ascending id. Platform
// token only.
func (c *Client) ListAccounts(ctx context.Context, f AccountFilter) (Page[AccountListItem], error) {
	q := f.query()
	if f.Query != "" {
		q.Set("q", f.Query)
	}
	if f.WebhookState != "" {
		q.Set("webhook_state", f.WebhookState)
	}
	var p Page[AccountListItem]
	_, err := c.call(ctx, http.MethodGet, "/api/v1/accounts", q, nil, &p, true)
	return p, err
}

// AllAccounts yields every account f matches, by ascending id, fetching
// pages as it goes; it stops at the first error, which it yields.
func (c *Client) AllAccounts(ctx context.Context, f AccountFilter) iter.Seq2[AccountListItem, error] {
	return all(f.ListOptions, func(o ListOptions) (Page[AccountListItem], error) {
		f.ListOptions = o
		return c.ListAccounts(ctx, f)
	})
}
