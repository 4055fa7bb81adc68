package store_test

import (
	"context"
	"testing"
	"time"

	"herald"
	"herald/store"
	"herald/store/storetest"
)

// TestClaimGivesEachWebhookItsAccountsKeys: one claim over several
// accounts reads their keys in one query; each webhook job carries its own
// account's current keys, an unsigned account's none, and emails none.
func TestClaimGivesEachWebhookItsAccountsKeys(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Millisecond)
		keys := map[int64]herald.SigningKey{}
		for _, id := range []int64{1, 2, 3} {
			s.PutAccount(ctx, id, "A")
			if id != 3 {
				k := herald.NewSigningKey(id, herald.SigningHMAC, now)
				if err := s.ChangeSigning(ctx, id, &k, now, now); err != nil {
					t.Fatal(err)
				}
				keys[id] = k
			}
			ev, ds := newEvent(id, "", now)
			if _, _, _, err := s.InsertEvent(ctx, ev, ds); err != nil {
				t.Fatal(err)
			}
		}
		jobs, err := s.Claim(ctx, store.ClaimRequest{Owner: "w", Now: now, Lease: time.Minute, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		webhooks := 0
		for _, j := range jobs {
			want, signed := keys[j.Delivery.AccountID]
			switch {
			case j.Delivery.Channel != herald.ChannelWebhook || !signed:
				if len(j.Signing) != 0 {
					t.Errorf("%s job of account %d carries %d keys, want none", j.Delivery.Channel, j.Delivery.AccountID, len(j.Signing))
				}
			case len(j.Signing) != 1 || j.Signing[0].ID != want.ID || string(j.Signing[0].Secret) != string(want.Secret):
				t.Errorf("webhook of account %d carries %+v, want its key %s", j.Delivery.AccountID, j.Signing, want.ID)
			}
			if j.Delivery.Channel == herald.ChannelWebhook {
				webhooks++
			}
		}
		if len(jobs) != 9 || webhooks != 3 {
			t.Errorf("claimed %d jobs, %d webhooks; want 9 and 3", len(jobs), webhooks)
		}
	})
}
