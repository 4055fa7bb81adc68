package dispatch

import (
	"context"
	"log/slog"
	"time"

	"herald/store"
)

// PruneBatch is how many events one pruning transaction deletes: small,
// so ingest and delivery never wait long behind it.
const PruneBatch = 500

// Prune deletes what is older than retention every interval until ctx
// ends, a batch at a time with a pause between batches, and with it the
// expired sessions and portal links of the pages.
func Prune(ctx context.Context, s *store.Store, retention, interval time.Duration, logger *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		total := 0
		for ctx.Err() == nil {
			n, err := s.Prune(ctx, time.Now().Add(-retention), PruneBatch)
			if err != nil {
				if ctx.Err() == nil {
					logger.Error("pruning old deliveries failed", "err", err)
				}
				break
			}
			total += n
			if n < PruneBatch {
				break
			}
			select {
			case <-ctx.Done():
			case <-time.After(50 * time.Millisecond):
			}
		}
		if total > 0 {
			logger.Info("pruned old events and their deliveries", "events", total, "retention", retention)
		}
		// Expired sign-in sessions and portal links are of no use to
		// anyone; their rows would only grow.
		if _, err := s.DeleteExpiredSessions(ctx, time.Now()); err != nil && ctx.Err() == nil {
			logger.Error("deleting expired sessions failed", "err", err)
		}
		if _, err := s.DeleteExpiredPortalLinks(ctx, time.Now()); err != nil && ctx.Err() == nil {
			logger.Error("deleting expired portal links failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
