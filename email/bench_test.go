package email

import (
	"context"
	"strconv"
	"testing"
	"time"

	"herald"
)

// BenchmarkEventEmails measures the email path of one realistic event:
// its three copies (the primary contact, two subscribers) rendered,
// composed and, in "send", sent over SMTP to a server on loopback in this
// process (whose work is counted too). Each op is a new event, so the
// shared part is rendered once per op, as in the worker. ns/email is
// ns/op over the three.
//
//	go test -run XXX -bench EventEmails -benchmem ./email/
func BenchmarkEventEmails(b *testing.B) {
	r := newRenderer(b)
	base := specNotification(b, herald.RunFailed)
	copies := []struct {
		to string
		n  Notification
	}{{"ann@acme.test", base}, {"oncall@acme.test", base}, {"ops@acme.test", base}}
	copies[0].n.SettingsURL = "https://herald.example.com/accounts/100/notifications"
	copies[1].n.UnsubscribeURL = "https://herald.example.com/unsubscribe/hu_ONE0123456789abcdefghij"
	copies[2].n.UnsubscribeURL = "https://herald.example.com/unsubscribe/hu_TWO0123456789abcdefghij"

	// event renders the copies of the i-th event, and hands each to use.
	event := func(b *testing.B, i int, use func(Message)) {
		for j, c := range copies {
			c.n.AccountName = "Acme Corp " + strconv.Itoa(i) // a new event: not in the cache
			c.n.DeliveryID = "dlv_" + strconv.Itoa(i) + "_" + strconv.Itoa(j)
			m, err := r.Render(c.n, c.to, testNow)
			if err != nil {
				b.Fatal(err)
			}
			use(m)
		}
	}
	run := func(b *testing.B, use func(Message)) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			event(b, i, use)
			i++
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(3*i), "ns/email")
	}

	b.Run("render", func(b *testing.B) { run(b, func(Message) {}) })
	b.Run("compose", func(b *testing.B) {
		run(b, func(m Message) {
			if _, err := m.Bytes(); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("send", func(b *testing.B) {
		srv := &server{discard: true}
		srv.start(b)
		s := newSMTP(b, "smtp://"+srv.addr)
		defer s.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		run(b, func(m Message) {
			if err := s.Send(ctx, m); err != nil {
				b.Fatal(err)
			}
		})
	})
}
