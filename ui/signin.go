package ui

import (
	"crypto/subtle"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"herald"
	"herald/password"
)

type signinData struct {
	Email string
	Next  string
}

// home sends a signed-in person to their account's pages; an operator
// without an account in view picks one.
func (s *server) home(w http.ResponseWriter, r *http.Request) {
	hash, sess, ok, err := s.loadSession(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !ok {
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
		return
	}
	if sess.AccountID != 0 {
		http.Redirect(w, r, accountPath(sess.AccountID, "notifications"), http.StatusSeeOther)
		return
	}
	if sess.Role == herald.RoleOperator {
		http.Redirect(w, r, "/accounts", http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "home.html", s.base(&view{hash: hash, sess: sess}, "", "Choose an account"))
}

func (s *server) accountHome(w http.ResponseWriter, r *http.Request, v *view) {
	http.Redirect(w, r, accountPath(v.account.ID, "notifications"), http.StatusSeeOther)
}

func accountPath(id int64, tab string) string {
	return "/accounts/" + strconv.FormatInt(id, 10) + "/" + tab
}

// signinToken returns the sign-in form's CSRF token, setting its cookie
// when the browser has none.
func (s *server) signinToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(signinCookie); err == nil && len(c.Value) > 20 {
		return c.Value
	}
	tok := herald.NewToken("")
	http.SetCookie(w, &http.Cookie{Name: signinCookie, Value: tok, Path: "/signin", HttpOnly: true,
		Secure: s.secure, SameSite: http.SameSiteLaxMode})
	return tok
}

func safeNext(next string) string {
	if strings.HasPrefix(next, "/accounts/") && !strings.ContainsAny(next, "\\\r\n") {
		return next
	}
	return ""
}

func (s *server) signinPage(w http.ResponseWriter, r *http.Request) {
	if _, sess, ok, err := s.loadSession(r); err == nil && ok && sess.UserID != "" {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	s.renderSignin(w, r, http.StatusOK, signinData{Next: safeNext(r.URL.Query().Get("next"))}, "")
}

func (s *server) renderSignin(w http.ResponseWriter, r *http.Request, status int, body signinData, msg string) {
	d := s.base(nil, "", "Sign in")
	d.CSRF = s.signinToken(w, r)
	d.Error = msg
	d.Body = body
	s.render(w, r, status, "signin.html", d)
}

// clientIP is the connection's address: a forwarded header could be
// forged to dodge the throttle.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (s *server) signin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		s.renderSignin(w, r, http.StatusBadRequest, signinData{}, "The form could not be read. Try again.")
		return
	}
	email := strings.TrimSpace(r.PostForm.Get("email"))
	pw := r.PostForm.Get("password")
	body := signinData{Email: email, Next: safeNext(r.PostForm.Get("next"))}
	c, err := r.Cookie(signinCookie)
	if err != nil || c.Value == "" || subtle.ConstantTimeCompare([]byte(r.PostForm.Get("csrf")), []byte(c.Value)) != 1 {
		s.renderSignin(w, r, http.StatusForbidden, body, "This sign-in form has expired. Please try again.")
		return
	}
	if email == "" || pw == "" {
		s.renderSignin(w, r, http.StatusUnprocessableEntity, body, "Enter your email and password.")
		return
	}
	now := s.now()
	keys := []string{"ip:" + clientIP(r), "email:" + strings.ToLower(email)}
	if wait := s.throttle.wait(now, keys...); wait > 0 {
		secs := int(math.Ceil(wait.Seconds()))
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		s.renderSignin(w, r, http.StatusTooManyRequests, body,
			"Too many failed sign-ins. Try again in "+strconv.Itoa(secs)+" seconds.")
		return
	}
	u, hash, err := s.store.UserByEmail(r.Context(), email)
	switch {
	case herald.ErrorCode(err) == herald.CodeNotFound:
		password.Verify(pw, s.dummyHash()) // the same work as a wrong password
		u.ID = ""
	case err != nil:
		s.fail(w, r, err)
		return
	case !password.Verify(pw, hash):
		u.ID = ""
	}
	if u.ID == "" {
		s.throttle.fail(now, keys...)
		s.renderSignin(w, r, http.StatusUnauthorized, body, "The email or password is wrong.")
		return
	}
	s.throttle.reset(keys[1])
	if err := s.startSession(w, r, herald.Session{UserID: u.ID, AccountID: u.AccountID, Role: u.Role}); err != nil {
		s.fail(w, r, err)
		return
	}
	target := "/"
	if body.Next != "" {
		target = body.Next
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

var dummy struct {
	once sync.Once
	hash string
}

// dummyHash is a password hash to verify against for unknown emails, so
// they take as long as known ones.
func (s *server) dummyHash() string {
	dummy.once.Do(func() {
		h, err := password.Hash(herald.NewToken(""))
		if err != nil {
			s.log.Error("ui: dummy password hash", "err", err)
		}
		dummy.hash = h
	})
	return dummy.hash
}

func (s *server) signout(w http.ResponseWriter, r *http.Request) {
	hash, sess, ok, err := s.loadSession(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if ok {
		if !s.checkCSRF(w, r, sess.CSRF) {
			s.refuse(w, r, &view{hash: hash, sess: sess}, http.StatusForbidden,
				"This form has expired or did not come from Herald. Reload the page and try again.")
			return
		}
		if err := s.store.DeleteSession(r.Context(), hash); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	s.clearSessionCookie(w)
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}

// portal signs in with a one-time link and lands on the Notifications &
// Webhooks tab; a used, expired or unknown link is gone.
func (s *server) portal(w http.ResponseWriter, r *http.Request) {
	accountID, role, err := s.store.UsePortalLink(r.Context(), herald.HashToken(r.PathValue("token")), s.now())
	if c := herald.ErrorCode(err); c == herald.CodeGone || c == herald.CodeNotFound {
		s.refuse(w, r, nil, http.StatusGone, "This link has already been used or has expired. Ask for a new one.")
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.startSession(w, r, herald.Session{AccountID: accountID, Role: role}); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, accountPath(accountID, "notifications"), http.StatusSeeOther)
}

// switchAccount lets an operator view another account.
func (s *server) switchAccount(w http.ResponseWriter, r *http.Request, v *view) {
	if v.sess.Role != herald.RoleOperator {
		s.refuse(w, r, v, http.StatusForbidden, "Only platform operators may switch accounts.")
		return
	}
	id, err := strconv.ParseInt(strings.TrimSpace(r.PostForm.Get("account_id")), 10, 64)
	if err == nil && id > 0 {
		_, err = s.store.Account(r.Context(), id)
	} else {
		err = herald.ErrNotFound
	}
	if herald.ErrorCode(err) == herald.CodeNotFound {
		d := s.base(v, "", "Choose an account")
		d.Error = "There is no account with id " + strconv.Quote(r.PostForm.Get("account_id")) + "."
		s.render(w, r, http.StatusUnprocessableEntity, "home.html", d)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.store.SetSessionAccount(r.Context(), v.hash, id); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, accountPath(id, "notifications"), http.StatusSeeOther)
}
