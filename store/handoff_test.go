package store_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"herald"
	"herald/store"
	"herald/store/storetest"
)

// TestHandedJobsAreWhatAClaimReads: Insert with a Handoff writes the
// event's due deliveries leased to the worker and returns them as the jobs
// a claim of the same rows reads (payload, targets, the account's name,
// contact, retry setting and signing keys), a delivery due later aside.
// Leased, the rows are not claimable; released (their worker died or
// stopped), they are.
func TestHandedJobsAreWhatAClaimReads(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Millisecond)
		s.PutAccount(ctx, 1, "Acme")
		if err := s.PutCompany(ctx, 1, herald.Company{PrimaryContact: &herald.Contact{Name: "Ann", Email: "z@acme.test"}}); err != nil {
			t.Fatal(err)
		}
		st := herald.DefaultSettings()
		st.WebhookURL, st.RetryFailedWebhooks = "https://h.test/x?t=1", true
		if err := s.PutSettings(ctx, 1, st); err != nil {
			t.Fatal(err)
		}
		for _, scheme := range []herald.SigningScheme{herald.SigningHMAC, herald.SigningEd25519} { // an overlap: two keys
			k := herald.NewSigningKey(1, scheme, now)
			if err := s.ChangeSigning(ctx, 1, &k, now.Add(time.Hour), now); err != nil {
				t.Fatal(err)
			}
		}
		r, err := s.CachedRecipients(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		ev, ds := newEvent(1, "", now)
		later := ds[2]
		later.ID, later.Target, later.NextAttemptAt = herald.NewID("dlv_", now), "later@acme.test", now.Add(time.Hour)
		ds = append(ds, later)

		in, err := s.Insert(ctx, r, ev, ds, &store.Handoff{Owner: "w1", Until: now.Add(time.Minute)})
		if err != nil || !in.Created {
			t.Fatalf("insert = %v, %v", in.Created, err)
		}
		claim := func(owner string) []store.Job {
			t.Helper()
			jobs, err := s.Claim(ctx, store.ClaimRequest{Owner: owner, Now: now, Lease: time.Minute, Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			return jobs
		}
		if len(in.Jobs) != 3 {
			t.Fatalf("handed %d jobs over, want the 3 due now", len(in.Jobs))
		}
		if got := claim("w2"); len(got) != 0 {
			t.Fatalf("claimed %d handed-over deliveries", len(got))
		}
		if _, err := s.Unregister(ctx, "w1", now); err != nil {
			t.Fatal(err)
		}
		claimed := claim("w2")
		for _, j := range claimed {
			if j.Delivery.Channel == herald.ChannelWebhook && len(j.Signing) != 2 {
				t.Fatalf("the claimed webhook carries %d keys, want both", len(j.Signing))
			}
		}
		for _, jobs := range [][]store.Job{in.Jobs, claimed} {
			slices.SortFunc(jobs, func(a, b store.Job) int { return strings.Compare(a.Delivery.ID, b.Delivery.ID) })
			for i := range jobs {
				jobs[i].LeaseUntil = time.Time{}
			}
		}
		if diff := cmp.Diff(claimed, in.Jobs); diff != "" {
			t.Errorf("handed-over jobs differ from the claim's (-claimed +handed):\n%s", diff)
		}
	})
}
