package web

import (
	"fmt"
	"net/http"
	"time"

	"herald"
	"herald/dispatch"
)

// replay sends an account's failed and skipped webhooks of a time window
// again: {"since" (required), "until" (default now), "status" (default
// ["failed", "skipped"])} → 202 {"replayed", "remaining"}.
func (s *Server) replay(w http.ResponseWriter, r *http.Request) error {
	id, doc, err := s.accountDoc(w, r)
	if err != nil {
		return err
	}
	now := s.now().UTC()
	since, until := time.Time{}, now
	statuses := []herald.Status{herald.StatusFailed, herald.StatusSkipped}
	var bad herald.Fields
	readTime := func(key string, v any) (time.Time, bool) {
		str, _ := v.(string)
		t, err := time.Parse(time.RFC3339, str)
		if err != nil {
			bad.Add(key, "must be an RFC 3339 time, like 2026-05-04T12:00:00Z")
			return t, false
		}
		return t, true
	}
	for k, v := range doc {
		switch k {
		case "since":
			since, _ = readTime(k, v)
		case "until":
			if v != nil {
				until, _ = readTime(k, v)
			}
		case "status":
			statuses = readStatuses(&bad, v)
		default:
			bad.Add(k, "unknown field")
		}
	}
	if _, ok := doc["since"]; !ok {
		bad.Add("since", "is required")
	} else if !since.IsZero() && until.Before(since) {
		bad.Add("until", "must not be before since")
	}
	if err := bad.Err(); err != nil {
		return err
	}
	replayed, remaining, err := dispatch.Replay(r.Context(), s.store, id, since, until, statuses, now)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, map[string]int{"replayed": replayed, "remaining": remaining})
	return nil
}

// readStatuses reads replay's "status": a non-empty list of failed and
// skipped.
func readStatuses(bad *herald.Fields, v any) []herald.Status {
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		bad.Add("status", `must be a non-empty list of "failed" and "skipped"`)
		return nil
	}
	var out []herald.Status
	for i, item := range list {
		switch st := herald.Status(stringOf(item)); st {
		case herald.StatusFailed, herald.StatusSkipped:
			out = append(out, st)
		default:
			bad.Add(fmt.Sprintf("status[%d]", i), `must be "failed" or "skipped"`)
		}
	}
	return out
}

func stringOf(v any) string { s, _ := v.(string); return s }
