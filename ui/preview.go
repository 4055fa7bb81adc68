package ui

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"herald"
	"herald/catalog"
	"herald/dispatch"
	"herald/email"
)

// previewCopy is one recipient's copy of an event's email, as the
// preview page shows it.
type previewCopy struct {
	Slug    string // "contact" or "subscriber": the HTML part's path
	Heading string
	Note    string
	Message email.Message
	Headers [][2]string
}

type previewData struct {
	Key    herald.EventKey
	Name   string
	Copies []previewCopy
}

// previewCopies renders what the primary contact and a subscriber receive
// for event on v's account, as the worker renders it (the same Renderer,
// the same links), from the event's example data with the account's id and
// name. Nothing is stored: the subscriber's unsubscribe link carries an
// example token, not a real one.
func (s *server) previewCopies(r *http.Request, v *view, ev *catalog.Event) ([]previewCopy, error) {
	st, err := s.store.Settings(r.Context(), v.account.ID)
	if err != nil {
		return nil, err
	}
	c, err := s.store.Company(r.Context(), v.account.ID)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC().Truncate(time.Second)
	n := email.Notification{EventKey: ev.Key, AccountName: v.account.Name, DeliveryID: "dlv_preview",
		Payload: s.cfg.Builder.Payload(ev, v.account.ID, v.account.Name, now, ev.ExampleData())}

	contact, contactNote := "primary-contact@example.com", "No primary contact is set yet: set one in the Company tab."
	if pc := c.PrimaryContact; pc != nil && pc.Email != "" {
		contact, contactNote = pc.Email, "The primary contact receives every event; they cannot unsubscribe."
	}
	subscriber, subscriberNote := "subscriber@example.com", "This event has no subscribers yet; this is what they would receive."
	if subs := st.Events[ev.Key].EmailSubscribers; len(subs) > 0 {
		subscriber = subs[0]
		subscriberNote = fmt.Sprintf("Each of the %d subscribers gets a copy of their own, with their own unsubscribe link.", len(subs))
	}

	type recipient struct{ slug, heading, to, note string }
	recipients := []recipient{
		{"contact", "Primary contact", contact, contactNote},
		{"subscriber", "Subscribers", subscriber, subscriberNote},
	}
	// With a digest window, the first email of a burst goes as above and
	// the rest of the window as one digest: show that too, with three
	// events a minute apart.
	var payloads [][]byte
	if m := st.Events[ev.Key].EmailDigestMinutes; m > 0 {
		for i := range 3 {
			payloads = append(payloads, s.cfg.Builder.Payload(ev, v.account.ID, v.account.Name, now.Add(time.Duration(i)*time.Minute), ev.ExampleData()))
		}
		note := fmt.Sprintf("Digests are on for this event: after the first email, the rest of the next %d minutes' events arrive as one email like this.", m)
		recipients = append(recipients,
			recipient{"contact-digest", "Primary contact, digest", contact, note},
			recipient{"subscriber-digest", "Subscribers, digest", subscriber, note})
	}

	var copies []previewCopy
	for _, p := range recipients {
		n := n
		if s.cfg.PublicURL != "" {
			if strings.HasPrefix(p.slug, "contact") {
				n.SettingsURL = dispatch.SettingsURL(s.cfg.PublicURL, v.account.ID)
			} else {
				n.UnsubscribeURL = dispatch.UnsubscribeURL(s.cfg.PublicURL, herald.UnsubscribeTokenPrefix+"example")
			}
		}
		var m email.Message
		var err error
		if strings.HasSuffix(p.slug, "-digest") {
			m, err = s.cfg.Renderer.RenderDigest(email.Digest{Notification: n, Payloads: payloads}, p.to, now)
		} else {
			m, err = s.cfg.Renderer.Render(n, p.to, now)
		}
		if err != nil {
			return nil, err
		}
		h := [][2]string{{"From", m.From}, {"To", m.To}, {"Subject", m.Subject}}
		for _, k := range slices.Sorted(maps.Keys(m.Headers)) {
			if k != "X-Herald-Delivery" {
				h = append(h, [2]string{k, m.Headers[k]})
			}
		}
		copies = append(copies, previewCopy{Slug: p.slug, Heading: p.heading, Note: p.note, Message: m, Headers: h})
	}
	return copies, nil
}

// preview finds the path's event and renders its copies, answering
// itself (404, or 500) when it cannot.
func (s *server) preview(w http.ResponseWriter, r *http.Request, v *view) (*catalog.Event, []previewCopy, bool) {
	ev := catalog.ByKey(herald.EventKey(r.PathValue("event")))
	if ev == nil || s.cfg.Renderer == nil || s.cfg.Builder == nil {
		s.refuse(w, r, v, http.StatusNotFound, "There is no such email to preview.")
		return nil, nil, false
	}
	copies, err := s.previewCopies(r, v, ev)
	if err != nil {
		s.fail(w, r, err)
		return nil, nil, false
	}
	return ev, copies, true
}

// previewPage shows an event's email for each kind of recipient: the
// headers, the HTML part (framed from previewHTML) and the text part.
func (s *server) previewPage(w http.ResponseWriter, r *http.Request, v *view) {
	ev, copies, ok := s.preview(w, r, v)
	if !ok {
		return
	}
	d := s.base(v, "notifications", "Email preview: "+ev.Name)
	d.Body = previewData{Key: ev.Key, Name: ev.Name, Copies: copies}
	s.render(w, r, http.StatusOK, "preview.html", d)
}

// previewHTML serves one copy's HTML part on its own, for the preview
// page's frame, under a policy that lets it do nothing but show itself:
// inline styles (all an email has), no scripts, no requests, framed only
// by these pages.
func (s *server) previewHTML(w http.ResponseWriter, r *http.Request, v *view) {
	_, copies, ok := s.preview(w, r, v)
	if !ok {
		return
	}
	for _, c := range copies {
		if c.Slug == r.PathValue("copy") {
			w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; sandbox")
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write([]byte(c.Message.HTML))
			return
		}
	}
	s.refuse(w, r, v, http.StatusNotFound, "There is no such email to preview.")
}
