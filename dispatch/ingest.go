package dispatch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"herald"
	"herald/catalog"
	"herald/store"
)

// MaxIdempotencyKeyLength bounds idempotency keys.
const MaxIdempotencyKeyLength = 255

// Ingester accepts platform events.
type Ingester struct {
	store   *store.Store
	builder *catalog.Builder
	now     func() time.Time
	worker  *Worker // gets the deliveries it has room for; nil: none
}

// HandTo makes in give w, a worker of this process, the deliveries it
// writes while w has room for them, so w sends them without claiming them
// (handoff.go).
func (in *Ingester) HandTo(w *Worker) { in.worker = w }

// NewIngester returns an Ingester writing to s and building payloads with b.
// now is the clock; nil means time.Now.
func NewIngester(s *store.Store, b *catalog.Builder, now func() time.Time) *Ingester {
	if now == nil {
		now = time.Now
	}
	return &Ingester{store: s, builder: b, now: now}
}

// Result is an accepted event and its planned deliveries. Created is false
// when the idempotency key named an event accepted before; nothing new was
// planned then.
type Result struct {
	Event      herald.Event
	Deliveries []herald.Delivery
	Created    bool
}

// Ingest validates one event as decoded from JSON (numbers as json.Number)
// and commits it, its payload and its deliveries in one transaction. Checks
// run in the contract's order: the envelope (422), the account (404), the
// data (422). A repeated idempotency key answers the first event, or a 409
// when the event differs.
func (in *Ingester) Ingest(ctx context.Context, doc map[string]any) (Result, error) {
	req, err := parseEnvelope(doc)
	if err != nil {
		return Result{}, err
	}
	for try := 0; ; try++ {
		res, err := in.ingest(ctx, req)
		// The account's recipients changed between their read and the
		// write (another process saved settings): nothing was written;
		// read them again and plan again.
		if errors.Is(err, store.ErrRecipientsChanged) && try < maxReplans {
			continue
		}
		return res, err
	}
}

// maxReplans bounds how often an event is planned again because the
// account's settings kept changing under it.
const maxReplans = 5

// ingest plans and writes one validated envelope.
func (in *Ingester) ingest(ctx context.Context, req envelope) (Result, error) {
	r, err := in.store.CachedRecipients(ctx, req.accountID)
	if errors.Is(err, herald.ErrNotFound) {
		return Result{}, herald.Errorf(herald.CodeNotFound, "account %d not found", req.accountID)
	}
	if err != nil {
		return Result{}, err
	}
	data, bad := req.event.ParseData(req.data)
	if len(bad) > 0 {
		var fields herald.Fields
		fields.Merge("data.", bad)
		return Result{}, fields.Err()
	}

	now := in.now().UTC().Truncate(time.Millisecond) // what the store keeps
	at := now.Truncate(time.Second)
	given := ""
	if req.occurredAt != nil {
		at = *req.occurredAt
		given = at.Format(time.RFC3339)
	}
	ev := herald.Event{
		ID:             herald.NewID("evt_", now),
		AccountID:      req.accountID,
		Key:            req.event.Key,
		IdempotencyKey: req.idempotencyKey,
		Fingerprint:    fingerprint(req.event, given, data),
		OccurredAt:     at,
		Payload:        in.builder.Payload(req.event, r.Account.ID, r.Account.Name, at, data),
		CreatedAt:      now,
	}
	ds := Plan(ev, r, now)
	var h *store.Handoff
	kept, ok := in.worker.reserve(ds)
	if ok {
		h = &kept.lease
	}
	ins, err := in.store.Insert(ctx, r, ev, ds, h)
	if ok {
		in.worker.hand(kept, ins.Jobs)
	}
	if err != nil {
		return Result{}, err
	}
	stored, ds, created := ins.Event, ins.Deliveries, ins.Created
	if !created && stored.Fingerprint != ev.Fingerprint {
		return Result{}, &herald.Error{Code: herald.CodeConflict,
			Message: fmt.Sprintf("idempotency_key %q was already used for a different event (%s)", req.idempotencyKey, stored.ID),
			Fields:  map[string]string{"idempotency_key": "already used for a different event"}}
	}
	return Result{Event: stored, Deliveries: ds, Created: created}, nil
}

// fingerprint identifies what the emitter asked for, so a retry with the
// same key is told apart from a different event reusing it.
func fingerprint(e *catalog.Event, occurredAt string, data catalog.Data) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n", e.Key, occurredAt)
	h.Write(e.Canonical(data))
	return hex.EncodeToString(h.Sum(nil))
}

type envelope struct {
	event          *catalog.Event
	accountID      int64
	occurredAt     *time.Time
	idempotencyKey string
	data           map[string]any
}

func parseEnvelope(doc map[string]any) (envelope, error) {
	var req envelope
	var bad herald.Fields
	for key, v := range doc {
		switch key {
		case "event_type":
			s, ok := v.(string)
			if !ok {
				bad.Add(key, "must be a string")
				continue
			}
			e, ok := catalog.Lookup(s)
			if !ok {
				bad.Add(key, fmt.Sprintf("unknown event type %q", s))
				continue
			}
			req.event = e
		case "account_id":
			n, ok := v.(json.Number)
			id, err := n.Int64()
			if !ok || err != nil {
				bad.Add(key, "must be an integer")
				continue
			}
			req.accountID = id
		case "occurred_at":
			if v == nil {
				continue
			}
			s, ok := v.(string)
			t, err := time.Parse(time.RFC3339, s)
			if !ok || err != nil {
				bad.Add(key, "must be an RFC 3339 time, like 2026-05-04T12:00:00Z")
				continue
			}
			t = t.UTC().Truncate(time.Second)
			req.occurredAt = &t
		case "idempotency_key":
			if v == nil {
				continue
			}
			s, ok := v.(string)
			switch {
			case !ok:
				bad.Add(key, "must be a string")
			case s == "":
				bad.Add(key, "must not be empty; leave it out instead")
			case len(s) > MaxIdempotencyKeyLength:
				bad.Add(key, fmt.Sprintf("must be at most %d bytes", MaxIdempotencyKeyLength))
			default:
				req.idempotencyKey = s
			}
		case "data":
			m, ok := v.(map[string]any)
			if !ok {
				bad.Add(key, "must be an object with the event's fields")
				continue
			}
			req.data = m
		default:
			bad.Add(key, "unknown field")
		}
	}
	for _, key := range []string{"event_type", "account_id", "data"} {
		if _, ok := doc[key]; !ok {
			bad.Add(key, "is required")
		}
	}
	return req, bad.Err()
}
