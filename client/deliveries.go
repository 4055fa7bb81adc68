package client

import (
	"context"
	"iter"
	"net/http"
	"net/url"
)

// DeliveryFilter narrows the delivery log; empty fields match all.
type DeliveryFilter struct {
	EventType string // a settings key or wire name
	Channel   string // "webhook" or "email"
	Status    string // "pending", "succeeded", "failed", "skipped"
	ListOptions
}

// ListDeliveries returns one page of an account's delivery log, newest
// first.
func (c *Client) ListDeliveries(ctx context.Context, accountID int64, f DeliveryFilter) (Page[Delivery], error) {
	q := f.query()
	for k, v := range map[string]string{"event_type": f.EventType, "channel": f.Channel, "status": f.Status} {
		if v != "" {
			q.Set(k, v)
		}
	}
	var p Page[Delivery]
	_, err := c.call(ctx, http.MethodGet, accountPath(accountID, "/deliveries"), q, nil, &p, true)
	return p, err
}

// AllDeliveries yields every delivery of the log that f matches, newest
// first, fetching pages as it goes; it stops at the first error, which it
// yields.
func (c *Client) AllDeliveries(ctx context.Context, accountID int64, f DeliveryFilter) iter.Seq2[Delivery, error] {
	return all(f.ListOptions, func(o ListOptions) (Page[Delivery], error) {
		f.ListOptions = o
		return c.ListDeliveries(ctx, accountID, f)
	})
}

// GetDelivery returns one delivery with every attempt.
func (c *Client) GetDelivery(ctx context.Context, id string) (DeliveryDetail, error) {
	var d DeliveryDetail
	_, err := c.call(ctx, http.MethodGet, "/api/v1/deliveries/"+url.PathEscape(id), nil, nil, &d, true)
	return d, err
}

// Redeliver sends a delivery's payload again as a new attempt; the
// delivery is pending until it completes.
func (c *Client) Redeliver(ctx context.Context, id string) (Delivery, error) {
	var d Delivery
	_, err := c.call(ctx, http.MethodPost, "/api/v1/deliveries/"+url.PathEscape(id)+"/redeliver", nil, nil, &d, false)
	return d, err
}

// ListOutbox returns one page of the account's outbox (emails kept while
// no SMTP server is configured), newest first.
func (c *Client) ListOutbox(ctx context.Context, accountID int64, o ListOptions) (Page[OutboxItem], error) {
	var p Page[OutboxItem]
	_, err := c.call(ctx, http.MethodGet, accountPath(accountID, "/outbox"), o.query(), nil, &p, true)
	return p, err
}

// GetOutboxMessage returns one outbox email, whole.
func (c *Client) GetOutboxMessage(ctx context.Context, id string) (OutboxMessage, error) {
	var m OutboxMessage
	_, err := c.call(ctx, http.MethodGet, "/api/v1/outbox/"+url.PathEscape(id), nil, nil, &m, true)
	return m, err
}
