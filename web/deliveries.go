package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"herald"
	"herald/catalog"
	"herald/dispatch"
	"herald/store"
)

// deliveryItem is a delivery as the API shows it: webhook URLs with their
// query values masked.
type deliveryItem struct {
	ID             string          `json:"id"`
	EventID        string          `json:"event_id"`
	EventType      string          `json:"event_type"`
	Key            herald.EventKey `json:"key"`
	Channel        herald.Channel  `json:"channel"`
	Target         string          `json:"target"`
	Status         herald.Status   `json:"status"`
	Attempts       int             `json:"attempts"`
	ResponseStatus *int            `json:"response_status"`
	Error          string          `json:"error"`
	LatencyMS      *int64          `json:"latency_ms"`
	Test           bool            `json:"test"`
	CreatedAt      time.Time       `json:"created_at"`
	CompletedAt    *time.Time      `json:"completed_at"`
	NextAttemptAt  *time.Time      `json:"next_attempt_at"`
}

func newDeliveryItem(d herald.Delivery) deliveryItem {
	it := deliveryItem{ID: d.ID, EventID: d.EventID, Key: d.EventKey, Channel: d.Channel, Target: d.Target, Status: d.Status,
		Attempts: d.Attempts, Error: d.Error, Test: d.IsTest, CreatedAt: d.CreatedAt}
	if e := catalog.ByKey(d.EventKey); e != nil {
		it.EventType = e.Type
	} else {
		it.EventType = string(d.EventKey) // one of Herald's notices
	}
	if d.Channel == herald.ChannelWebhook {
		it.Target = herald.MaskURL(d.Target)
	}
	if d.ResponseStatus != 0 {
		it.ResponseStatus = &d.ResponseStatus
	}
	if d.Attempts > 0 {
		ms := d.Latency.Milliseconds()
		it.LatencyMS = &ms
	}
	if !d.CompletedAt.IsZero() {
		it.CompletedAt = &d.CompletedAt
	}
	if !d.NextAttemptAt.IsZero() {
		it.NextAttemptAt = &d.NextAttemptAt
	}
	return it
}

type attemptRequest struct {
	Method  string              `json:"method,omitempty"`
	URL     string              `json:"url,omitempty"`
	To      string              `json:"to,omitempty"`
	Headers map[string][]string `json:"headers"`
	Body    string              `json:"body"`
}

type attemptResponse struct {
	Status  int                 `json:"status"`
	Headers map[string][]string `json:"headers"`
	Body    string              `json:"body"`
}

type attemptItem struct {
	ID          string           `json:"id"`
	StartedAt   time.Time        `json:"started_at"`
	CompletedAt time.Time        `json:"completed_at"`
	Request     attemptRequest   `json:"request"`
	Response    *attemptResponse `json:"response"`
	Error       string           `json:"error"`
	LatencyMS   int64            `json:"latency_ms"`
}

// deliveryDetail is one delivery with its payload and its attempts, each
// with the request sent and the response or error. Here "attempts" is the
// list; "attempt_count" is the list item's count.
type deliveryDetail struct {
	deliveryItem
	AttemptCount int             `json:"attempt_count"`
	Payload      json.RawMessage `json:"payload"`
	AttemptsList []attemptItem   `json:"attempts"`
}

func newAttemptItem(d herald.Delivery, a herald.Attempt, payload []byte) attemptItem {
	it := attemptItem{ID: a.ID, StartedAt: a.StartedAt, CompletedAt: a.CompletedAt, Error: a.Error, LatencyMS: a.Latency.Milliseconds(),
		Request: attemptRequest{Headers: a.RequestHeaders, Body: string(payload)}}
	if it.Request.Headers == nil {
		it.Request.Headers = map[string][]string{}
	}
	if d.Channel == herald.ChannelWebhook {
		it.Request.Method, it.Request.URL = http.MethodPost, a.Target
		if a.ResponseStatus != 0 {
			it.Response = &attemptResponse{Status: a.ResponseStatus, Headers: a.ResponseHeaders, Body: a.ResponseBody}
		}
	} else {
		it.Request.To = a.Target
	}
	return it
}

// listDeliveries is the delivery log: newest first, filtered, paged.
func (s *Server) listDeliveries(w http.ResponseWriter, r *http.Request) error {
	id, limit, err := s.accountPage(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := store.DeliveryFilter{AccountID: id, After: q.Get("cursor"), Limit: limit + 1}
	var bad herald.Fields
	if v := q.Get("event_type"); v != "" {
		if e, ok := catalog.Lookup(v); ok {
			f.EventKey = e.Key
		} else {
			bad.Add("event_type", "must be an event key or wire name")
		}
	}
	switch c := herald.Channel(q.Get("channel")); c {
	case "", herald.ChannelWebhook, herald.ChannelEmail:
		f.Channel = c
	default:
		bad.Add("channel", "must be webhook or email")
	}
	switch st := herald.Status(q.Get("status")); st {
	case "", herald.StatusPending, herald.StatusSucceeded, herald.StatusFailed, herald.StatusSkipped:
		f.Status = st
	default:
		bad.Add("status", "must be pending, succeeded, failed or skipped")
	}
	if err := bad.Err(); err != nil {
		return err
	}
	ds, err := s.store.Deliveries(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page(ds, limit, func(d herald.Delivery) string { return d.ID }, newDeliveryItem))
	return nil
}

// delivery loads the path's delivery, 404 for another account's.
func (s *Server) delivery(r *http.Request) (herald.Delivery, error) {
	d, err := s.store.Delivery(r.Context(), r.PathValue("delivery_id"))
	if errors.Is(err, herald.ErrNotFound) || (err == nil && !canSee(r.Context(), d.AccountID)) {
		return d, herald.Errorf(herald.CodeNotFound, "delivery %s not found", r.PathValue("delivery_id"))
	}
	return d, err
}

func (s *Server) getDelivery(w http.ResponseWriter, r *http.Request) error {
	d, err := s.delivery(r)
	if err != nil {
		return err
	}
	detail, err := s.deliveryDetail(r, d)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, detail)
	return nil
}

func (s *Server) deliveryDetail(r *http.Request, d herald.Delivery) (deliveryDetail, error) {
	ev, err := s.store.Event(r.Context(), d.EventID)
	if err != nil {
		return deliveryDetail{}, err
	}
	atts, err := s.store.Attempts(r.Context(), d.ID)
	if err != nil {
		return deliveryDetail{}, err
	}
	out := deliveryDetail{deliveryItem: newDeliveryItem(d), AttemptCount: d.Attempts, Payload: ev.Payload, AttemptsList: []attemptItem{}}
	body := ev.Payload
	if d.Channel == herald.ChannelEmail {
		body = nil // the email's text is in the outbox, or was sent
	}
	for _, a := range atts {
		out.AttemptsList = append(out.AttemptsList, newAttemptItem(d, a, body))
	}
	return out, nil
}

func (s *Server) redeliver(w http.ResponseWriter, r *http.Request) error {
	d, err := s.delivery(r)
	if err != nil {
		return err
	}
	// The delivery as the redelivery left it: read back, a worker could
	// already have sent it again.
	if d, err = dispatch.Redeliver(r.Context(), s.store, d, s.now()); err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, newDeliveryItem(d))
	return nil
}

// testSend POSTs an event's example to the saved URL now and answers the
// logged delivery with its attempt.
func (s *Server) testSend(w http.ResponseWriter, r *http.Request) error {
	id, doc, err := s.accountDoc(w, r)
	if err != nil {
		return err
	}
	var bad herald.Fields
	eventType := ""
	for k, v := range doc {
		switch k {
		case "event_type":
			if eventType, _ = v.(string); eventType == "" {
				bad.Add(k, "must be an event key")
			}
		default:
			bad.Add(k, "unknown field")
		}
	}
	if _, ok := doc["event_type"]; !ok {
		bad.Add("event_type", "is required")
	}
	if err := bad.Err(); err != nil {
		return err
	}
	d, _, err := s.tester.Send(r.Context(), id, eventType, s.now())
	if err != nil {
		return err
	}
	detail, err := s.deliveryDetail(r, d)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, detail)
	return nil
}

func (s *Server) listOutbox(w http.ResponseWriter, r *http.Request) error {
	id, limit, err := s.accountPage(r)
	if err != nil {
		return err
	}
	msgs, err := s.store.Outbox(r.Context(), id, r.URL.Query().Get("cursor"), limit+1)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page(msgs, limit, func(m store.OutboxMessage) string { return m.ID },
		func(m store.OutboxMessage) outboxItem {
			return outboxItem{m.ID, m.DeliveryID, m.Recipient, m.Subject, m.CreatedAt}
		}))
	return nil
}

type outboxItem struct {
	ID         string    `json:"id"`
	DeliveryID string    `json:"delivery_id"`
	Recipient  string    `json:"recipient"`
	Subject    string    `json:"subject"`
	CreatedAt  time.Time `json:"created_at"`
}

func (s *Server) getOutboxMessage(w http.ResponseWriter, r *http.Request) error {
	m, err := s.store.OutboxMessage(r.Context(), r.PathValue("message_id"))
	if errors.Is(err, herald.ErrNotFound) || (err == nil && !canSee(r.Context(), m.AccountID)) {
		return herald.Errorf(herald.CodeNotFound, "message %s not found", r.PathValue("message_id"))
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}
