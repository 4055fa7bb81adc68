package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"herald"
	"herald/store"
	"herald/store/storetest"
)

func TestSessionsExpireAndDelete(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		mustAccount(t, s, 100)
		if err := s.CreateUser(ctx, herald.User{ID: "usr_a", Email: "ann@acme.test", AccountID: 100, Role: herald.RoleAdmin}, "h"); err != nil {
			t.Fatal(err)
		}
		user := herald.Session{UserID: "usr_a", AccountID: 100, Role: herald.RoleAdmin, CSRF: "csrf-a", ExpiresAt: t0.Add(time.Hour), CreatedAt: t0}
		portal := herald.Session{AccountID: 100, Role: herald.RoleViewer, CSRF: "csrf-p", ExpiresAt: t0.Add(2 * time.Hour), CreatedAt: t0}
		for hash, sess := range map[string]herald.Session{"h-user": user, "h-portal": portal} {
			if err := s.CreateSession(ctx, hash, sess); err != nil {
				t.Fatalf("CreateSession(%s): %v", hash, err)
			}
		}
		tests := []struct {
			name, hash string
			now        time.Time
			want       *herald.Session // nil: not found
		}{
			{"user session, fresh", "h-user", t0, &user},
			{"user session, a moment before expiry", "h-user", t0.Add(time.Hour - time.Millisecond), &user},
			{"user session, at expiry", "h-user", t0.Add(time.Hour), nil},
			{"portal session has no user", "h-portal", t0.Add(time.Hour), &portal},
			{"portal session, after expiry", "h-portal", t0.Add(3 * time.Hour), nil},
			{"unknown hash", "h-nope", t0, nil},
		}
		for _, tc := range tests {
			got, err := s.Session(ctx, tc.hash, tc.now)
			if tc.want == nil {
				if !errors.Is(err, herald.ErrNotFound) {
					t.Errorf("%s: Session = %+v, %v; want not found", tc.name, got, err)
				}
				continue
			}
			if diff := cmp.Diff(*tc.want, got); err != nil || diff != "" {
				t.Errorf("%s: Session err %v (-want +got):\n%s", tc.name, err, diff)
			}
		}

		// Expired sessions are reclaimed; live ones stay.
		n, err := s.DeleteExpiredSessions(ctx, t0.Add(90*time.Minute))
		if err != nil || n != 1 {
			t.Errorf("DeleteExpiredSessions = %d, %v; want 1", n, err)
		}
		if _, err := s.Session(ctx, "h-portal", t0); err != nil {
			t.Errorf("the live session is gone after DeleteExpiredSessions: %v", err)
		}

		// Signing out ends the session, and doing it again is fine.
		for range 2 {
			if err := s.DeleteSession(ctx, "h-portal"); err != nil {
				t.Fatalf("DeleteSession: %v", err)
			}
		}
		if _, err := s.Session(ctx, "h-portal", t0); !errors.Is(err, herald.ErrNotFound) {
			t.Errorf("Session after DeleteSession: err = %v, want not found", err)
		}
	})
}

func TestSetSessionAccount(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if err := s.CreateUser(ctx, herald.User{ID: "usr_o", Email: "ops@herald.test", Role: herald.RoleOperator}, "h"); err != nil {
			t.Fatal(err)
		}
		sess := herald.Session{UserID: "usr_o", Role: herald.RoleOperator, CSRF: "c", ExpiresAt: t0.Add(time.Hour), CreatedAt: t0}
		if err := s.CreateSession(ctx, "h-op", sess); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Session(ctx, "h-op", t0); err != nil || got.AccountID != 0 {
			t.Fatalf("operator session before switching: %+v, %v; want account 0", got, err)
		}
		for _, id := range []int64{100, 200} {
			if err := s.SetSessionAccount(ctx, "h-op", id); err != nil {
				t.Fatalf("SetSessionAccount(%d): %v", id, err)
			}
			got, err := s.Session(ctx, "h-op", t0)
			sess.AccountID = id
			if diff := cmp.Diff(sess, got); err != nil || diff != "" {
				t.Errorf("after switching to %d: err %v (-want +got):\n%s", id, err, diff)
			}
		}
		if err := s.SetSessionAccount(ctx, "h-nope", 100); !errors.Is(err, herald.ErrNotFound) {
			t.Errorf("SetSessionAccount(unknown): err = %v, want not found", err)
		}
	})
}

func TestCreateSessionNeedsAnExistingUser(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if err := s.CreateSession(ctx, "h", herald.Session{UserID: "usr_missing", Role: herald.RoleOperator, CSRF: "c", ExpiresAt: t0.Add(time.Hour)}); err == nil {
			t.Error("CreateSession for a user that does not exist succeeded")
		}
	})
}
