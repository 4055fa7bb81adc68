package herald

import "time"

// WebhookState is where an account's webhook stands, as its receiving team
// sees it.
type WebhookState string

// The four webhook states.
const (
	// WebhookNone: no webhook URL is saved.
	WebhookNone WebhookState = "none"
	// WebhookHealthy: the latest attempt succeeded, or none was made yet.
	WebhookHealthy WebhookState = "healthy"
	// WebhookFailing: from the first failed attempt of a streak until a
	// success ends it.
	WebhookFailing WebhookState = "failing"
	// WebhookDisabled: a 410 Gone, or failing for too long; webhooks are
	// planned as skipped until someone turns it back on.
	WebhookDisabled WebhookState = "disabled"
)

// Valid reports whether s is one of the four states.
func (s WebhookState) Valid() bool {
	switch s {
	case WebhookNone, WebhookHealthy, WebhookFailing, WebhookDisabled:
		return true
	}
	return false
}

// WebhookHealth is an account's webhook state with its counters. Zero
// times are unknown.
type WebhookHealth struct {
	State               WebhookState
	ConsecutiveFailures int
	LastSuccessAt       time.Time
	LastFailureAt       time.Time
	// LastError says why the latest failed attempt failed, e.g.
	// "HTTP 503" or a connection error.
	LastError      string
	FailingSince   time.Time
	DisabledAt     time.Time
	DisabledReason string
	// Attempts24h and Succeeded24h count the webhook attempts of the last
	// 24 hours and those that succeeded (test sends excluded).
	Attempts24h  int
	Succeeded24h int
}
