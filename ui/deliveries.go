package ui

import (
	"errors"
	"net/http"
	"net/url"
	"time"

	"herald"
	"herald/catalog"
	"herald/dispatch"
	"herald/store"
)

// deliveryRow is a delivery as the pages show it: webhook URLs with their
// query values masked.
type deliveryRow struct {
	ID        string
	Key       herald.EventKey
	EventName string
	Channel   herald.Channel
	Target    string
	Status    herald.Status
	HTTP      int
	Latency   time.Duration
	Attempts  int
	Error     string
	Test      bool
	CreatedAt time.Time
	Completed time.Time
}

func newDeliveryRow(d herald.Delivery) deliveryRow {
	row := deliveryRow{ID: d.ID, Key: d.EventKey, Channel: d.Channel, Target: d.Target, Status: d.Status, HTTP: d.ResponseStatus,
		Latency: d.Latency, Attempts: d.Attempts, Error: d.Error, Test: d.IsTest, CreatedAt: d.CreatedAt, Completed: d.CompletedAt}
	if e := catalog.ByKey(d.EventKey); e != nil {
		row.EventName = e.Name
	} else if d.EventKey.IsNotice() {
		row.EventName = "Webhook notice"
	}
	if d.Channel == herald.ChannelWebhook {
		row.Target = herald.MaskURL(d.Target)
	}
	return row
}

type option struct{ Value, Label string }

type deliveriesData struct {
	Event, Channel, Status string
	Events                 []option
	Rows                   []deliveryRow
	Next                   string // the next page's URL, "" on the last
	First                  string // the first page's URL when not on it
}

var (
	channelOptions = []option{{"", "All channels"}, {"webhook", "Webhook"}, {"email", "Email"}}
	statusOptions  = []option{{"", "All statuses"}, {"pending", "Pending"}, {"succeeded", "Succeeded"}, {"failed", "Failed"}, {"skipped", "Skipped"}}
)

func eventOptions() []option {
	opts := []option{{"", "All events"}}
	for _, e := range catalog.Events() {
		opts = append(opts, option{string(e.Key), e.Name})
	}
	return opts
}

func (s *server) deliveriesPage(w http.ResponseWriter, r *http.Request, v *view) {
	q := r.URL.Query()
	f := store.DeliveryFilter{AccountID: v.account.ID, After: q.Get("cursor"), Limit: s.pageSize + 1}
	body := deliveriesData{Events: eventOptions()}
	if e, ok := catalog.Lookup(q.Get("event")); ok {
		f.EventKey, body.Event = e.Key, string(e.Key)
	}
	switch c := herald.Channel(q.Get("channel")); c {
	case herald.ChannelWebhook, herald.ChannelEmail:
		f.Channel, body.Channel = c, string(c)
	}
	switch st := herald.Status(q.Get("status")); st {
	case herald.StatusPending, herald.StatusSucceeded, herald.StatusFailed, herald.StatusSkipped:
		f.Status, body.Status = st, string(st)
	}
	ds, err := s.store.Deliveries(r.Context(), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	filter := url.Values{}
	for k, v := range map[string]string{"event": body.Event, "channel": body.Channel, "status": body.Status} {
		if v != "" {
			filter.Set(k, v)
		}
	}
	base := accountPath(v.account.ID, "deliveries")
	if len(ds) > s.pageSize {
		ds = ds[:s.pageSize]
		next := url.Values{}
		for k, vs := range filter {
			next[k] = vs
		}
		next.Set("cursor", ds[len(ds)-1].ID)
		body.Next = base + "?" + next.Encode()
	}
	if f.After != "" {
		body.First = base
		if len(filter) > 0 {
			body.First += "?" + filter.Encode()
		}
	}
	for _, d := range ds {
		body.Rows = append(body.Rows, newDeliveryRow(d))
	}
	d := s.base(v, "deliveries", "Deliveries")
	d.Flash = replayFlash(q)
	d.Body = struct {
		deliveriesData
		Channels, Statuses []option
		ReplaySince        string // the replay form's default: a day ago
	}{body, channelOptions, statusOptions, s.now().UTC().Add(-24 * time.Hour).Format("2006-01-02T15:04")}
	s.render(w, r, http.StatusOK, "deliveries.html", d)
}

type attemptView struct {
	ID             string
	StartedAt      time.Time
	Method, URL    string
	To             string
	RequestHeaders map[string][]string
	RequestBody    string
	Status         int
	Headers        map[string][]string
	Body           string
	Error          string
	Latency        time.Duration
}

type deliveryData struct {
	deliveryRow
	EventID     string
	Payload     string
	AttemptList []attemptView
}

func (s *server) deliveryPage(w http.ResponseWriter, r *http.Request, v *view) {
	d, ok := s.loadDelivery(w, r, v)
	if !ok {
		return
	}
	ev, err := s.store.Event(r.Context(), d.EventID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	atts, err := s.store.Attempts(r.Context(), d.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	body := deliveryData{deliveryRow: newDeliveryRow(d), EventID: d.EventID, Payload: prettyJSON(string(ev.Payload))}
	for _, a := range atts {
		av := attemptView{ID: a.ID, StartedAt: a.StartedAt, RequestHeaders: a.RequestHeaders, Status: a.ResponseStatus,
			Headers: a.ResponseHeaders, Body: prettyJSON(a.ResponseBody), Error: a.Error, Latency: a.Latency}
		if d.Channel == herald.ChannelWebhook {
			av.Method, av.URL, av.RequestBody = http.MethodPost, herald.MaskURL(a.Target), body.Payload
		} else {
			av.To = a.Target
		}
		body.AttemptList = append(body.AttemptList, av)
	}
	page := s.base(v, "deliveries", "Delivery "+d.ID)
	switch r.URL.Query().Get("redelivered") {
	case "1":
		page.Flash = "Redelivery queued: a new attempt will appear here once it completes."
	}
	page.Body = body
	s.render(w, r, http.StatusOK, "delivery.html", page)
}

// loadDelivery loads the path's delivery of the account in view; another
// account's is not found.
func (s *server) loadDelivery(w http.ResponseWriter, r *http.Request, v *view) (herald.Delivery, bool) {
	d, err := s.store.Delivery(r.Context(), r.PathValue("delivery_id"))
	if herald.ErrorCode(err) == herald.CodeNotFound || (err == nil && d.AccountID != v.account.ID) {
		s.refuse(w, r, v, http.StatusNotFound, "There is no such delivery in this account.")
		return d, false
	}
	if err != nil {
		s.fail(w, r, err)
		return d, false
	}
	return d, true
}

func (s *server) redeliver(w http.ResponseWriter, r *http.Request, v *view) {
	d, ok := s.loadDelivery(w, r, v)
	if !ok {
		return
	}
	if _, err := dispatch.Redeliver(r.Context(), s.store, d, s.now()); err != nil {
		switch herald.ErrorCode(err) {
		case herald.CodeConflict, herald.CodeInvalid:
			e, _ := errors.AsType[*herald.Error](err)
			s.refuse(w, r, v, http.StatusConflict, "Could not redeliver: "+e.Message+".")
		default:
			s.fail(w, r, err)
		}
		return
	}
	http.Redirect(w, r, accountPath(v.account.ID, "deliveries/"+d.ID)+"?redelivered=1", http.StatusSeeOther)
}
