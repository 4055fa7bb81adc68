package email

import (
	"fmt"
	"sync"
	"testing"

	"herald"
)

// An event's copies rendered from the cache are those a renderer that
// never saw the event renders, whichever recipient comes first, and with
// copies rendered at once.
func TestRenderSharedCopies(t *testing.T) {
	t.Parallel()
	r := newRenderer(t)
	for _, k := range herald.EventKeys() {
		n := specNotification(t, k)
		copies := []struct {
			to string
			n  Notification
		}{
			{"ann@acme.test", n},
			{"oncall@acme.test", n},
			{"ops@acme.test", n},
		}
		copies[0].n.SettingsURL = "https://herald.example.com/accounts/100/notifications"
		copies[1].n.UnsubscribeURL = "https://herald.example.com/unsubscribe/hu_one"
		copies[2].n.UnsubscribeURL = "https://herald.example.com/unsubscribe/hu_two"
		for i := range copies {
			copies[i].n.DeliveryID = fmt.Sprintf("dlv_%d", i)
		}
		got := make([]Message, len(copies))
		var wg sync.WaitGroup
		for i, c := range copies {
			wg.Go(func() { got[i] = render(t, r, c.n, c.to) })
		}
		wg.Wait()
		// Again, now from the cache, in the other order.
		for i := len(copies) - 1; i >= 0; i-- {
			c := copies[i]
			want := render(t, newRenderer(t), c.n, c.to)
			for _, m := range []Message{got[i], render(t, r, c.n, c.to)} {
				if m.Text != want.Text || m.HTML != want.HTML || m.Subject != want.Subject || m.To != want.To ||
					m.MessageID != want.MessageID || fmt.Sprint(m.Headers) != fmt.Sprint(want.Headers) {
					t.Errorf("%s to %s: cached copy differs:\n%+v\nwant\n%+v", k, c.to, m, want)
				}
			}
		}
	}
}

// A payload that does not match its event fails for every copy, from the
// cache too.
func TestRenderSharedError(t *testing.T) {
	t.Parallel()
	r := newRenderer(t)
	n := specNotification(t, herald.RunFailed)
	n.Payload = specPayload(t, herald.TenantCreated)
	for range 2 {
		if _, err := r.Render(n, "ann@acme.test", testNow); err == nil {
			t.Fatal("rendered a run_failed email from a tenant_created payload")
		}
	}
}

func TestRenderCacheBounded(t *testing.T) {
	t.Parallel()
	var c renderCache[sharedRender]
	get := func(k herald.EventKey, account string, payload []byte) *sharedRender {
		return c.get(sharedKey(k, account, payload))
	}
	first := get(herald.RunFailed, "Acme", []byte("0"))
	for i := range 3 * renderCacheSize {
		get(herald.RunFailed, "Acme", fmt.Appendf(nil, "%d", i+1))
		if n := len(c.cur) + len(c.prev); n > 2*renderCacheSize {
			t.Fatalf("%d entries", n)
		}
	}
	if get(herald.RunFailed, "Acme", []byte("0")) == first {
		t.Error("the oldest entry was kept")
	}
	last := fmt.Appendf(nil, "%d", 3*renderCacheSize)
	kept := get(herald.RunFailed, "Acme", last)
	if get(herald.RunFailed, "Acme", last) != kept {
		t.Error("a recent entry was not kept")
	}
	if get(herald.RunFailed, "Acme", last) == get(herald.RunFailed, "Acme Corp", last) {
		t.Error("two accounts' names share an entry")
	}
}
