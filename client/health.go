package client

import (
	"context"
	"net/http"
	"time"
)

// WebhookStatus is the health of an account's webhook.
type WebhookStatus struct {
	State               string     `json:"state"` // none, healthy, failing, disabled
	ConsecutiveFailures int        `json:"consecutive_failures"`
	LastSuccessAt       *time.Time `json:"last_success_at"`
	LastFailureAt       *time.Time `json:"last_failure_at"`
	LastError           string     `json:"last_error"`
	FailingSince        *time.Time `json:"failing_since"`
	DisabledAt          *time.Time `json:"disabled_at"`
	DisabledReason      string     `json:"disabled_reason"`
	Attempts24h         int        `json:"attempts_24h"`
	Succeeded24h        int        `json:"succeeded_24h"`
}

// GetWebhookStatus returns the health of the account's webhook.
func (c *Client) GetWebhookStatus(ctx context.Context, id int64) (WebhookStatus, error) {
	var s WebhookStatus
	_, err := c.call(ctx, http.MethodGet, accountPath(id, "/webhook-status"), nil, nil, &s, true)
	return s, err
}

// EnableWebhook turns a disabled webhook back on (its counters reset).
// Enabling is idempotent, so it is retried like a PUT.
func (c *Client) EnableWebhook(ctx context.Context, id int64) (WebhookStatus, error) {
	var s WebhookStatus
	_, err := c.call(ctx, http.MethodPost, accountPath(id, "/webhook-status/enable"), nil, struct{}{}, &s, true)
	return s, err
}

// ReplayRequest picks the webhook deliveries to send again: those created
// from Since to Until (zero: now) whose status is in Status (nil: failed
// and skipped).
type ReplayRequest struct {
	Since  time.Time `json:"since"`
	Until  time.Time `json:"until,omitzero"`
	Status []string  `json:"status,omitempty"`
}

// ReplayResult says how many deliveries were replayed, and how many more
// match (at most 10,000 go per call; call again for the rest).
type ReplayResult struct {
	Replayed  int `json:"replayed"`
	Remaining int `json:"remaining"`
}

// Replay sends the matching webhook deliveries again, to the URL saved
// now.
func (c *Client) Replay(ctx context.Context, id int64, req ReplayRequest) (ReplayResult, error) {
	var r ReplayResult
	_, err := c.call(ctx, http.MethodPost, accountPath(id, "/deliveries/replay"), nil, req, &r, false)
	return r, err
}
