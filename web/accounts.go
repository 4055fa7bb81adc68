package web

import (
	"context"
	"errors"
	"net/http"

	"herald"
)

func (s *Server) putAccount(w http.ResponseWriter, r *http.Request) error {
	id, idOK := pathAccountID(r)
	doc, err := decodeObject(w, r)
	if err != nil {
		return err
	}
	var bad herald.Fields
	if !idOK {
		bad.Add("account_id", "must be a positive integer (the id the platform gives the account)")
	}
	name := nameDoc(&bad, doc)
	if err := bad.Err(); err != nil {
		return err
	}
	a, created, err := s.store.PutAccount(r.Context(), id, name)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, a)
	return nil
}

func (s *Server) getAccount(w http.ResponseWriter, r *http.Request) error {
	return getForAccount(w, r, s.store.Account)
}

// nameDoc reads a {"name": "..."} document (accounts and API keys): the
// name required, nothing else allowed.
func nameDoc(bad *herald.Fields, doc map[string]any) string {
	var name string
	for key, v := range doc {
		switch key {
		case "name":
			name = herald.CheckName(bad, "name", v, true)
		default:
			bad.Add(key, "unknown field")
		}
	}
	if _, ok := doc["name"]; !ok {
		bad.Add("name", "is required")
	}
	return name
}

// accountDoc reads a write's JSON object body (400, 413), then makes sure
// the path's account exists (404): the order of checks the contract gives.
func (s *Server) accountDoc(w http.ResponseWriter, r *http.Request) (int64, map[string]any, error) {
	doc, err := decodeObject(w, r)
	if err != nil {
		return 0, nil, err
	}
	id, err := s.mustAccount(r)
	return id, doc, err
}

// getForAccount answers what fetch gives for the path's account, 404 when
// there is no such account.
func getForAccount[T any](w http.ResponseWriter, r *http.Request, fetch func(context.Context, int64) (T, error)) error {
	id, _ := pathAccountID(r)
	v, err := fetch(r.Context(), id)
	if errors.Is(err, herald.ErrNotFound) {
		return accountNotFound(r.PathValue("account_id"))
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// accountPage checks a list request: the path's account exists (404) and
// ?limit= is valid (422).
func (s *Server) accountPage(r *http.Request) (int64, int, error) {
	id, err := s.mustAccount(r)
	if err != nil {
		return 0, 0, err
	}
	limit, err := pageLimit(r)
	return id, limit, err
}

// mustAccount returns 404 unless the path's account exists.
func (s *Server) mustAccount(r *http.Request) (int64, error) {
	id, _ := pathAccountID(r)
	if _, err := s.store.Account(r.Context(), id); errors.Is(err, herald.ErrNotFound) {
		return 0, accountNotFound(r.PathValue("account_id"))
	} else if err != nil {
		return 0, err
	}
	return id, nil
}
