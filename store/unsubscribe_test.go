package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"herald"
	"herald/store"
	"herald/store/storetest"
)

func TestUnsubscribeRemovesOnlyThatSubscriber(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		mustAccount(t, s, 100)
		mustAccount(t, s, 200)
		st := herald.DefaultSettings()
		st.WebhookURL = "https://hooks.acme.test/in"
		st.Events[herald.RunFailed] = herald.EventSettings{SendWebhook: true, EmailSubscribers: []string{"OnCall@acme.test", "dev@acme.test"}}
		st.Events[herald.TenantCreated] = herald.EventSettings{EmailSubscribers: []string{"oncall@acme.test"}}
		for _, id := range []int64{100, 200} {
			if err := s.PutSettings(ctx, id, st); err != nil {
				t.Fatal(err)
			}
		}

		// One token per address, event and account; the same each time;
		// unguessable (a prefix and 256 bits) and stored only hashed.
		tok, err := s.UnsubscribeToken(ctx, 100, herald.RunFailed, "OnCall@acme.test")
		if err != nil {
			t.Fatal(err)
		}
		again, _ := s.UnsubscribeToken(ctx, 100, herald.RunFailed, "oncall@acme.test")
		other := map[string]bool{}
		for _, x := range []struct {
			acc int64
			k   herald.EventKey
			a   string
		}{{200, herald.RunFailed, "oncall@acme.test"}, {100, herald.TenantCreated, "oncall@acme.test"}, {100, herald.RunFailed, "dev@acme.test"}} {
			o, err := s.UnsubscribeToken(ctx, x.acc, x.k, x.a)
			if err != nil {
				t.Fatal(err)
			}
			other[o] = true
		}
		if tok != again || other[tok] || len(other) != 3 || !strings.HasPrefix(tok, "hu_") || len(tok) != 3+52 {
			t.Fatalf("tokens: %q, again %q, others %v", tok, again, other)
		}

		u, err := s.Unsubscription(ctx, tok)
		want := store.Unsubscription{AccountID: 100, EventKey: herald.RunFailed, Email: "OnCall@acme.test", CreatedAt: u.CreatedAt}
		if diff := cmp.Diff(want, u); err != nil || diff != "" {
			t.Errorf("Unsubscription: %v (-want +got)\n%s", err, diff)
		}
		for _, bad := range []string{"", "hu_nope", tok + "x", strings.ToUpper(tok)} {
			if _, err := s.Unsubscription(ctx, bad); !errors.Is(err, herald.ErrNotFound) {
				t.Errorf("Unsubscription(%q) = %v, want not found", bad, err)
			}
			if _, _, err := s.Unsubscribe(ctx, bad, t0); !errors.Is(err, herald.ErrNotFound) {
				t.Errorf("Unsubscribe(%q) = %v, want not found", bad, err)
			}
		}

		u, removed, err := s.Unsubscribe(ctx, tok, t0)
		if err != nil || !removed || !u.UnsubscribedAt.Equal(t0) {
			t.Fatalf("Unsubscribe = %+v, %v, %v", u, removed, err)
		}
		got, _ := s.Settings(ctx, 100)
		wantSt := herald.DefaultSettings()
		wantSt.WebhookURL = st.WebhookURL
		wantSt.Events[herald.RunFailed] = herald.EventSettings{SendWebhook: true, EmailSubscribers: []string{"dev@acme.test"}}
		wantSt.Events[herald.TenantCreated] = st.Events[herald.TenantCreated]
		if diff := cmp.Diff(wantSt, got); diff != "" {
			t.Errorf("settings after unsubscribing (-want +got)\n%s", diff)
		}
		if got, _ := s.Settings(ctx, 200); !cmp.Equal(st, got) {
			t.Errorf("another account's settings changed: %+v", got)
		}

		// Again: nothing left to remove, still fine.
		if _, removed, err := s.Unsubscribe(ctx, tok, t0.Add(time.Hour)); err != nil || removed {
			t.Errorf("second Unsubscribe: removed %v, %v", removed, err)
		}
		list, err := s.Unsubscriptions(ctx, 100)
		if err != nil || len(list) != 1 || list[0].Email != "OnCall@acme.test" || !list[0].UnsubscribedAt.Equal(t0) {
			t.Errorf("Unsubscriptions = %+v, %v", list, err)
		}
		if list, _ := s.Unsubscriptions(ctx, 200); len(list) != 0 {
			t.Errorf("account 200 Unsubscriptions = %+v", list)
		}
	})
}
