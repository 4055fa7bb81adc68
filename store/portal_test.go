package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"herald"
	"herald/store"
	"herald/store/storetest"
)

// checkGone fails unless err is the 410 of a used, expired or unknown link.
func checkGone(t *testing.T, what string, err error) {
	t.Helper()
	e, ok := errors.AsType[*herald.Error](err)
	if !ok || e.Code != herald.CodeGone || e.Message != "this link was already used or has expired" {
		t.Errorf("%s: err = %v, want gone", what, err)
	}
}

func TestPortalLinkIsUsedOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		mustAccount(t, s, 100)
		for hash, role := range map[string]herald.Role{"h-admin": herald.RoleAdmin, "h-viewer": herald.RoleViewer} {
			if err := s.CreatePortalLink(ctx, hash, 100, role, t0.Add(15*time.Minute), t0); err != nil {
				t.Fatal(err)
			}
			id, got, err := s.UsePortalLink(ctx, hash, t0.Add(time.Minute))
			if err != nil || id != 100 || got != role {
				t.Errorf("first use of %s = %d, %q, %v; want 100, %q", hash, id, got, err, role)
			}
			_, _, err = s.UsePortalLink(ctx, hash, t0.Add(2*time.Minute))
			checkGone(t, "second use of "+hash, err)
		}
		_, _, err := s.UsePortalLink(ctx, "h-unknown", t0)
		checkGone(t, "unknown link", err)
	})
}

func TestPortalLinkExpires(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		mustAccount(t, s, 100)
		expires := t0.Add(15 * time.Minute)
		if err := s.CreatePortalLink(ctx, "h-late", 100, herald.RoleAdmin, expires, t0); err != nil {
			t.Fatal(err)
		}
		_, _, err := s.UsePortalLink(ctx, "h-late", expires)
		checkGone(t, "use at the expiry time", err)
		_, _, err = s.UsePortalLink(ctx, "h-late", expires.Add(time.Hour))
		checkGone(t, "use after expiry", err)

		if err := s.CreatePortalLink(ctx, "h-just", 100, herald.RoleAdmin, expires, t0); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.UsePortalLink(ctx, "h-just", expires.Add(-time.Millisecond)); err != nil {
			t.Errorf("use a moment before expiry: %v", err)
		}
	})
}

func TestPortalLinkRefusesOtherRoles(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		mustAccount(t, s, 100)
		for _, role := range []herald.Role{herald.RoleOperator, "", "owner"} {
			if err := s.CreatePortalLink(context.Background(), "h", 100, role, t0.Add(time.Hour), t0); err == nil {
				t.Errorf("CreatePortalLink with role %q succeeded", role)
			}
		}
	})
}

func TestPortalLinkConcurrentUsesSucceedOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		mustAccount(t, s, 100)
		const links, tries = 5, 8
		for l := range links {
			hash := "h-" + string(rune('a'+l))
			if err := s.CreatePortalLink(ctx, hash, 100, herald.RoleAdmin, t0.Add(time.Hour), t0); err != nil {
				t.Fatal(err)
			}
			errs := make([]error, tries)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range tries {
				wg.Go(func() {
					<-start
					_, _, errs[i] = s.UsePortalLink(ctx, hash, t0.Add(time.Minute))
				})
			}
			close(start)
			wg.Wait()
			ok := 0
			for _, err := range errs {
				if err == nil {
					ok++
				} else if herald.ErrorCode(err) != herald.CodeGone {
					t.Errorf("%s: concurrent use failed with %v, want success or gone", hash, err)
				}
			}
			if ok != 1 {
				t.Errorf("%s: %d of %d concurrent uses succeeded, want exactly 1", hash, ok, tries)
			}
		}
	})
}

func TestDeleteExpiredPortalLinks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		mustAccount(t, s, 100)
		for hash, expires := range map[string]time.Time{"h-old": t0.Add(time.Minute), "h-new": t0.Add(time.Hour)} {
			if err := s.CreatePortalLink(ctx, hash, 100, herald.RoleViewer, expires, t0); err != nil {
				t.Fatal(err)
			}
		}
		n, err := s.DeleteExpiredPortalLinks(ctx, t0.Add(30*time.Minute))
		if err != nil || n != 1 {
			t.Fatalf("deleted %d, %v; want 1", n, err)
		}
		if _, _, err := s.UsePortalLink(ctx, "h-new", t0.Add(31*time.Minute)); err != nil {
			t.Errorf("the live link was deleted: %v", err)
		}
	})
}
