package store_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"herald"
	"herald/store"
	"herald/store/storetest"
)

// t0 is a fixed clock reading; times round-trip at millisecond precision.
var t0 = time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC)

func mustAccount(t *testing.T, s *store.Store, id int64) {
	t.Helper()
	if _, _, err := s.PutAccount(context.Background(), id, "Acme"); err != nil {
		t.Fatal(err)
	}
}

func TestCreateUserAndLookUp(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		mustAccount(t, s, 100)
		users := []struct {
			u    herald.User
			hash string
		}{
			{herald.User{ID: "usr_a", Email: "  Ann@Acme.Test ", AccountID: 100, Role: herald.RoleAdmin, CreatedAt: t0}, "$argon2id$a"},
			{herald.User{ID: "usr_v", Email: "vic@acme.test", AccountID: 100, Role: herald.RoleViewer, CreatedAt: t0}, "$argon2id$v"},
			{herald.User{ID: "usr_o", Email: "ops@herald.test", Role: herald.RoleOperator, CreatedAt: t0}, "$argon2id$o"},
		}
		if n, err := s.CountUsers(ctx); err != nil || n != 0 {
			t.Fatalf("CountUsers on a fresh store = %d, %v; want 0", n, err)
		}
		for _, tc := range users {
			if err := s.CreateUser(ctx, tc.u, tc.hash); err != nil {
				t.Fatalf("CreateUser(%s): %v", tc.u.ID, err)
			}
		}
		if n, err := s.CountUsers(ctx); err != nil || n != 3 {
			t.Fatalf("CountUsers = %d, %v; want 3", n, err)
		}
		for _, tc := range users {
			want := tc.u
			want.Email = strings.ToLower(strings.TrimSpace(want.Email)) // as stored
			for _, email := range []string{want.Email, "  " + want.Email + "\n", strings.ToUpper(want.Email)} {
				got, hash, err := s.UserByEmail(ctx, email)
				if err != nil {
					t.Fatalf("UserByEmail(%q): %v", email, err)
				}
				if diff := cmp.Diff(want, got); diff != "" || hash != tc.hash {
					t.Errorf("UserByEmail(%q) (-want +got):\n%s hash %q, want %q", email, diff, hash, tc.hash)
				}
			}
			got, err := s.User(ctx, want.ID)
			if diff := cmp.Diff(want, got); err != nil || diff != "" {
				t.Errorf("User(%s): %v (-want +got):\n%s", want.ID, err, diff)
			}
		}
		if _, _, err := s.UserByEmail(ctx, "nobody@acme.test"); !errors.Is(err, herald.ErrNotFound) {
			t.Errorf("UserByEmail(unknown): err = %v, want not found", err)
		}
		if _, err := s.User(ctx, "usr_nobody"); !errors.Is(err, herald.ErrNotFound) {
			t.Errorf("User(unknown): err = %v, want not found", err)
		}
	})
}

func TestCreateUserDuplicateEmailIsConflict(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		mustAccount(t, s, 100)
		if err := s.CreateUser(ctx, herald.User{ID: "usr_1", Email: "ann@acme.test", AccountID: 100, Role: herald.RoleAdmin}, "h"); err != nil {
			t.Fatal(err)
		}
		for _, email := range []string{"ann@acme.test", "ANN@acme.TEST", " ann@acme.test"} {
			err := s.CreateUser(ctx, herald.User{ID: "usr_" + email, Email: email, Role: herald.RoleOperator}, "h")
			e, ok := errors.AsType[*herald.Error](err)
			if !ok || e.Code != herald.CodeConflict || e.Fields["email"] != "is already taken" {
				t.Errorf("CreateUser(%q) again: err = %v, want a conflict naming email", email, err)
			}
		}
		if n, _ := s.CountUsers(ctx); n != 1 {
			t.Errorf("CountUsers = %d after duplicates, want 1", n)
		}
	})
}

func TestCreateUserConcurrentSameEmailStoresOne(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		const n = 8
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				errs[i] = s.CreateUser(ctx, herald.User{ID: "usr_" + string(rune('a'+i)), Email: "admin@localhost", Role: herald.RoleOperator}, "h")
			})
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch herald.ErrorCode(err) {
			case herald.CodeConflict:
			default:
				if err != nil {
					t.Errorf("CreateUser: %v, want success or conflict", err)
					continue
				}
				ok++
			}
		}
		if ok != 1 {
			t.Errorf("%d of %d concurrent CreateUser calls with one email succeeded, want 1", ok, n)
		}
	})
}

func TestCreateUserRejectsInconsistentUsers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		mustAccount(t, s, 100)
		tests := []struct {
			name string
			u    herald.User
			code herald.Code
		}{
			{"unknown role", herald.User{ID: "u1", Email: "a@acme.test", AccountID: 100, Role: "owner"}, herald.CodeInvalid},
			{"admin without account", herald.User{ID: "u2", Email: "b@acme.test", Role: herald.RoleAdmin}, herald.CodeInvalid},
			{"viewer without account", herald.User{ID: "u3", Email: "c@acme.test", Role: herald.RoleViewer}, herald.CodeInvalid},
			{"operator with account", herald.User{ID: "u4", Email: "d@acme.test", AccountID: 100, Role: herald.RoleOperator}, herald.CodeInvalid},
			{"no email", herald.User{ID: "u5", Email: "  ", AccountID: 100, Role: herald.RoleAdmin}, herald.CodeInvalid},
			{"account missing", herald.User{ID: "u6", Email: "f@acme.test", AccountID: 999, Role: herald.RoleAdmin}, herald.CodeNotFound},
		}
		for _, tc := range tests {
			if err := s.CreateUser(ctx, tc.u, "h"); herald.ErrorCode(err) != tc.code {
				t.Errorf("%s: err = %v, want code %s", tc.name, err, tc.code)
			}
		}
		if n, _ := s.CountUsers(ctx); n != 0 {
			t.Errorf("CountUsers = %d after refused creates, want 0", n)
		}
	})
}
