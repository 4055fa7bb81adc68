package web

import (
	"errors"
	"net/http"
	"strconv"
	"unicode/utf8"

	"herald"
	"herald/store"
)

// accountItem is an account in the operators' list.
type accountItem struct {
	herald.Account
	PrimaryContact *herald.Contact `json:"primary_contact"`
	WebhookState   string          `json:"webhook_state"`
}

// listAccounts answers GET /api/v1/accounts: by ascending id, q matching
// the id, name or primary contact email, and (beyond the contract)
// webhook_state filtering by state, so operators find the failing ones.
func (s *Server) listAccounts(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var bad herald.Fields
	f := store.AccountFilter{Query: q.Get("q"), State: q.Get("webhook_state")}
	if utf8.RuneCountInString(f.Query) > herald.MaxNameLength {
		bad.Add("q", "must be at most 200 characters")
	}
	if f.State != "" && !herald.WebhookState(f.State).Valid() {
		bad.Add("webhook_state", "must be none, healthy, failing or disabled")
	}
	if c := q.Get("cursor"); c != "" {
		n, err := strconv.ParseInt(c, 10, 64)
		if err != nil || n < 1 {
			bad.Add("cursor", "must be the next_cursor of a previous page")
		}
		f.After = n
	}
	limit, err := pageLimit(r)
	if e, ok := errors.AsType[*herald.Error](err); ok {
		bad.Merge("", e.Fields)
	}
	if err := bad.Err(); err != nil {
		return err
	}
	f.Limit = limit + 1
	rows, err := s.store.Accounts(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page(rows, limit,
		func(a store.AccountSummary) string { return strconv.FormatInt(a.Account.ID, 10) },
		func(a store.AccountSummary) accountItem {
			return accountItem{Account: a.Account, PrimaryContact: a.PrimaryContact, WebhookState: a.WebhookState}
		}))
	return nil
}
