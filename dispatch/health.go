package dispatch

import (
	"context"
	"time"

	"herald"
	"herald/store"
)

// Defaults of the webhook health policy (HERALD_WEBHOOK_DISABLE_AFTER,
// HERALD_WEBHOOK_FAILING_NOTICE).
const (
	DefaultDisableAfter  = 120 * time.Hour
	DefaultFailingNotice = 10
)

// recordHealth folds a batch's webhook results into their accounts'
// health, after their outcomes are recorded, and plans the notices the
// transitions call for. Losing this to a database failure loses a little
// history, never a delivery, so it is tried a few times and then logged.
func (w *Worker) recordHealth(batch []finished) {
	var rs []store.WebhookResult
	for _, f := range batch {
		if f.health != nil {
			rs = append(rs, *f.health)
		}
	}
	if len(rs) == 0 {
		return
	}
	backoff := 50 * time.Millisecond
	for try := 0; ; try++ {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		changes, err := w.cfg.Store.RecordWebhookResults(ctx, rs, w.cfg.Health)
		if err == nil {
			for _, c := range changes {
				if c.FailingNotice {
					w.cfg.Logger.Warn("webhook failing", "account", c.AccountID, "consecutive_failures", c.Health.ConsecutiveFailures)
					if err := planNotice(ctx, w.cfg.Store, c, herald.NoticeWebhookFailing, w.cfg.PublicURL, w.cfg.Now()); err != nil {
						w.cfg.Logger.Error("planning a webhook notice failed", "account", c.AccountID, "err", err)
					}
				}
				if c.Disabled {
					w.cfg.Logger.Warn("webhook disabled", "account", c.AccountID, "reason", c.Health.DisabledReason, "skipped", c.Skipped)
					if err := planNotice(ctx, w.cfg.Store, c, herald.NoticeWebhookDisabled, w.cfg.PublicURL, w.cfg.Now()); err != nil {
						w.cfg.Logger.Error("planning a webhook notice failed", "account", c.AccountID, "err", err)
					}
				}
			}
			cancel()
			return
		}
		cancel()
		if try == 3 {
			w.cfg.Logger.Error("recording webhook health failed", "count", len(rs), "err", err)
			return
		}
		time.Sleep(backoff)
		backoff *= 2
	}
}
