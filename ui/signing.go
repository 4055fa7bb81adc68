package ui

import (
	"net/http"
	"strconv"
	"time"

	"herald"
)

// signingData is the Signing section of the Notifications & Webhooks tab.
type signingData struct {
	Scheme herald.SigningScheme
	Keys   []signingKeyRow
	// PublicKey is the current ed25519 key, "whpk_..." (not a secret).
	PublicKey string
	// Secret is the current HMAC secret, set only right after an admin
	// asked to reveal it (or turned signing on, or rotated).
	Secret string
	// Overlaps are the choices of the rotate form.
	Overlaps []overlapChoice
}

type signingKeyRow struct {
	ID        string
	Scheme    herald.SigningScheme
	CreatedAt time.Time
	ExpiresAt time.Time // zero: current
}

type overlapChoice struct {
	Seconds  int64
	Label    string
	Selected bool
}

func (s *server) signingData(r *http.Request, accountID int64) (signingData, error) {
	sg, err := s.signing.Get(r.Context(), accountID, s.now())
	if err != nil {
		return signingData{}, err
	}
	return newSigningData(sg, s.signing.Overlap), nil
}

func newSigningData(sg herald.Signing, overlap time.Duration) signingData {
	d := signingData{Scheme: sg.Scheme}
	for _, k := range sg.Keys {
		d.Keys = append(d.Keys, signingKeyRow{ID: k.ID, Scheme: k.Scheme, CreatedAt: k.CreatedAt, ExpiresAt: k.ExpiresAt})
	}
	if cur, ok := sg.Current(); ok {
		d.PublicKey = cur.PublicKeyString()
	}
	for _, c := range []struct {
		d     time.Duration
		label string
	}{{0, "none: the old key stops now"}, {time.Hour, "1 hour"}, {24 * time.Hour, "24 hours"}, {7 * 24 * time.Hour, "7 days"}} {
		d.Overlaps = append(d.Overlaps, overlapChoice{Seconds: int64(c.d / time.Second), Label: c.label, Selected: c.d == overlap})
	}
	return d
}

// saveSigning sets the scheme from the form; turning HMAC on shows the new
// secret once, on the page that answers.
func (s *server) saveSigning(w http.ResponseWriter, r *http.Request, v *view) {
	scheme := herald.SigningScheme(r.PostForm.Get("scheme"))
	if !scheme.Valid() {
		s.refuse(w, r, v, http.StatusUnprocessableEntity, "Choose a signing scheme: none, hmac-sha256 or ed25519.")
		return
	}
	sg, err := s.signing.SetScheme(r.Context(), v.account.ID, scheme, nil, s.now())
	s.signingAnswer(w, r, v, sg, err, "Signing saved.")
}

// rotateSigning makes a new key, the old one signing beside it for the
// chosen overlap.
func (s *server) rotateSigning(w http.ResponseWriter, r *http.Request, v *view) {
	secs, err := strconv.ParseInt(r.PostForm.Get("overlap_seconds"), 10, 64)
	if err != nil || secs < 0 || secs > 366*24*3600 {
		s.refuse(w, r, v, http.StatusUnprocessableEntity, "Choose how long the previous key keeps signing.")
		return
	}
	overlap := time.Duration(secs) * time.Second
	sg, err := s.signing.Rotate(r.Context(), v.account.ID, &overlap, s.now())
	if herald.ErrorCode(err) == herald.CodeInvalid {
		s.refuse(w, r, v, http.StatusUnprocessableEntity, "Signing is off: choose a scheme before rotating.")
		return
	}
	s.signingAnswer(w, r, v, sg, err, "A new signing key is in use.")
}

// revealSecret shows the current HMAC secret to an admin.
func (s *server) revealSecret(w http.ResponseWriter, r *http.Request, v *view) {
	sg, err := s.signing.Get(r.Context(), v.account.ID, s.now())
	s.signingAnswer(w, r, v, sg, err, "")
}

// signingAnswer renders the tab with the Signing section after a change,
// the current HMAC secret shown (only admins reach here).
func (s *server) signingAnswer(w http.ResponseWriter, r *http.Request, v *view, sg herald.Signing, err error, flash string) {
	if err != nil {
		s.fail(w, r, err)
		return
	}
	body, err := s.notificationsData(r, v)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	body.Signing = newSigningData(sg, s.signing.Overlap)
	if cur, ok := sg.Current(); ok {
		body.Signing.Secret = cur.SecretString()
	}
	d := s.base(v, "notifications", "Notifications & Webhooks")
	d.Flash = flash
	d.Body = body
	s.render(w, r, http.StatusOK, "notifications.html", d)
}
