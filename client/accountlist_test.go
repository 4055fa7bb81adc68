package client_test

import (
	"context"
	"testing"

	"herald/client"
)

func TestAccountList(t *testing.T) {
	eachEngine(t, func(t *testing.T, base string) {
		ctx := context.Background()
		c := client.New(base, token, client.WithHTTPClient(checked(t)))
		for _, a := range []struct {
			id   int64
			name string
		}{{100, "Acme Corp"}, {101, "Globex"}, {102, "Acme Labs"}} {
			if _, _, err := c.PutAccount(ctx, a.id, a.name); err != nil {
				t.Fatal(err)
			}
		}
		var ids []int64
		for a, err := range c.AllAccounts(ctx, client.AccountFilter{ListOptions: client.ListOptions{Limit: 2}}) {
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, a.ID)
		}
		if len(ids) != 3 || ids[0] != 100 || ids[2] != 102 {
			t.Errorf("AllAccounts = %v, want 100, 101, 102", ids)
		}
		p, err := c.ListAccounts(ctx, client.AccountFilter{Query: "acme"})
		if err != nil || len(p.Data) != 2 || p.Data[0].WebhookState != "none" {
			t.Fatalf("ListAccounts(acme) = %+v, %v", p, err)
		}
	})
}
