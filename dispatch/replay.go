package dispatch

import (
	"context"
	"time"

	"herald"
	"herald/store"
)

// MaxReplay bounds the deliveries one replay sends again; the rest are
// left for the next call.
const MaxReplay = 10_000

// Replay sends an account's failed and skipped webhooks created in
// [since, until] again, each a new attempt to the URL saved now, at most
// MaxReplay per call. The worker's per-host limits apply to them as to any
// delivery, so a big replay cannot starve other accounts.
func Replay(ctx context.Context, s *store.Store, accountID int64, since, until time.Time, statuses []herald.Status, now time.Time) (replayed, remaining int, err error) {
	target, err := webhookTarget(ctx, s, accountID)
	if err != nil {
		return 0, 0, err
	}
	return s.Replay(ctx, store.ReplayRequest{AccountID: accountID, Since: since, Until: until, Statuses: statuses,
		Target: target, Now: now, Limit: MaxReplay})
}

// webhookTarget is the URL a webhook is sent again to: the one saved now.
// With none saved, or the webhook disabled, nothing can be sent (422
// naming webhook_url).
func webhookTarget(ctx context.Context, s *store.Store, accountID int64) (string, error) {
	r, err := s.Recipients(ctx, accountID)
	if err != nil {
		return "", err
	}
	switch {
	case r.Settings.WebhookURL == "":
		return "", &herald.Error{Code: herald.CodeInvalid, Message: "no webhook URL is saved; save one to send webhooks again",
			Fields: map[string]string{"webhook_url": "is empty"}}
	case r.WebhookDisabled != "":
		return "", &herald.Error{Code: herald.CodeInvalid, Message: "the webhook is disabled (" + r.WebhookDisabled + "); turn it back on first",
			Fields: map[string]string{"webhook_url": "is disabled"}}
	}
	return r.Settings.WebhookURL, nil
}
