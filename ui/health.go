package ui

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"herald"
	"herald/dispatch"
)

// enableWebhook turns the account's disabled webhook back on (the
// banner's button).
func (s *server) enableWebhook(w http.ResponseWriter, r *http.Request, v *view) {
	if err := s.store.EnableWebhook(r.Context(), v.account.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, accountPath(v.account.ID, "notifications")+"?enabled=1", http.StatusSeeOther)
}

// replaySince reads the Deliveries page's "Replay failed and skipped
// since…" form: a date and time in UTC (2026-05-04T12:00, with or without
// seconds; a space may stand for the T), or RFC 3339.
func replaySince(raw string) (time.Time, bool) {
	raw = strings.Replace(strings.TrimSpace(raw), " ", "T", 1)
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02T15:04"} {
		if t, err := time.ParseInLocation(layout, raw, time.UTC); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// replay sends the account's failed and skipped webhooks since the
// form's time again, and says how many went.
func (s *server) replay(w http.ResponseWriter, r *http.Request, v *view) {
	since, ok := replaySince(r.PostForm.Get("since"))
	if !ok {
		s.refuse(w, r, v, http.StatusUnprocessableEntity, "Replay: give the time to replay from, like 2026-05-04T12:00 (UTC).")
		return
	}
	now := s.now().UTC()
	n, remaining, err := dispatch.Replay(r.Context(), s.store, v.account.ID, since, now,
		[]herald.Status{herald.StatusFailed, herald.StatusSkipped}, now)
	if e, ok := errors.AsType[*herald.Error](err); ok && e.Code == herald.CodeInvalid {
		s.refuse(w, r, v, http.StatusUnprocessableEntity, "Nothing was replayed: "+e.Message+".")
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, accountPath(v.account.ID, "deliveries")+"?replayed="+strconv.Itoa(n)+"&remaining="+strconv.Itoa(remaining), http.StatusSeeOther)
}

// replayFlash is the Deliveries page's word on a replay just made.
func replayFlash(q map[string][]string) string {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	n, err := strconv.Atoi(get("replayed"))
	if err != nil {
		return ""
	}
	msg := strconv.Itoa(n) + " webhooks will be sent again, to the URL saved now."
	if n == 1 {
		msg = "1 webhook will be sent again, to the URL saved now."
	}
	if m, _ := strconv.Atoi(get("remaining")); m > 0 {
		msg += " " + strconv.Itoa(m) + " more match: replay again to send them."
	}
	return msg
}
