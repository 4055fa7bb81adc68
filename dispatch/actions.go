package dispatch

import (
	"context"
	"errors"
	"time"

	"herald"
	"herald/catalog"
	"herald/store"
	"herald/webhook"
)

// Redeliver sends a completed delivery again as a new attempt: the same
// payload bytes, to the webhook URL saved now (or the same email address).
// It is pending until a worker completes it; the delivery returned is as
// the redelivery left it.
func Redeliver(ctx context.Context, s *store.Store, d herald.Delivery, now time.Time) (herald.Delivery, error) {
	if d.Status == herald.StatusPending {
		return d, herald.Errorf(herald.CodeConflict, "delivery %s is already pending", d.ID)
	}
	target := d.Target
	if d.Channel == herald.ChannelWebhook {
		var err error
		if target, err = webhookTarget(ctx, s, d.AccountID); err != nil {
			return d, err
		}
	}
	return s.Redeliver(ctx, d.ID, target, now)
}

// Tester sends test webhooks: the catalog's example of an event, with the
// account's id and name, the deployment's environment and the current time,
// POSTed now to the saved URL whatever the toggles say. The send is logged
// as a test delivery; no emails go out.
type Tester struct {
	Store    *store.Store
	Builder  *catalog.Builder
	Webhooks *webhook.Sender
	// Lease is how long workers leave the test delivery alone; if this
	// process dies mid-send, a worker sends it after that.
	Lease time.Duration

	signers webhook.SignerCache
}

// Send performs one test send and returns the completed delivery and its
// attempt.
func (t *Tester) Send(ctx context.Context, accountID int64, eventType string, now time.Time) (herald.Delivery, herald.Attempt, error) {
	e, ok := catalog.Lookup(eventType)
	if !ok {
		return herald.Delivery{}, herald.Attempt{}, &herald.Error{Code: herald.CodeInvalid, Message: "unknown event type",
			Fields: map[string]string{"event_type": "must be one of the five event keys"}}
	}
	r, err := t.Store.Recipients(ctx, accountID)
	if err != nil {
		return herald.Delivery{}, herald.Attempt{}, err
	}
	if r.Settings.WebhookURL == "" {
		return herald.Delivery{}, herald.Attempt{}, &herald.Error{Code: herald.CodeInvalid, Message: "no webhook URL is saved",
			Fields: map[string]string{"webhook_url": "save a webhook URL before sending a test"}}
	}
	now = now.UTC().Truncate(time.Millisecond)
	ev := herald.Event{
		ID: herald.NewID("evt_", now), AccountID: accountID, Key: e.Key, Fingerprint: "test", OccurredAt: now.Truncate(time.Second),
		Payload: t.Builder.Payload(e, r.Account.ID, r.Account.Name, now, e.ExampleData()), CreatedAt: now,
	}
	d := herald.Delivery{
		ID: herald.NewID("dlv_", now), EventID: ev.ID, AccountID: accountID, EventKey: e.Key, Channel: herald.ChannelWebhook,
		Target: r.Settings.WebhookURL, Status: herald.StatusPending, CreatedAt: now, IsTest: true, NextAttemptAt: now.Add(t.Lease),
	}
	// Signed with the keys that sign now, like any delivery.
	keys, err := t.Store.SigningKeys(ctx, accountID, now)
	if err != nil {
		return d, herald.Attempt{}, err
	}
	if _, _, _, err := t.Store.InsertEvent(ctx, ev, []herald.Delivery{d}); err != nil {
		return d, herald.Attempt{}, err
	}
	res := t.Webhooks.Send(ctx, webhook.Request{URL: d.Target, Body: ev.Payload, Header: WebhookHeaders(d), ID: d.ID, Signer: t.signers.Signer(keys)})
	att := WebhookAttempt(d.Target, res, now)
	att.ID, att.DeliveryID = herald.NewID("att_", now), d.ID
	// The delivery is unleased but not due for Lease: no worker has it.
	err = t.Store.Complete(context.WithoutCancel(ctx), []store.Outcome{{DeliveryID: d.ID, Owner: "", Status: webhookStatus(res), Attempt: att}})
	if err != nil {
		return d, att, err
	}
	d, err = t.Store.Delivery(ctx, d.ID)
	if errors.Is(err, herald.ErrNotFound) {
		err = errors.New("test delivery vanished")
	}
	return d, att, err
}
