package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"herald"
)

// portalTokenPrefix starts every portal link's token, so one that turns
// up in a log or a secret scanner says what it is.
const portalTokenPrefix = "hpl_"

// Bounds and default of a portal link's life, in seconds: long enough to
// follow a redirect or an email, short enough that a leaked link is soon
// worthless.
const (
	portalTTLDefault = 900
	portalTTLMin     = 60
	portalTTLMax     = 86400
)

type portalLink struct {
	URL       string      `json:"url"`
	ExpiresAt time.Time   `json:"expires_at"`
	Role      herald.Role `json:"role"`
	AccountID int64       `json:"account_id"`
}

// createPortalLink issues a single-use link that signs a browser in to
// the account's pages with the role asked for. The token is in this answer
// only; the store keeps its hash, and GET /portal/{token} redeems it.
func (s *Server) createPortalLink(w http.ResponseWriter, r *http.Request) error {
	id, doc, err := s.accountDoc(w, r)
	if err != nil {
		return err
	}
	var bad herald.Fields
	var role herald.Role
	ttl := int64(portalTTLDefault)
	for key, v := range doc {
		switch key {
		case "role":
			// Operators are the platform's own staff; a link handed to a
			// customer never carries that power.
			name, _ := v.(string)
			role = herald.Role(name)
			if role != herald.RoleAdmin && role != herald.RoleViewer {
				bad.Add(key, `must be "admin" or "viewer"`)
			}
		case "ttl_seconds":
			if v == nil {
				continue // the default, as when absent
			}
			n, ok := v.(json.Number)
			secs, err := n.Int64()
			if !ok || err != nil || secs < portalTTLMin || secs > portalTTLMax {
				bad.Add(key, "must be a whole number of seconds from 60 to 86400")
				continue
			}
			ttl = secs
		default:
			bad.Add(key, "unknown field")
		}
	}
	if _, ok := doc["role"]; !ok {
		bad.Add("role", "is required")
	}
	if err := bad.Err(); err != nil {
		return err
	}
	if s.publicURL == "" {
		return errors.New("web: portal links need Config.PublicURL")
	}
	now := s.now().UTC()
	expires := now.Add(time.Duration(ttl) * time.Second).Truncate(time.Second)
	token := herald.NewToken(portalTokenPrefix)
	if err := s.store.CreatePortalLink(r.Context(), herald.HashToken(token), id, role, expires, now); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, portalLink{
		URL:       s.publicURL + "/portal/" + token,
		ExpiresAt: expires,
		Role:      role,
		AccountID: id,
	})
	return nil
}
