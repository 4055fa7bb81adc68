package client

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
)

// ListOptions pages a list: Limit 1 to 100 (0: the server's default, 20),
// Cursor the previous page's NextCursor.
type ListOptions struct {
	Limit  int
	Cursor string
}

func (o ListOptions) query() url.Values {
	q := url.Values{}
	if o.Limit > 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	if o.Cursor != "" {
		q.Set("cursor", o.Cursor)
	}
	return q
}

// EventTypes returns the event catalog.
func (c *Client) EventTypes(ctx context.Context) ([]EventType, error) {
	var p Page[EventType]
	_, err := c.call(ctx, http.MethodGet, "/api/v1/event-types", nil, nil, &p, true)
	return p.Data, err
}

// EmitResult is Emit's answer: the stored event, and whether this call
// stored it (false: the idempotency key was seen before, and this is the
// first event with it).
type EmitResult struct {
	Event
	Created bool
	// Raw is Herald's answer exactly as it came.
	Raw json.RawMessage
}

// Emit sends one event to Herald's ingest (platform token only). It is
// retried on network errors, 429 and 503; so that a retry can never store
// the event twice, a request without an IdempotencyKey gets a random one.
func (c *Client) Emit(ctx context.Context, req EventRequest) (EmitResult, error) {
	if req.IdempotencyKey == "" {
		b := make([]byte, 16)
		rand.Read(b)
		req.IdempotencyKey = "auto-" + hex.EncodeToString(b)
	}
	var r EmitResult
	status, err := c.call(ctx, http.MethodPost, "/api/v1/events", nil, req, &r.Raw, true)
	if err != nil {
		return r, err
	}
	r.Created = status == http.StatusAccepted
	if err := json.Unmarshal(r.Raw, &r.Event); err != nil {
		return r, fmt.Errorf("herald: decoding the answer to POST /api/v1/events: %w", err)
	}
	return r, nil
}

// GetEvent returns an event with its payload and planned deliveries.
func (c *Client) GetEvent(ctx context.Context, id string) (Event, error) {
	var e Event
	_, err := c.call(ctx, http.MethodGet, "/api/v1/events/"+url.PathEscape(id), nil, nil, &e, true)
	return e, err
}

// ListEvents returns one page of an account's events, newest first.
func (c *Client) ListEvents(ctx context.Context, accountID int64, o ListOptions) (Page[Event], error) {
	var p Page[Event]
	_, err := c.call(ctx, http.MethodGet, accountPath(accountID, "/events"), o.query(), nil, &p, true)
	return p, err
}

// AllEvents yields every event of the account, newest first, fetching
// pages of o.Limit as it goes; it stops at the first error, which it
// yields.
func (c *Client) AllEvents(ctx context.Context, accountID int64, o ListOptions) iter.Seq2[Event, error] {
	return all(o, func(o ListOptions) (Page[Event], error) { return c.ListEvents(ctx, accountID, o) })
}

// all walks the pages that fetch returns, from o.Cursor on.
func all[T any](o ListOptions, fetch func(ListOptions) (Page[T], error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for {
			p, err := fetch(o)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, item := range p.Data {
				if !yield(item, nil) {
					return
				}
			}
			if p.NextCursor == "" {
				return
			}
			o.Cursor = p.NextCursor
		}
	}
}
