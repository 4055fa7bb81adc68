package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"herald"
	"herald/store"
	"herald/store/storetest"
)

// Two processes share a PostgreSQL database: one keeps an account's
// recipients (CachedRecipients), the other saves new settings, then
// disables the webhook. An event planned from the kept copy is refused
// with nothing written, on both write paths (an event's group statement,
// and the transaction of an event whose emails may wait for a digest); the
// next read sees the change.
func TestCachedRecipientsAreCheckedWhenTheEventIsWritten(t *testing.T) {
	url := storetest.PostgresURL(t)
	a, b := storetest.Open(t, url), storetest.Open(t, url)
	ctx := context.Background()
	if _, _, err := a.PutAccount(ctx, 1, "Acme"); err != nil {
		t.Fatal(err)
	}
	save := func(hook string) {
		t.Helper()
		st := herald.DefaultSettings()
		st.WebhookURL = hook
		es := st.Events[herald.RunFailed]
		es.SendWebhook = true
		st.Events[herald.RunFailed] = es
		if err := b.PutSettings(ctx, 1, st); err != nil {
			t.Fatal(err)
		}
	}
	save("https://one.acme.test/in")
	insert := func(r store.Recipients, digest bool) (herald.Event, error) {
		t.Helper()
		now := time.Now().UTC().Truncate(time.Millisecond)
		ev, ds := newEvent(1, "", now)
		ds[0].Target = r.Settings.WebhookURL
		if digest {
			ds[1].DigestWindow = time.Minute
		}
		_, _, _, err := a.InsertEventFor(ctx, r, ev, ds)
		return ev, err
	}
	current := func(wantHook string, wantDisabled bool) store.Recipients {
		t.Helper()
		r, err := a.CachedRecipients(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		if r.Settings.WebhookURL != wantHook || (r.WebhookDisabled != "") != wantDisabled {
			t.Fatalf("recipients: webhook %q, disabled %q; want %q, disabled %v", r.Settings.WebhookURL, r.WebhookDisabled, wantHook, wantDisabled)
		}
		return r
	}
	for _, digest := range []bool{false, true} {
		kept := current("https://one.acme.test/in", false)
		if _, err := insert(kept, digest); err != nil {
			t.Fatalf("digest %v: event planned from current recipients: %v", digest, err)
		}
		save("https://two.acme.test/in")
		ev, err := insert(kept, digest)
		if !errors.Is(err, store.ErrRecipientsChanged) {
			t.Fatalf("digest %v: event planned from old settings: err %v, want ErrRecipientsChanged", digest, err)
		}
		if _, err := a.Event(ctx, ev.ID); !errors.Is(err, herald.ErrNotFound) {
			t.Errorf("digest %v: the refused event was stored (%v)", digest, err)
		}
		kept = current("https://two.acme.test/in", false)
		if _, err := insert(kept, digest); err != nil {
			t.Fatalf("digest %v: event planned from recipients read again: %v", digest, err)
		}
		if _, err := b.RecordWebhookResults(ctx, []store.WebhookResult{{AccountID: 1, At: time.Now(), Gone: true, Error: "HTTP 410"}}, store.HealthPolicy{}); err != nil {
			t.Fatal(err)
		}
		if _, err := insert(kept, digest); !errors.Is(err, store.ErrRecipientsChanged) {
			t.Fatalf("digest %v: event planned while the webhook was on, written after it was disabled: err %v", digest, err)
		}
		kept = current("https://two.acme.test/in", true)
		save("https://one.acme.test/in") // a new URL turns the webhook back on
		if _, err := insert(kept, digest); !errors.Is(err, store.ErrRecipientsChanged) {
			t.Fatalf("digest %v: event planned while the webhook was disabled, written after it was on: err %v", digest, err)
		}
	}
}

// Keys ride with the recipients a process keeps, for the jobs it hands
// over: when another process changes the account's signing, an event
// planned from the kept copy is refused, and the copy read again carries
// the new key alone, so no webhook is signed with a key that no longer
// signs.
func TestHandedJobsSignWithKeysChangedByAnotherProcess(t *testing.T) {
	url := storetest.PostgresURL(t)
	a, b := storetest.Open(t, url), storetest.Open(t, url)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	if _, _, err := a.PutAccount(ctx, 1, "Acme"); err != nil {
		t.Fatal(err)
	}
	st := herald.DefaultSettings()
	st.WebhookURL = "https://h.test/x?t=1"
	if err := a.PutSettings(ctx, 1, st); err != nil {
		t.Fatal(err)
	}
	sign := func(s *store.Store) herald.SigningKey {
		t.Helper()
		k := herald.NewSigningKey(1, herald.SigningHMAC, now)
		if err := s.ChangeSigning(ctx, 1, &k, now, now); err != nil { // no overlap: the old key stops at once
			t.Fatal(err)
		}
		return k
	}
	sign(a)
	kept, err := a.CachedRecipients(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	next := sign(b)
	handoff := &store.Handoff{Owner: "w", Until: now.Add(time.Minute)}
	ev, ds := newEvent(1, "", now)
	if _, err := a.Insert(ctx, kept, ev, ds, handoff); !errors.Is(err, store.ErrRecipientsChanged) {
		t.Fatalf("event planned before the signing change: err %v, want ErrRecipientsChanged", err)
	}
	r, err := a.CachedRecipients(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	in, err := a.Insert(ctx, r, ev, ds, handoff)
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range in.Jobs {
		if j.Delivery.Channel == herald.ChannelWebhook && (len(j.Signing) != 1 || j.Signing[0].ID != next.ID) {
			t.Errorf("the handed webhook is signed with %+v, want only the new key %s", j.Signing, next.ID)
		}
	}
}
