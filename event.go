package herald

import "time"

// Event is a platform event Herald accepted: its exact webhook payload bytes
// are fixed at ingest and never rebuilt, so every delivery and redelivery
// sends the same bytes.
type Event struct {
	ID             string
	AccountID      int64
	Key            EventKey
	IdempotencyKey string // "" when the emitter gave none
	// Fingerprint identifies the request's content, so a repeated
	// idempotency key with a different event can be told apart (409).
	Fingerprint string
	OccurredAt  time.Time
	Payload     []byte
	CreatedAt   time.Time
}

// Channel is how a delivery reaches someone.
type Channel string

// The two channels.
const (
	ChannelWebhook Channel = "webhook"
	ChannelEmail   Channel = "email"
)

// Status is where a delivery stands.
type Status string

// A delivery is pending until it is sent, then succeeded or failed. A
// webhook planned while the account's webhook is disabled is skipped: kept,
// with an error saying why, so it can be replayed.
const (
	StatusPending   Status = "pending"
	StatusSucceeded Status = "succeeded"
	StatusFailed    Status = "failed"
	StatusSkipped   Status = "skipped"
)

// Delivery is one event going out on one channel to one target: the webhook
// URL saved when the event was accepted, or one email recipient.
type Delivery struct {
	ID        string
	EventID   string
	AccountID int64
	EventKey  EventKey
	Channel   Channel
	Target    string
	Status    Status
	Attempts  int
	CreatedAt time.Time
	// IsTest marks a test send from the settings page or API.
	IsTest bool
	// NextAttemptAt is when the delivery is due; zero means at CreatedAt.
	NextAttemptAt time.Time
	// DigestWindow, set by planning on an email, is its event's digest
	// window (0: send at once); the store decides at commit whether the
	// email goes now or waits for a digest.
	DigestWindow time.Duration
	// DigestID, on an email held for a digest, is the delivery that
	// carries the digest (the carrier's own id on the carrier); "" for an
	// email sent on its own.
	DigestID string
	// The outcome of the latest attempt; zero until one completes.
	ResponseStatus int
	Error          string
	Latency        time.Duration
	CompletedAt    time.Time
}

// Attempt is one try of a delivery: what was sent and what came back.
type Attempt struct {
	ID              string
	DeliveryID      string
	StartedAt       time.Time
	CompletedAt     time.Time
	Target          string // URL with query values masked, or the address
	RequestHeaders  map[string][]string
	ResponseStatus  int
	ResponseHeaders map[string][]string
	ResponseBody    string // at most 4 KiB
	Error           string
	Latency         time.Duration
}
