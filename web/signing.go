package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"slices"
	"time"

	"herald"
)

// signingKeyDoc is one key in the API.
type signingKeyDoc struct {
	ID        string     `json:"id"`
	Scheme    string     `json:"scheme"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at"`
	PublicKey string     `json:"public_key,omitempty"`
}

// signingDoc is GET .../signing; Secret is set only in answers to PUT and
// rotate, and only for hmac-sha256.
type signingDoc struct {
	Scheme string          `json:"scheme"`
	Keys   []signingKeyDoc `json:"keys"`
	Secret string          `json:"secret,omitempty"`
}

func newSigningDoc(sg herald.Signing, withSecret bool) signingDoc {
	doc := signingDoc{Scheme: string(sg.Scheme), Keys: []signingKeyDoc{}}
	for _, k := range sg.Keys {
		kd := signingKeyDoc{ID: k.ID, Scheme: string(k.Scheme), CreatedAt: k.CreatedAt.UTC(), PublicKey: k.PublicKeyString()}
		if !k.ExpiresAt.IsZero() {
			e := k.ExpiresAt.UTC()
			kd.ExpiresAt = &e
		}
		doc.Keys = append(doc.Keys, kd)
	}
	if cur, ok := sg.Current(); ok && withSecret {
		doc.Secret = cur.SecretString()
	}
	return doc
}

// signingResult answers an account's signing state, or 404 for an unknown
// account.
func signingResult(w http.ResponseWriter, r *http.Request, sg herald.Signing, err error, withSecret bool) error {
	if errors.Is(err, herald.ErrNotFound) {
		return accountNotFound(r.PathValue("account_id"))
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newSigningDoc(sg, withSecret))
	return nil
}

func (s *Server) getSigning(w http.ResponseWriter, r *http.Request) error {
	id, _ := pathAccountID(r)
	sg, err := s.signing.Get(r.Context(), id, s.now())
	return signingResult(w, r, sg, err, false)
}

// putSigning sets the scheme: {"scheme": "none"|"hmac-sha256"|"ed25519",
// "overlap_seconds": N (optional)}.
func (s *Server) putSigning(w http.ResponseWriter, r *http.Request) error {
	doc, err := decodeObject(w, r)
	if err != nil {
		return err
	}
	var bad herald.Fields
	scheme := herald.SigningScheme("")
	if v, ok := doc["scheme"]; !ok {
		bad.Add("scheme", "is required: none, hmac-sha256 or ed25519")
	} else if str, ok := v.(string); !ok || !herald.SigningScheme(str).Valid() {
		bad.Add("scheme", "must be none, hmac-sha256 or ed25519")
	} else {
		scheme = herald.SigningScheme(str)
	}
	overlap := overlapField(&bad, doc, "scheme")
	if err := bad.Err(); err != nil {
		return err
	}
	id, _ := pathAccountID(r)
	sg, err := s.signing.SetScheme(r.Context(), id, scheme, overlap, s.now())
	return signingResult(w, r, sg, err, true)
}

// rotateSigning makes a new current key: {"overlap_seconds": N}, the body
// optional.
func (s *Server) rotateSigning(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(w, r)
	if err != nil {
		return err
	}
	doc := map[string]any{}
	if len(bytes.TrimSpace(body)) > 0 {
		if doc, err = parseObject(body); err != nil {
			return err
		}
	}
	var bad herald.Fields
	overlap := overlapField(&bad, doc)
	if err := bad.Err(); err != nil {
		return err
	}
	id, _ := pathAccountID(r)
	sg, err := s.signing.Rotate(r.Context(), id, overlap, s.now())
	return signingResult(w, r, sg, err, true)
}

// getSigningSecret reveals the current HMAC secret; 404 when the scheme is
// not hmac-sha256.
func (s *Server) getSigningSecret(w http.ResponseWriter, r *http.Request) error {
	id, _ := pathAccountID(r)
	sg, err := s.signing.Get(r.Context(), id, s.now())
	if errors.Is(err, herald.ErrNotFound) {
		return accountNotFound(r.PathValue("account_id"))
	}
	if err != nil {
		return err
	}
	if sg.Scheme != herald.SigningHMAC {
		return herald.Errorf(herald.CodeNotFound, "account %s has no hmac-sha256 secret (signing scheme: %s)", r.PathValue("account_id"), sg.Scheme)
	}
	cur, _ := sg.Current()
	writeJSON(w, http.StatusOK, map[string]string{"secret": cur.SecretString()})
	return nil
}

// overlapField reads the optional overlap_seconds (a whole number of
// seconds, at least 0) and names every other key of doc, except allowed,
// as unknown.
func overlapField(bad *herald.Fields, doc map[string]any, allowed ...string) *time.Duration {
	var out *time.Duration
	for k, v := range doc {
		switch {
		case k == "overlap_seconds":
			n, ok := v.(json.Number)
			i, err := n.Int64()
			if !ok || err != nil || i < 0 || i > math.MaxInt64/int64(time.Second) {
				bad.Add(k, "must be a whole number of seconds, 0 or more")
				continue
			}
			d := time.Duration(i) * time.Second
			out = &d
		case !slices.Contains(allowed, k):
			bad.Add(k, "unknown field")
		}
	}
	return out
}
