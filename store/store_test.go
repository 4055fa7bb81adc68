package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"herald"
	"herald/store"
	"herald/store/storetest"
)

func TestMigrationsAreNumberedFromOne(t *testing.T) {
	ms, err := store.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) == 0 || ms[0].Version != 1 {
		t.Fatalf("migrations = %v", ms)
	}
}

func TestMigrateIsIdempotent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		applied, err := s.Migrate(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(applied) != 0 {
			t.Errorf("second Migrate applied %v, want nothing", applied)
		}
	})
}

func TestOpenRefusesUnknownURL(t *testing.T) {
	for _, u := range []string{"mysql://x", "herald.db", "sqlite:"} {
		if _, err := store.Open(context.Background(), u, store.Options{}); err == nil {
			t.Errorf("Open(%q) succeeded", u)
		}
	}
}

func TestAccountCreateRenameAndMissing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a, created, err := s.PutAccount(ctx, 100, "Acme")
		if err != nil || !created || a.ID != 100 || a.Name != "Acme" {
			t.Fatalf("create = %+v, %v, %v", a, created, err)
		}
		a, created, err = s.PutAccount(ctx, 100, "Acme Corp")
		if err != nil || created || a.Name != "Acme Corp" {
			t.Fatalf("rename = %+v, %v, %v", a, created, err)
		}
		if _, err := s.Account(ctx, 101); !errors.Is(err, herald.ErrNotFound) {
			t.Errorf("missing account: err = %v, want not found", err)
		}
		if err := s.PutCompany(ctx, 101, herald.Company{}); !errors.Is(err, herald.ErrNotFound) {
			t.Errorf("company of missing account: err = %v", err)
		}
		if err := s.PutSettings(ctx, 101, herald.DefaultSettings()); !errors.Is(err, herald.ErrNotFound) {
			t.Errorf("settings of missing account: err = %v", err)
		}
	})
}

func TestCompanyAndSettingsRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if _, _, err := s.PutAccount(ctx, 7, "Acme"); err != nil {
			t.Fatal(err)
		}
		c, err := s.Company(ctx, 7)
		if err != nil || c.PrimaryContact != nil {
			t.Fatalf("fresh company = %+v, %v", c, err)
		}
		want := herald.Company{PrimaryContact: &herald.Contact{Name: "Ann Lee", Email: "ann@acme.test"}}
		if err := s.PutCompany(ctx, 7, want); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Company(ctx, 7); !cmp.Equal(got, want) {
			t.Errorf("company = %+v", got.PrimaryContact)
		}

		st, err := s.Settings(ctx, 7)
		if err != nil || !cmp.Equal(st, herald.DefaultSettings()) {
			t.Fatalf("fresh settings = %+v, %v", st, err)
		}
		st.WebhookURL = "https://hooks.acme.test/in?token=s3cret"
		st.Events[herald.RunFailed] = herald.EventSettings{SendWebhook: true, EmailSubscribers: []string{"oncall@acme.test", "dev@acme.test"}}
		if err := s.PutSettings(ctx, 7, st); err != nil {
			t.Fatal(err)
		}
		got, err := s.Settings(ctx, 7)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(st, got); diff != "" {
			t.Errorf("settings (-want +got):\n%s", diff)
		}
		r, err := s.Recipients(ctx, 7)
		if err != nil || r.Account.Name != "Acme" || !cmp.Equal(r.Company, want) || !cmp.Equal(r.Settings, st) {
			t.Errorf("recipients = %+v, %v", r, err)
		}
	})
}

func TestAPIKeys(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		s.PutAccount(ctx, 1, "A")
		now := time.Now().UTC().Truncate(time.Millisecond)
		k := herald.APIKey{ID: herald.NewID("key_", now), AccountID: 1, Name: "ci", Prefix: "hk_abcd", CreatedAt: now}
		if err := s.CreateAPIKey(ctx, k, "hash1"); err != nil {
			t.Fatal(err)
		}
		got, err := s.APIKeyByHash(ctx, "hash1")
		if err != nil || !cmp.Equal(got, k) {
			t.Fatalf("by hash = %+v, %v", got, err)
		}
		if _, err := s.APIKeyByHash(ctx, "hash2"); !errors.Is(err, herald.ErrNotFound) {
			t.Errorf("unknown hash: %v", err)
		}
		if err := s.CreateAPIKey(ctx, herald.APIKey{ID: "key_other", AccountID: 1, Name: "dup"}, "hash1"); err == nil {
			t.Errorf("duplicate hash accepted")
		}
		if keys, _ := s.APIKeys(ctx, 1); len(keys) != 1 {
			t.Errorf("keys = %v", keys)
		}
		if err := s.DeleteAPIKey(ctx, 2, k.ID); !errors.Is(err, herald.ErrNotFound) {
			t.Errorf("deleting through another account: %v", err)
		}
		if err := s.DeleteAPIKey(ctx, 1, k.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.APIKeyByHash(ctx, "hash1"); !errors.Is(err, herald.ErrNotFound) {
			t.Errorf("deleted key still found: %v", err)
		}
	})
}

func TestPlatformTokenIsGeneratedOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		first, err := s.InitPlatformToken(ctx, "h1")
		if err != nil || !first {
			t.Fatalf("first init = %v, %v", first, err)
		}
		again, err := s.InitPlatformToken(ctx, "h2")
		if err != nil || again {
			t.Fatalf("second init = %v, %v", again, err)
		}
		hashes, err := s.PlatformTokenHashes(ctx)
		if err != nil || !cmp.Equal(hashes, []string{"h1"}) {
			t.Errorf("hashes = %v, %v", hashes, err)
		}
	})
}

func newEvent(account int64, key string, now time.Time) (herald.Event, []herald.Delivery) {
	ev := herald.Event{
		ID: herald.NewID("evt_", now), AccountID: account, Key: herald.RunFailed, IdempotencyKey: key,
		Fingerprint: "fp", OccurredAt: now, Payload: []byte("{\n  \"a\": 1\n}"), CreatedAt: now,
	}
	var ds []herald.Delivery
	for _, target := range []string{"https://h.test/x?t=1", "z@acme.test", "a@acme.test"} {
		ch := herald.ChannelEmail
		if target[0] == 'h' {
			ch = herald.ChannelWebhook
		}
		ds = append(ds, herald.Delivery{ID: herald.NewID("dlv_", now), EventID: ev.ID, AccountID: account, EventKey: ev.Key,
			Channel: ch, Target: target, Status: herald.StatusPending, CreatedAt: now})
	}
	return ev, ds
}

func TestInsertEventKeepsPayloadAndPlannedOrder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		s.PutAccount(ctx, 1, "A")
		now := time.Now().UTC().Truncate(time.Millisecond)
		ev, ds := newEvent(1, "", now)
		got, gds, created, err := s.InsertEvent(ctx, ev, ds)
		if err != nil || !created {
			t.Fatalf("insert = %v, %v", created, err)
		}
		stored, err := s.Event(ctx, got.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(ev, stored); diff != "" {
			t.Errorf("stored event (-want +got):\n%s", diff)
		}
		sds, err := s.EventDeliveries(ctx, ev.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(gds, sds); diff != "" {
			t.Errorf("stored deliveries (-want +got):\n%s", diff)
		}
		// Events without a key are never deduplicated.
		ev2, ds2 := newEvent(1, "", now)
		if _, _, created, err := s.InsertEvent(ctx, ev2, ds2); err != nil || !created {
			t.Errorf("second keyless insert = %v, %v", created, err)
		}
	})
}

func TestInsertEventIdempotencyKey(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		s.PutAccount(ctx, 1, "A")
		s.PutAccount(ctx, 2, "B")
		now := time.Now().UTC().Truncate(time.Millisecond)
		first, fds := newEvent(1, "k", now)
		if _, _, created, err := s.InsertEvent(ctx, first, fds); err != nil || !created {
			t.Fatalf("first = %v, %v", created, err)
		}
		again, ads := newEvent(1, "k", now.Add(time.Second))
		got, gds, created, err := s.InsertEvent(ctx, again, ads)
		if err != nil || created {
			t.Fatalf("repeat = %v, %v", created, err)
		}
		if got.ID != first.ID || len(gds) != 3 || gds[0].ID != fds[0].ID {
			t.Errorf("repeat returned %s with %v, want the first event", got.ID, gds)
		}
		if _, err := s.Event(ctx, again.ID); !errors.Is(err, herald.ErrNotFound) {
			t.Errorf("repeat stored an event: %v", err)
		}
		// The same key on another account is another event.
		other, ods := newEvent(2, "k", now)
		if _, _, created, err := s.InsertEvent(ctx, other, ods); err != nil || !created {
			t.Errorf("other account = %v, %v", created, err)
		}
	})
}

func TestInsertEventConcurrentSameKeyStoresOne(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		s.PutAccount(ctx, 1, "A")
		var wg sync.WaitGroup
		ids := make([]string, 16)
		createdCount := 0
		var mu sync.Mutex
		for i := range ids {
			wg.Go(func() {
				ev, ds := newEvent(1, "same", time.Now())
				got, _, created, err := s.InsertEvent(ctx, ev, ds)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				ids[i] = got.ID
				if created {
					createdCount++
				}
			})
		}
		wg.Wait()
		if createdCount != 1 {
			t.Errorf("%d inserts created an event, want 1", createdCount)
		}
		for _, id := range ids {
			if id != ids[0] {
				t.Errorf("answers name different events: %v", ids)
				break
			}
		}
		evs, err := s.Events(ctx, 1, "", 100)
		if err != nil || len(evs) != 1 {
			t.Errorf("events = %d, %v", len(evs), err)
		}
	})
}

func TestEventsPageNewestFirst(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		s.PutAccount(ctx, 1, "A")
		base := time.Now()
		var want []string
		for i := range 5 {
			ev, ds := newEvent(1, "", base.Add(time.Duration(i)*time.Millisecond))
			s.InsertEvent(ctx, ev, ds)
			want = append([]string{ev.ID}, want...)
		}
		var got []string
		after := ""
		for {
			page, err := s.Events(ctx, 1, after, 2)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			for _, ev := range page {
				got = append(got, ev.ID)
			}
			after = page[len(page)-1].ID
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("ids (-want +got):\n%s", diff)
		}
	})
}
