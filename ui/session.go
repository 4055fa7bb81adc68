package ui

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"herald"
)

const sessionCookie = "herald_session"

// view is what a handler of an account's pages knows about the request.
type view struct {
	hash    string // the session id's hash, as stored
	sess    herald.Session
	account herald.Account
}

func (v *view) canEdit() bool {
	return v.sess.Role == herald.RoleAdmin || v.sess.Role == herald.RoleOperator
}

// loadSession returns the request's live session, ok false when there is
// none (no cookie, unknown, expired).
func (s *server) loadSession(r *http.Request) (hash string, sess herald.Session, ok bool, err error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || !strings.HasPrefix(c.Value, "hs_") {
		return "", sess, false, nil
	}
	hash = herald.HashToken(c.Value)
	sess, err = s.store.Session(r.Context(), hash, s.now())
	if errors.Is(err, herald.ErrNotFound) || herald.ErrorCode(err) == herald.CodeNotFound {
		return "", sess, false, nil
	}
	if err != nil {
		return "", sess, false, err
	}
	return hash, sess, true, nil
}

// startSession stores a new session and sets its cookie, replacing the
// request's current session if any.
func (s *server) startSession(w http.ResponseWriter, r *http.Request, sess herald.Session) error {
	if old, _, ok, _ := s.loadSession(r); ok {
		_ = s.store.DeleteSession(r.Context(), old)
	}
	id := herald.NewToken("hs_")
	now := s.now().UTC()
	sess.CSRF = herald.NewToken("")
	sess.CreatedAt = now
	sess.ExpiresAt = now.Add(s.sessionTTL)
	if err := s.store.CreateSession(r.Context(), herald.HashToken(id), sess); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: id, Path: "/", MaxAge: int(s.sessionTTL.Seconds()),
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode,
	})
	return nil
}

func (s *server) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
}

// toSignin sends a request without a session to the sign-in page, coming
// back to the page it asked for afterwards.
func toSignin(w http.ResponseWriter, r *http.Request) {
	target := "/signin"
	if r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/accounts/") {
		target += "?next=" + urlQueryEscape(r.URL.RequestURI())
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// session wraps a handler that needs a signed-in session but no account:
// POSTs must carry the session's CSRF token.
func (s *server) session(h func(http.ResponseWriter, *http.Request, *view)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		hash, sess, ok, err := s.loadSession(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if !ok {
			toSignin(w, r)
			return
		}
		v := &view{hash: hash, sess: sess}
		if r.Method == http.MethodPost && !s.checkCSRF(w, r, sess.CSRF) {
			s.refuse(w, r, v, http.StatusForbidden, "This form has expired or did not come from Herald. Reload the page and try again.")
			return
		}
		h(w, r, v)
	}
}

// account wraps a handler of one account's pages: a session that may see
// the path's account, the CSRF token on POSTs, and for edit a role that
// may change things.
func (s *server) account(edit bool, h func(http.ResponseWriter, *http.Request, *view)) http.HandlerFunc {
	return s.session(func(w http.ResponseWriter, r *http.Request, v *view) {
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err != nil || id <= 0 {
			s.refuse(w, r, v, http.StatusNotFound, "There is no such account.")
			return
		}
		if v.sess.Role != herald.RoleOperator && v.sess.AccountID != id {
			s.refuse(w, r, v, http.StatusForbidden, "You do not have access to this account.")
			return
		}
		v.account, err = s.store.Account(r.Context(), id)
		if herald.ErrorCode(err) == herald.CodeNotFound {
			s.refuse(w, r, v, http.StatusNotFound, "There is no such account.")
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if edit && !v.canEdit() {
			s.refuse(w, r, v, http.StatusForbidden, "Your role may view this account but not change it.")
			return
		}
		h(w, r, v)
	})
}
