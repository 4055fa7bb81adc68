package ui

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"herald"
	"herald/store"
)

// accountsData is the operators' account list.
type accountsData struct {
	Query, State string
	States       []option
	Rows         []store.AccountSummary
	Next, First  string // other pages' URLs, "" when there is none
}

var webhookStateOptions = []option{
	{"", "All states"}, {"failing", "Failing"}, {"disabled", "Disabled"}, {"healthy", "Healthy"}, {"none", "No webhook"},
}

// accountsPage lists accounts for operators, by id, with their webhook
// state: a search over id, name and contact email, and a filter by state,
// so an operator finds the failing webhooks.
func (s *server) accountsPage(w http.ResponseWriter, r *http.Request, v *view) {
	if v.sess.Role != herald.RoleOperator {
		s.refuse(w, r, v, http.StatusForbidden, "Only platform operators see the account list.")
		return
	}
	q := r.URL.Query()
	body := accountsData{Query: strings.TrimSpace(q.Get("q")), States: webhookStateOptions}
	if len([]rune(body.Query)) > herald.MaxNameLength {
		body.Query = string([]rune(body.Query)[:herald.MaxNameLength])
	}
	f := store.AccountFilter{Query: body.Query, Limit: s.pageSize + 1}
	if st := q.Get("state"); herald.WebhookState(st).Valid() {
		f.State, body.State = st, st
	}
	f.After, _ = strconv.ParseInt(q.Get("cursor"), 10, 64)
	rows, err := s.store.Accounts(r.Context(), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	filter := url.Values{}
	if body.Query != "" {
		filter.Set("q", body.Query)
	}
	if body.State != "" {
		filter.Set("state", body.State)
	}
	if len(rows) > s.pageSize {
		rows = rows[:s.pageSize]
		next := url.Values{"cursor": {strconv.FormatInt(rows[len(rows)-1].Account.ID, 10)}}
		for k, vs := range filter {
			next[k] = vs
		}
		body.Next = "/accounts?" + next.Encode()
	}
	if f.After > 0 {
		body.First = "/accounts"
		if len(filter) > 0 {
			body.First += "?" + filter.Encode()
		}
	}
	body.Rows = rows
	d := s.base(v, "accounts", "Accounts")
	d.Body = body
	s.render(w, r, http.StatusOK, "accounts.html", d)
}
