package ui

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"herald"
	"herald/catalog"
	"herald/store"
)

type eventRow struct {
	Key              herald.EventKey
	Name             string
	Description      string
	SendWebhook      bool
	Subscribers      string
	SendWebhookError string
	SubscribersError string
	Digest           []digestChoice
	DigestError      string
	Test             *testResult
}

type notificationsData struct {
	WebhookURL     string
	URLError       string
	SwitchesActive bool
	SavedURL       string // what Send test posts to, masked
	Contact        *herald.Contact
	Events         []eventRow
	// Unsubscribed lists who used an email's unsubscribe link, and when.
	Unsubscribed []unsubscribedRow
	Signing      signingData
	// Retry is the retry_failed_webhooks switch; Health the webhook's
	// state (health.go).
	Retry  bool
	Health herald.WebhookHealth
}

type unsubscribedRow struct {
	Email, Event string
	At           time.Time
}

// testResult is the outcome of a Send test.
type testResult struct {
	Key        herald.EventKey
	OK         bool
	Status     int
	At         time.Time
	Latency    time.Duration
	Body       string
	Truncated  bool
	Error      string
	DeliveryID string
	AccountID  int64
}

// switchesActive is the page's rule for the Send Webhook switches, the
// same the script applies while typing: a URL that could be saved.
func switchesActive(raw string) bool {
	u, reason := herald.CheckWebhookURL(context.Background(), raw, nil)
	return u != "" && reason == ""
}

// settingsRows lays the saved settings out as the table's rows.
func settingsRows(st herald.Settings) []eventRow {
	var rows []eventRow
	for _, e := range catalog.Events() {
		es := st.Events[e.Key]
		rows = append(rows, eventRow{Key: e.Key, Name: e.Name, Description: e.Description,
			SendWebhook: es.SendWebhook, Subscribers: strings.Join(es.EmailSubscribers, ", "),
			Digest: digestChoices(strconv.Itoa(es.EmailDigestMinutes))})
	}
	return rows
}

func (s *server) notificationsData(r *http.Request, v *view) (notificationsData, error) {
	st, err := s.store.Settings(r.Context(), v.account.ID)
	if err != nil {
		return notificationsData{}, err
	}
	c, err := s.store.Company(r.Context(), v.account.ID)
	if err != nil {
		return notificationsData{}, err
	}
	unsubs, err := s.store.Unsubscriptions(r.Context(), v.account.ID)
	if err != nil {
		return notificationsData{}, err
	}
	h, err := s.store.WebhookHealth(r.Context(), v.account.ID, s.now())
	if err != nil {
		return notificationsData{}, err
	}
	d := notificationsData{WebhookURL: st.WebhookURL, SwitchesActive: switchesActive(st.WebhookURL), Retry: st.RetryFailedWebhooks,
		SavedURL: herald.MaskURL(st.WebhookURL), Contact: c.PrimaryContact, Events: settingsRows(st), Health: h}
	if d.Signing, err = s.signingData(r, v.account.ID); err != nil {
		return notificationsData{}, err
	}
	for _, u := range unsubs {
		row := unsubscribedRow{Email: u.Email, Event: string(u.EventKey), At: u.UnsubscribedAt}
		if ev := catalog.ByKey(u.EventKey); ev != nil {
			row.Event = ev.Name
		}
		d.Unsubscribed = append(d.Unsubscribed, row)
	}
	return d, nil
}

func (s *server) notificationsPage(w http.ResponseWriter, r *http.Request, v *view) {
	body, err := s.notificationsData(r, v)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := s.base(v, "notifications", "Notifications & Webhooks")
	switch {
	case r.URL.Query().Get("saved") == "1":
		d.Flash = "Notification settings saved."
	case r.URL.Query().Get("enabled") == "1":
		d.Flash = "The webhook is on again. Replay what it missed from the Deliveries page."
	}
	d.Body = body
	s.render(w, r, http.StatusOK, "notifications.html", d)
}

// saveNotifications builds the settings document from the form (a switch
// counts only when posted, as inactive switches are not) and saves it
// whole, or re-renders what was typed with every invalid field marked.
func (s *server) saveNotifications(w http.ResponseWriter, r *http.Request, v *view) {
	f := r.PostForm
	events := map[string]any{}
	for _, e := range catalog.Events() {
		k := string(e.Key)
		ev := map[string]any{"email_subscribers": f.Get("events." + k + ".email_subscribers")}
		if _, on := f["events."+k+".send_webhook"]; on {
			ev["send_webhook"] = true
		}
		if m := digestFormValue(f, e.Key); m != nil {
			ev["email_digest_minutes"] = m
		}
		events[k] = ev
	}
	doc := map[string]any{"webhook_url": f.Get("webhook_url"), "events": events}
	if _, on := f["retry_failed_webhooks"]; on {
		doc["retry_failed_webhooks"] = true
	}
	st, err := herald.ParseSettings(r.Context(), doc, s.cfg.Guard)
	if err == nil {
		if err = s.store.PutSettings(r.Context(), v.account.ID, st); err == nil {
			http.Redirect(w, r, accountPath(v.account.ID, "notifications")+"?saved=1", http.StatusSeeOther)
			return
		}
	}
	bad, ok := fieldErrors(err)
	if !ok {
		s.fail(w, r, err)
		return
	}
	body, err := s.notificationsData(r, v)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	body.WebhookURL = f.Get("webhook_url")
	_, body.Retry = f["retry_failed_webhooks"]
	body.URLError = bad["webhook_url"]
	body.SwitchesActive = switchesActive(body.WebhookURL)
	for i := range body.Events {
		row := &body.Events[i]
		name := "events." + string(row.Key)
		_, row.SendWebhook = f[name+".send_webhook"]
		row.Subscribers = f.Get(name + ".email_subscribers")
		row.SendWebhookError = bad[name+".send_webhook"]
		row.SubscribersError = bad[name+".email_subscribers"]
		row.Digest = digestChoices(f.Get(name + ".email_digest_minutes"))
		row.DigestError = bad[name+".email_digest_minutes"]
	}
	d := s.base(v, "notifications", "Notifications & Webhooks")
	d.Error = "Nothing was saved: fix the fields marked below."
	d.Body = body
	s.render(w, r, http.StatusUnprocessableEntity, "notifications.html", d)
}

// maxShownBody is how much of a test's response the page shows.
const maxShownBody = 300

// sendTest sends an event's example to the saved URL. A script's fetch
// gets the result as a fragment; a plain form post gets the page again.
func (s *server) sendTest(w http.ResponseWriter, r *http.Request, v *view) {
	key := r.PostForm.Get("event")
	e, ok := catalog.Lookup(key)
	if !ok {
		s.refuse(w, r, v, http.StatusUnprocessableEntity, "Unknown event "+key+".")
		return
	}
	res := &testResult{Key: e.Key, AccountID: v.account.ID, At: s.now().UTC()}
	status := http.StatusOK
	if s.cfg.Tester == nil {
		res.Error, status = "Test sends are not available on this server.", http.StatusServiceUnavailable
	} else {
		d, att, err := s.cfg.Tester.Send(r.Context(), v.account.ID, string(e.Key), s.now())
		switch {
		case err != nil && herald.ErrorCode(err) == herald.CodeInvalid:
			res.Error, status = invalidMessage(err), http.StatusUnprocessableEntity
		case store.Unavailable(err):
			s.log.WarnContext(r.Context(), "ui: send test: database unavailable", "account", v.account.ID, "err", err)
			res.Error, status = "Herald cannot reach its database right now, so the test was not sent. Try again in a moment.", http.StatusServiceUnavailable
			w.Header().Set("Retry-After", strconv.Itoa(store.RetryAfterSeconds))
		case err != nil:
			s.log.ErrorContext(r.Context(), "ui: send test", "account", v.account.ID, "err", err)
			res.Error, status = "The test could not be sent. Try again in a moment.", http.StatusInternalServerError
		default:
			res.OK = d.Status == herald.StatusSucceeded
			res.Status, res.Latency, res.Error, res.DeliveryID = att.ResponseStatus, att.Latency, att.Error, d.ID
			if !att.StartedAt.IsZero() {
				res.At = att.StartedAt
			}
			res.Body, res.Truncated = truncate(att.ResponseBody, maxShownBody)
		}
	}
	if r.Header.Get("X-Requested-With") == "fetch" {
		s.renderTemplate(w, r, status, "notifications.html", "testresult", res)
		return
	}
	body, err := s.notificationsData(r, v)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for i := range body.Events {
		if body.Events[i].Key == e.Key {
			body.Events[i].Test = res
		}
	}
	d := s.base(v, "notifications", "Notifications & Webhooks")
	d.Body = body
	s.render(w, r, status, "notifications.html", d)
}

func invalidMessage(err error) string {
	fields, _ := fieldErrors(err)
	if m := fields["webhook_url"]; m != "" {
		return "Webhook URL: " + m + "."
	}
	return strings.TrimPrefix(err.Error(), string(herald.CodeInvalid)+": ")
}

// truncate cuts s to at most n bytes on a character boundary.
func truncate(s string, n int) (string, bool) {
	if len(s) <= n {
		return s, false
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n], true
}
