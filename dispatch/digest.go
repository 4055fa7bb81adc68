package dispatch

import (
	"context"
	"errors"
	"fmt"
	"time"

	"herald/email"
	"herald/store"
)

// carriesDigest reports whether j is the email that carries a digest
// (store/digests.go): its outcome is then the held emails' too.
func carriesDigest(j store.Job) bool { return j.DigestID != "" && j.DigestID == j.Delivery.ID }

// renderEmail renders n, the job's notification, or when the job carries
// a digest, one email listing every event the digest holds, addressed as
// n is (footer links and headers).
func (w *Worker) renderEmail(j store.Job, n email.Notification, start time.Time) (email.Message, error) {
	if !carriesDigest(j) {
		return w.cfg.Renderer.Render(n, j.Delivery.Target, start)
	}
	ctx, cancel := context.WithTimeout(context.Background(), w.cfg.SMTPTimeout)
	items, err := w.cfg.Store.DigestItems(ctx, j.Delivery.ID)
	cancel()
	if err != nil {
		return email.Message{}, fmt.Errorf("%w: %w", errDigestUnread, err)
	}
	dg := email.Digest{Notification: n}
	for _, it := range items {
		dg.Payloads = append(dg.Payloads, it.Payload)
	}
	return w.cfg.Renderer.RenderDigest(dg, j.Delivery.Target, start)
}

// errDigestUnread marks a digest whose events could not be read (the
// database did not answer): it is tried again like an SMTP failure.
var errDigestUnread = errors.New("reading the digest's events failed")
