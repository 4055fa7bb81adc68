package ui

import (
	"context"
	"net/http"
	"net/mail"
	"slices"
	"strings"
	"testing"

	"herald"
)

const runFailedData = `{"run_id": 9876, "tenant_id": 789, "tenant_name": "Widget Co", "integration_id": 42, "integration_name": "Shopify Integration"}`

// outboxTo returns account 1's outbox messages, parsed, by recipient.
func (e *env) outboxTo(t *testing.T) map[string][]*mail.Message {
	t.Helper()
	ms, err := e.st.Outbox(context.Background(), 1, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]*mail.Message{}
	for _, m := range ms {
		if m, err = e.st.OutboxMessage(context.Background(), m.ID); err != nil {
			t.Fatal(err)
		}
		msg, err := mail.ReadMessage(strings.NewReader(m.Message))
		if err != nil {
			t.Fatal(err)
		}
		out[m.Recipient] = append(out[m.Recipient], msg)
	}
	return out
}

// TestUnsubscribeOneClick follows a subscriber's unsubscribe link from
// the raw message's List-Unsubscribe header the way a mail client does
// (RFC 8058: a POST of List-Unsubscribe=One-Click, no cookies): the
// subscriber leaves that event's subscribers and nothing else changes, the
// next event is not emailed to them, and the tab says who left and when.
func TestUnsubscribeOneClick(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		st := herald.DefaultSettings()
		st.Events[herald.RunFailed] = herald.EventSettings{EmailSubscribers: []string{"oncall@acme.test", "dev@acme.test"}}
		st.Events[herald.TenantCreated] = herald.EventSettings{EmailSubscribers: []string{"oncall@acme.test"}}
		for _, id := range []int64{1, 2} {
			if err := e.st.PutSettings(ctx, id, st); err != nil {
				t.Fatal(err)
			}
		}
		e.ingest(t, "run_failed", runFailedData)
		e.deliverAll(t)

		got := e.outboxTo(t)
		ann, oncall := got["ann@acme.test"], got["oncall@acme.test"]
		if len(ann) != 1 || len(oncall) != 1 || len(got["dev@acme.test"]) != 1 {
			t.Fatalf("outbox by recipient: %v", got)
		}
		for who, m := range map[string]*mail.Message{"ann": ann[0], "oncall": oncall[0]} {
			if id := m.Header.Get("List-Id"); id != "<run_failed.1.herald>" {
				t.Errorf("%s: List-Id = %q", who, id)
			}
		}
		// The primary contact gets everything: no way to unsubscribe.
		if h := ann[0].Header.Get("List-Unsubscribe"); h != "" {
			t.Errorf("primary contact's List-Unsubscribe = %q, want none", h)
		}
		if p := oncall[0].Header.Get("List-Unsubscribe-Post"); p != "List-Unsubscribe=One-Click" {
			t.Errorf("List-Unsubscribe-Post = %q", p)
		}
		link := strings.Trim(oncall[0].Header.Get("List-Unsubscribe"), "<>")
		path, ok := strings.CutPrefix(link, e.url+"/unsubscribe/hu_")
		if !ok || len(path) != 52 {
			t.Fatalf("List-Unsubscribe = %q, want %s/unsubscribe/hu_ and a token", link, e.url)
		}

		// A GET (a mail scanner) only shows the button.
		anon := e.browser()
		page := anon.get(strings.TrimPrefix(link, e.url)).must(t, http.StatusOK)
		if !strings.Contains(page.body, `action="/unsubscribe/hu_`+path+`"`) || !strings.Contains(page.body, "oncall@acme.test") {
			t.Errorf("confirmation page:\n%s", page.body)
		}
		if subs := e.settings(1).Events[herald.RunFailed].EmailSubscribers; len(subs) != 2 {
			t.Fatalf("a GET changed the subscribers: %v", subs)
		}

		// The one-click POST, as a mail client sends it.
		res, err := http.Post(link, "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("one-click POST: %d", res.StatusCode)
		}
		want := herald.DefaultSettings()
		want.Events[herald.RunFailed] = herald.EventSettings{EmailSubscribers: []string{"dev@acme.test"}}
		want.Events[herald.TenantCreated] = st.Events[herald.TenantCreated]
		for id, w := range map[int64]herald.Settings{1: want, 2: st} {
			for k, es := range w.Events {
				if got := e.settings(id).Events[k]; !slices.Equal(got.EmailSubscribers, es.EmailSubscribers) {
					t.Errorf("account %d %s subscribers = %v, want %v", id, k, got.EmailSubscribers, es.EmailSubscribers)
				}
			}
		}

		// The next event reaches the others, not them.
		e.ingest(t, "run_failed", runFailedData)
		e.deliverAll(t)
		got = e.outboxTo(t)
		if len(got["ann@acme.test"]) != 2 || len(got["dev@acme.test"]) != 2 || len(got["oncall@acme.test"]) != 1 {
			t.Errorf("after unsubscribing: ann %d, dev %d, oncall %d emails; want 2, 2, 1",
				len(got["ann@acme.test"]), len(got["dev@acme.test"]), len(got["oncall@acme.test"]))
		}

		// The link again: still fine, nothing left to remove.
		again := anon.post(strings.TrimPrefix(link, e.url), nil).must(t, http.StatusOK)
		if !strings.Contains(again.body, "nothing to remove") {
			t.Errorf("second POST page:\n%s", again.body)
		}

		// Unknown or altered tokens are 404, by GET and POST.
		altered := "b"
		if path[0] == 'b' {
			altered = "c"
		}
		for _, p := range []string{"/unsubscribe/hu_" + altered + path[1:], "/unsubscribe/nope"} {
			anon.get(p).must(t, http.StatusNotFound)
			anon.post(p, nil).must(t, http.StatusNotFound)
		}

		// The tab says who unsubscribed.
		admin := e.browser()
		admin.signedIn("admin@acme.test")
		tab := admin.get("/accounts/1/notifications").must(t, http.StatusOK)
		i := strings.Index(tab.body, `id="unsubscribed"`)
		if i < 0 || !strings.Contains(tab.body[i:], "oncall@acme.test") || !strings.Contains(tab.body[i:], "Run Failed") {
			t.Errorf("the tab does not show the unsubscribe:\n%s", tab.body)
		}
		admin2 := e.browser()
		admin2.signedIn("admin@globex.test")
		if strings.Contains(admin2.get("/accounts/2/notifications").must(t, http.StatusOK).body, `id="unsubscribed"`) {
			t.Error("account 2's tab shows account 1's unsubscribe")
		}
	})
}
