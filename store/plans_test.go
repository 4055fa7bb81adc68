package store_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"herald"
	"herald/store"
	"herald/store/storetest"
)

// The queries that run as tables grow read the indexes meant for them, on
// both engines, and the ordered ones need no sort: the delivery log (first
// page, a status filter, a later page), the events list, the outbox, the
// claim's scan, the release of a dead worker's leases, and retention's
// batch (an index name a|b: either engine's name of one index).
func TestQueryPlansUseTheirIndexes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := time.Now().UnixMilli()
		log := func(f store.DeliveryFilter) (string, []any) {
			f.AccountID, f.Limit = 1, 50
			return store.DeliveriesQuery(f)
		}
		first, firstArgs := log(store.DeliveryFilter{})
		failed, failedArgs := log(store.DeliveryFilter{Status: herald.StatusFailed, Channel: herald.ChannelEmail})
		succeeded, succeededArgs := log(store.DeliveryFilter{Status: herald.StatusSucceeded})
		pending, pendingArgs := log(store.DeliveryFilter{Status: herald.StatusPending})
		skipped, skippedArgs := log(store.DeliveryFilter{Status: herald.StatusSkipped})
		later, laterArgs := log(store.DeliveryFilter{After: "dlv_x"})
		events, eventsArgs := store.EventsQuery(1, "", 21)
		eventsLater, eventsLaterArgs := store.EventsQuery(1, "evt_x", 21)
		outbox, outboxArgs := store.OutboxQuery(1, "", 50)
		outboxLater, outboxLaterArgs := store.OutboxQuery(1, "obx_x", 50)
		for _, tc := range []struct {
			name, q string
			args    []any
			index   string
			ordered bool
		}{
			{"delivery log", first, firstArgs, "deliveries_account_id", true},
			{"delivery log, failed emails", failed, failedArgs, "deliveries_account_status", true},
			{"delivery log, succeeded", succeeded, succeededArgs, "deliveries_account_id", true},
			{"delivery log, pending", pending, pendingArgs, "deliveries_account_id", true},
			{"delivery log, skipped", skipped, skippedArgs, "deliveries_account_status", true},
			{"delivery log, next page", later, laterArgs, "deliveries_account_id", true},
			{"events", events, eventsArgs, "events_account_id", true},
			{"events, next page", eventsLater, eventsLaterArgs, "events_account_id", true},
			{"outbox", outbox, outboxArgs, "outbox_account_id", true},
			{"outbox, next page", outboxLater, outboxLaterArgs, "outbox_account_id", true},
			{"claim", store.ClaimScan, []any{now, 100}, "deliveries_due", true},
			{"release a dead worker's leases", store.ReleaseLeases, []any{now, "w"}, "deliveries_due", false},
			{"retention", store.PruneEvents, []any{"evt_x", now, 500}, "sqlite_autoindex_events_1|events_pkey", false},
			{"retention's check of an event's deliveries", store.PruneEvents, []any{"evt_x", now, 500}, "deliveries_event", false},
		} {
			plan, err := s.Explain(ctx, tc.q, tc.args...)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			t.Logf("%s:\n%s", tc.name, plan)
			if !slices.ContainsFunc(strings.Split(tc.index, "|"), func(index string) bool { return strings.Contains(plan, index) }) {
				t.Errorf("%s: the plan does not read %s:\n%s", tc.name, tc.index, plan)
			}
			if tc.ordered && (strings.Contains(plan, "TEMP B-TREE") || strings.Contains(plan, "Sort")) {
				t.Errorf("%s: the plan sorts:\n%s", tc.name, plan)
			}
		}
	})
}
