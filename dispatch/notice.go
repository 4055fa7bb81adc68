package dispatch

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"herald"
	"herald/email"
	"herald/store"
)

// planNotice plans the email that tells the account's primary contact
// about a health change: an event of Herald's own (its payload the
// notice) with one email delivery, logged and sent like any other. The
// idempotency key names the streak or the disabling, so a change is never
// announced twice. An account without a primary contact gets none.
func planNotice(ctx context.Context, s *store.Store, c store.HealthChange, kind herald.EventKey, publicURL string, now time.Time) error {
	r, err := s.Recipients(ctx, c.AccountID)
	if err != nil {
		return err
	}
	contact := r.Company.PrimaryContact
	if contact == nil {
		return nil
	}
	mark := c.Health.FailingSince
	if kind == herald.NoticeWebhookDisabled {
		mark = c.Health.DisabledAt
	}
	payload, err := json.Marshal(email.Notice{
		Kind: kind, AccountID: r.Account.ID, AccountName: r.Account.Name, WebhookURL: herald.MaskURL(r.Settings.WebhookURL),
		ConsecutiveFailures: c.Health.ConsecutiveFailures, FailingSince: c.Health.FailingSince, LastError: c.Health.LastError,
		DisabledReason: c.Health.DisabledReason, SettingsURL: SettingsURL(publicURL, r.Account.ID),
	})
	if err != nil {
		return err
	}
	now = now.UTC().Truncate(time.Millisecond)
	key := fmt.Sprintf("herald-notice:%s:%d", kind, mark.UnixMilli())
	ev := herald.Event{ID: herald.NewID("evt_", now), AccountID: r.Account.ID, Key: kind, IdempotencyKey: key, Fingerprint: key,
		OccurredAt: now.Truncate(time.Second), Payload: payload, CreatedAt: now}
	d := herald.Delivery{ID: herald.NewID("dlv_", now), EventID: ev.ID, AccountID: ev.AccountID, EventKey: kind,
		Channel: herald.ChannelEmail, Target: contact.Email, Status: herald.StatusPending, CreatedAt: now}
	_, _, _, err = s.InsertEvent(ctx, ev, []herald.Delivery{d})
	return err
}

// renderNotice renders a claimed notice email from its event's payload.
func (w *Worker) renderNotice(j store.Job, now time.Time) (email.Message, error) {
	d := j.Delivery
	var n email.Notice
	if err := json.Unmarshal(j.Payload, &n); err != nil {
		return email.Message{}, fmt.Errorf("notice payload: %w", err)
	}
	return w.cfg.Renderer.RenderNotice(n, d.ID, d.Target, now)
}
