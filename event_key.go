package herald

// EventKey is an event's settings key, as in the spec's Event Types table.
// The wire name sent as event_type may differ; the catalog package knows
// both.
type EventKey string

// The five platform events, in the spec's order.
const (
	IntegrationCreated        EventKey = "integration_created"
	TenantCreated             EventKey = "tenant_created"
	TenantArchived            EventKey = "tenant_archived"
	PartnerIntegrationUpdated EventKey = "partner_integration_updated"
	RunFailed                 EventKey = "run_failed"
)

// Notices Herald itself sends an account's primary contact about its
// webhook. They are email deliveries like the events', but never planned at
// ingest and never settings keys.
const (
	NoticeWebhookFailing  EventKey = "webhook_failing"
	NoticeWebhookDisabled EventKey = "webhook_disabled"
)

// IsNotice reports whether k is one of Herald's own notices.
func (k EventKey) IsNotice() bool {
	return k == NoticeWebhookFailing || k == NoticeWebhookDisabled
}

// EventKeys returns the five keys in the spec's order.
func EventKeys() []EventKey {
	return []EventKey{IntegrationCreated, TenantCreated, TenantArchived, PartnerIntegrationUpdated, RunFailed}
}

// Valid reports whether k is one of the five keys.
func (k EventKey) Valid() bool {
	switch k {
	case IntegrationCreated, TenantCreated, TenantArchived, PartnerIntegrationUpdated, RunFailed:
		return true
	}
	return false
}
