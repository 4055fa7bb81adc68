package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"herald"
	"herald/catalog"
)

type plannedDelivery struct {
	ID        string         `json:"id"`
	Channel   herald.Channel `json:"channel"`
	Target    string         `json:"target"`
	Status    herald.Status  `json:"status"`
	Attempts  int            `json:"attempts"`
	CreatedAt time.Time      `json:"created_at"`
}

type eventBody struct {
	ID             string            `json:"id"`
	AccountID      int64             `json:"account_id"`
	Key            herald.EventKey   `json:"key"`
	EventType      string            `json:"event_type"`
	IdempotencyKey *string           `json:"idempotency_key"`
	OccurredAt     time.Time         `json:"occurred_at"`
	CreatedAt      time.Time         `json:"created_at"`
	Payload        json.RawMessage   `json:"payload"`
	Deliveries     []plannedDelivery `json:"deliveries,omitzero"` // [] after ingest, absent in lists
}

func newEventBody(ev herald.Event, ds []herald.Delivery) eventBody {
	b := eventBody{ID: ev.ID, AccountID: ev.AccountID, Key: ev.Key, OccurredAt: ev.OccurredAt, CreatedAt: ev.CreatedAt, Payload: ev.Payload}
	if e := catalog.ByKey(ev.Key); e != nil {
		b.EventType = e.Type
	}
	if ev.IdempotencyKey != "" {
		b.IdempotencyKey = &ev.IdempotencyKey
	}
	if ds != nil {
		b.Deliveries = make([]plannedDelivery, 0, len(ds))
	}
	for _, d := range ds {
		target := d.Target
		if d.Channel == herald.ChannelWebhook {
			target = herald.MaskURL(target)
		}
		b.Deliveries = append(b.Deliveries, plannedDelivery{ID: d.ID, Channel: d.Channel, Target: target, Status: d.Status, Attempts: d.Attempts, CreatedAt: d.CreatedAt})
	}
	return b
}

// ingest accepts one platform event: 202 with its payload and planned
// deliveries once they are committed; 200 for a repeated idempotency key.
func (s *Server) ingest(w http.ResponseWriter, r *http.Request) error {
	doc, err := decodeObject(w, r)
	if err != nil {
		return err
	}
	res, err := s.ingester.Ingest(r.Context(), doc)
	if err != nil {
		return err
	}
	status := http.StatusAccepted
	if !res.Created {
		status = http.StatusOK
	} else if s.metrics != nil {
		s.metrics.EventIngested(res.Event.Key)
	}
	body := newEventBody(res.Event, res.Deliveries)
	if body.Deliveries == nil {
		body.Deliveries = []plannedDelivery{}
	}
	writeEvent(w, status, body)
	return nil
}

func (s *Server) getEvent(w http.ResponseWriter, r *http.Request) error {
	ev, err := s.store.Event(r.Context(), r.PathValue("event_id"))
	if errors.Is(err, herald.ErrNotFound) || (err == nil && !canSee(r.Context(), ev.AccountID)) {
		return herald.Errorf(herald.CodeNotFound, "event %s not found", r.PathValue("event_id"))
	}
	if err != nil {
		return err
	}
	ds, err := s.store.EventDeliveries(r.Context(), ev.ID)
	if err != nil {
		return err
	}
	body := newEventBody(ev, ds)
	if body.Deliveries == nil {
		body.Deliveries = []plannedDelivery{}
	}
	writeEvent(w, http.StatusOK, body)
	return nil
}

// listEvents pages through the account's events, newest first.
func (s *Server) listEvents(w http.ResponseWriter, r *http.Request) error {
	id, limit, err := s.accountPage(r)
	if err != nil {
		return err
	}
	evs, err := s.store.Events(r.Context(), id, r.URL.Query().Get("cursor"), limit+1)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page(evs, limit, func(ev herald.Event) string { return ev.ID },
		func(ev herald.Event) eventBody { return newEventBody(ev, nil) }))
	return nil
}

// pageLimit reads ?limit=: 1 to 100, default 20.
func pageLimit(r *http.Request) (int, error) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return 20, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 100 {
		return 0, &herald.Error{Code: herald.CodeInvalid, Message: "invalid limit", Fields: map[string]string{"limit": "must be an integer from 1 to 100"}}
	}
	return n, nil
}
