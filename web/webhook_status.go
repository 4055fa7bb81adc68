package web

import (
	"errors"
	"io"
	"net/http"
	"time"

	"herald"
)

// webhookStatus is the contract's webhook-status document; times are null
// when unknown.
type webhookStatus struct {
	State               herald.WebhookState `json:"state"`
	ConsecutiveFailures int                 `json:"consecutive_failures"`
	LastSuccessAt       *time.Time          `json:"last_success_at"`
	LastFailureAt       *time.Time          `json:"last_failure_at"`
	LastError           string              `json:"last_error"`
	FailingSince        *time.Time          `json:"failing_since"`
	DisabledAt          *time.Time          `json:"disabled_at"`
	DisabledReason      string              `json:"disabled_reason"`
	Attempts24h         int                 `json:"attempts_24h"`
	Succeeded24h        int                 `json:"succeeded_24h"`
}

func timeOrNull(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func newWebhookStatus(h herald.WebhookHealth) webhookStatus {
	return webhookStatus{
		State: h.State, ConsecutiveFailures: h.ConsecutiveFailures, LastSuccessAt: timeOrNull(h.LastSuccessAt),
		LastFailureAt: timeOrNull(h.LastFailureAt), LastError: h.LastError, FailingSince: timeOrNull(h.FailingSince),
		DisabledAt: timeOrNull(h.DisabledAt), DisabledReason: h.DisabledReason, Attempts24h: h.Attempts24h, Succeeded24h: h.Succeeded24h,
	}
}

func (s *Server) getWebhookStatus(w http.ResponseWriter, r *http.Request) error {
	id, _ := pathAccountID(r)
	h, err := s.store.WebhookHealth(r.Context(), id, s.now())
	if errors.Is(err, herald.ErrNotFound) {
		return accountNotFound(r.PathValue("account_id"))
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newWebhookStatus(h))
	return nil
}

// enableWebhook turns a disabled webhook back on, counters reset, and
// answers the status. The body may be empty or {}.
func (s *Server) enableWebhook(w http.ResponseWriter, r *http.Request) error {
	if err := emptyObject(w, r); err != nil {
		return err
	}
	id, _ := pathAccountID(r)
	if err := s.store.EnableWebhook(r.Context(), id); errors.Is(err, herald.ErrNotFound) {
		return accountNotFound(r.PathValue("account_id"))
	} else if err != nil {
		return err
	}
	return s.getWebhookStatus(w, r)
}

// emptyObject accepts an action's body: none, or an object with no keys.
func emptyObject(w http.ResponseWriter, r *http.Request) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return tooLarge()
	}
	if err != nil || len(body) == 0 {
		return err
	}
	doc, err := parseObject(body)
	if err != nil {
		return err
	}
	var bad herald.Fields
	for k := range doc {
		bad.Add(k, "unknown field")
	}
	return bad.Err()
}
