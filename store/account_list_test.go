package store_test

import (
	"context"
	"slices"
	"testing"

	"herald"
	"herald/store"
	"herald/store/storetest"
)

// The operators' account list: ascending ids; a search matches a
// case-insensitive substring of the id, name or contact email, with LIKE's
// wildcards taken literally; a state filter; cursor paging.
func TestAccountsSearchFilterAndPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		accounts := []struct {
			id            int64
			name, contact string
			url           string
		}{
			{7, "Acme Corp", "ann@acme.test", "https://hooks.acme.test/in"},
			{12, "Beta 100% Ltd", "", ""},
			{120, "Gamma_Co", "OPS@Gamma.test", "https://hooks.gamma.test/"},
			{300, "Delta", "dee@delta.test", ""},
		}
		for _, a := range accounts {
			if _, _, err := s.PutAccount(ctx, a.id, a.name); err != nil {
				t.Fatal(err)
			}
			if a.contact != "" {
				if err := s.PutCompany(ctx, a.id, herald.Company{PrimaryContact: &herald.Contact{Name: "X", Email: a.contact}}); err != nil {
					t.Fatal(err)
				}
			}
			st := herald.DefaultSettings()
			st.WebhookURL = a.url
			if err := s.PutSettings(ctx, a.id, st); err != nil {
				t.Fatal(err)
			}
		}
		tests := []struct {
			name string
			f    store.AccountFilter
			want []int64
		}{
			{"all, ascending", store.AccountFilter{}, []int64{7, 12, 120, 300}},
			{"id substring", store.AccountFilter{Query: "12"}, []int64{12, 120}},
			{"name, any case", store.AccountFilter{Query: "aCmE"}, []int64{7}},
			{"contact email, any case", store.AccountFilter{Query: "ops@gamma"}, []int64{120}},
			{"percent is literal", store.AccountFilter{Query: "100%"}, []int64{12}},
			{"underscore is literal", store.AccountFilter{Query: "a_c"}, []int64{120}},
			{"no match", store.AccountFilter{Query: "zzz"}, nil},
			{"no webhook URL", store.AccountFilter{State: "none"}, []int64{12, 300}},
			{"healthy", store.AccountFilter{State: "healthy"}, []int64{7, 120}},
			{"search and state", store.AccountFilter{Query: "e", State: "none"}, []int64{12, 300}},
			{"after a cursor", store.AccountFilter{After: 12}, []int64{120, 300}},
			{"limited", store.AccountFilter{Limit: 2}, []int64{7, 12}},
		}
		for _, tt := range tests {
			if tt.f.Limit == 0 {
				tt.f.Limit = 100
			}
			got, err := s.Accounts(ctx, tt.f)
			if err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			var ids []int64
			for _, a := range got {
				ids = append(ids, a.Account.ID)
			}
			if !slices.Equal(ids, tt.want) {
				t.Errorf("%s: ids %v, want %v", tt.name, ids, tt.want)
			}
		}
		got, err := s.Accounts(ctx, store.AccountFilter{Query: "gamma", Limit: 10})
		if err != nil || len(got) != 1 {
			t.Fatalf("Accounts(gamma) = %v, %v", got, err)
		}
		if a := got[0]; a.Account.Name != "Gamma_Co" || a.PrimaryContact == nil || a.PrimaryContact.Email != "OPS@Gamma.test" ||
			a.WebhookState != "healthy" || a.Account.CreatedAt.IsZero() {
			t.Errorf("Gamma_Co listed as %+v (contact %+v)", a, a.PrimaryContact)
		}
		if got, _ := s.Accounts(ctx, store.AccountFilter{Query: "beta", Limit: 10}); len(got) != 1 || got[0].PrimaryContact != nil || got[0].WebhookState != "none" {
			t.Errorf("Beta listed as %+v, want no contact and state none", got)
		}
	})
}
