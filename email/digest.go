package email

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"herald"
	"herald/catalog"
)

// Digest is one recipient's digest: every event of one type that an
// account had during a digest window, after the first (which went at
// once), in one email.
type Digest struct {
	// Notification addresses the digest as it would one event's email:
	// its event key, account, delivery (the one that carries the digest,
	// which makes the Message-ID), unsubscribe or settings link. Its
	// Payload is not used.
	Notification
	// Payloads are the events' webhook payloads, in the order accepted.
	Payloads [][]byte
}

// digestItem is one event as a digest lists it: what happened, when and
// its ids on one line, then its links.
type digestItem struct {
	Number  int // from 1
	Summary string
	Facts   string // "2026-05-04 12:03 UTC · Run ID 9877 · ..."
	Links   []row  // the event's links (admin and API), labels padded
}

// digestView is what the digest template sees.
type digestView struct {
	frame
	Title   string // "3 Run Failed events"
	Summary string
	Items   []digestItem
}

// item lays one event's fields out for a digest; its names are in its
// summary already, the account in the digest's heading.
func item(k herald.EventKey, number int, fields []field) digestItem {
	it := digestItem{Number: number, Summary: summary(k, fields)}
	var facts []string
	if at, err := time.Parse(time.RFC3339, get(fields, "timestamp")); err == nil {
		facts = append(facts, at.UTC().Format("2006-01-02 15:04 UTC"))
	}
	var links []field
	for _, f := range fields {
		switch {
		case f.Value == "" || f.Name == "account_id":
		case isLink(f.Value):
			links = append(links, f)
		case strings.HasSuffix(f.Name, "_id"):
			facts = append(facts, keptLabel(f.Name)+" "+f.Value)
		}
	}
	it.Facts = strings.Join(facts, " · ")
	it.Links = rows(links)
	for i := range it.Links {
		// Link text: "API status", not "API status link".
		it.Links[i].Label = strings.TrimSuffix(it.Links[i].Label, " link")
	}
	return it
}

// RenderDigest renders dg for the single recipient to at time now.
func (r *Renderer) RenderDigest(dg Digest, to string, now time.Time) (Message, error) {
	ev := catalog.ByKey(dg.EventKey)
	if ev == nil {
		return Message{}, fmt.Errorf("email: unknown event key %q", dg.EventKey)
	}
	if len(dg.Payloads) == 0 {
		return Message{}, errors.New("email: a digest with no events")
	}
	rcpt, err := parseRecipient(to)
	if err != nil {
		return Message{}, err
	}
	if err := checkDeliveryID(dg.DeliveryID); err != nil {
		return Message{}, err
	}
	var first, last []field
	v := digestView{}
	for _, p := range dg.Payloads {
		fields, err := eventFields(ev, p)
		if err != nil {
			return Message{}, err
		}
		if first == nil {
			first = fields
		}
		last = fields
		v.Items = append(v.Items, item(dg.EventKey, len(v.Items)+1, fields))
	}
	account := dg.account(first)
	n := len(v.Items)
	v.Title = fmt.Sprintf("%d %s %s", n, ev.Name, plural(n, "event", "events"))
	v.frame = dg.footer(ev.Name, account)
	v.Subject = fmt.Sprintf("[%s] Digest: %s", account, v.Title)
	v.Summary = fmt.Sprintf("%s for %s%s %s, after the first was sent on its own.", v.Title, account,
		inEnvironment(first), between(get(first, "timestamp"), get(last, "timestamp")))
	v.Preheader = v.Summary
	text, html, err := r.execute("digest", v)
	if err != nil {
		return Message{}, err
	}
	return r.message(dg.Notification, rcpt, v.Subject, text, html, get(first, "account_id"), now), nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func inEnvironment(fields []field) string {
	if env := get(fields, "environment"); env != "" {
		return " in " + env
	}
	return ""
}

// between says when the events happened, from their RFC 3339 timestamps.
func between(from, to string) string {
	a, errA := time.Parse(time.RFC3339, from)
	b, errB := time.Parse(time.RFC3339, to)
	switch {
	case errA != nil || errB != nil:
		return "since the last email"
	case a.Equal(b):
		return "at " + a.UTC().Format("2006-01-02 15:04 UTC")
	case a.UTC().Format("2006-01-02") == b.UTC().Format("2006-01-02"):
		return "between " + a.UTC().Format("2006-01-02 15:04") + " and " + b.UTC().Format("15:04 UTC")
	default:
		return "between " + a.UTC().Format("2006-01-02 15:04") + " and " + b.UTC().Format("2006-01-02 15:04 UTC")
	}
}
