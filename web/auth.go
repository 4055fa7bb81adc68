package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"herald"
)

// principal is who is calling: the platform, or one account's API key.
type principal struct {
	platform  bool
	accountID int64 // for an API key
}

type principalKey struct{}

func principalFrom(ctx context.Context) principal {
	p, _ := ctx.Value(principalKey{}).(principal)
	return p
}

// authenticated requires a valid bearer token, platform or API key (401).
func (s *Server) authenticated(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p, err := s.authenticate(r)
		if err != nil {
			return err
		}
		return h(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	}
}

// platform requires the platform token: 401 without a valid token, 403
// for an API key.
func (s *Server) platform(h handlerFunc) handlerFunc {
	return s.authenticated(func(w http.ResponseWriter, r *http.Request) error {
		if !principalFrom(r.Context()).platform {
			return herald.Errorf(herald.CodeForbidden, "this endpoint needs the platform token; an account API key cannot use it")
		}
		return h(w, r)
	})
}

// account serves {account_id} routes to the platform and to that account's
// own keys; another account's key gets 404, so it cannot learn what exists.
func (s *Server) account(h handlerFunc) handlerFunc {
	return s.authenticated(func(w http.ResponseWriter, r *http.Request) error {
		id, ok := pathAccountID(r)
		p := principalFrom(r.Context())
		if !ok || (!p.platform && p.accountID != id) {
			return accountNotFound(r.PathValue("account_id"))
		}
		return h(w, r)
	})
}

// canSee reports whether the caller may see the account's resources.
func canSee(ctx context.Context, accountID int64) bool {
	p := principalFrom(ctx)
	return p.platform || p.accountID == accountID
}

func (s *Server) authenticate(r *http.Request) (principal, error) {
	auth := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(auth, " ")
	if auth == "" {
		return principal{}, herald.Errorf(herald.CodeUnauthorized, "missing Authorization header; send Authorization: Bearer <token>")
	}
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return principal{}, herald.Errorf(herald.CodeUnauthorized, "Authorization must be Bearer <token>")
	}
	sum := sha256.Sum256([]byte(token))
	if s.isPlatform(sum[:]) {
		return principal{platform: true}, nil
	}
	if strings.HasPrefix(token, herald.APIKeyPrefix) {
		k, err := s.store.APIKeyByHash(r.Context(), hex.EncodeToString(sum[:]))
		if err == nil {
			return principal{accountID: k.AccountID}, nil
		}
		if !errors.Is(err, herald.ErrNotFound) {
			return principal{}, err
		}
	}
	return principal{}, herald.Errorf(herald.CodeUnauthorized, "invalid token")
}

// pathAccountID parses {account_id}: a positive 64-bit integer.
func pathAccountID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("account_id"), 10, 64)
	return id, err == nil && id > 0
}

func accountNotFound(id string) error {
	return herald.Errorf(herald.CodeNotFound, "account %s not found", id)
}
