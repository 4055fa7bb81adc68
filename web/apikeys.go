package web

import (
	"errors"
	"net/http"

	"herald"
)

type createdKey struct {
	herald.APIKey
	Key string `json:"key"`
}

// createAPIKey issues an account key. The key is in this answer only; the
// store keeps its hash.
func (s *Server) createAPIKey(w http.ResponseWriter, r *http.Request) error {
	id, doc, err := s.accountDoc(w, r)
	if err != nil {
		return err
	}
	var bad herald.Fields
	name := nameDoc(&bad, doc)
	if err := bad.Err(); err != nil {
		return err
	}
	now := s.now().UTC().Truncate(1e6)
	token := herald.NewToken(herald.APIKeyPrefix)
	k := herald.APIKey{ID: herald.NewID("key_", now), AccountID: id, Name: name, Prefix: token[:len(herald.APIKeyPrefix)+6], CreatedAt: now}
	if err := s.store.CreateAPIKey(r.Context(), k, herald.HashToken(token)); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, createdKey{APIKey: k, Key: token})
	return nil
}

func (s *Server) listAPIKeys(w http.ResponseWriter, r *http.Request) error {
	id, err := s.mustAccount(r)
	if err != nil {
		return err
	}
	keys, err := s.store.APIKeys(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list[herald.APIKey]{Data: keys})
	return nil
}

func (s *Server) deleteAPIKey(w http.ResponseWriter, r *http.Request) error {
	id, _ := pathAccountID(r)
	err := s.store.DeleteAPIKey(r.Context(), id, r.PathValue("key_id"))
	if errors.Is(err, herald.ErrNotFound) {
		return herald.Errorf(herald.CodeNotFound, "API key %s not found", r.PathValue("key_id"))
	}
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
