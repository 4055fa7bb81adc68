package client

import (
	"encoding/json"
	"maps"
	"slices"
	"time"

	"herald"
)

// Account is a customer account.
type Account = herald.Account

// Contact is an account's primary contact, who gets an email for every
// event.
type Contact = herald.Contact

// Company is an account's Company tab; a nil PrimaryContact clears it.
type Company = herald.Company

// EventSettings is one event's row of the Notifications & Webhooks table.
type EventSettings struct {
	SendWebhook      bool     `json:"send_webhook"`
	EmailSubscribers []string `json:"email_subscribers"`
	// EmailDigestMinutes is 0 (every email at once) or 5 to 1440.
	EmailDigestMinutes int `json:"email_digest_minutes"`
}

// Settings is an account's notification settings. Events is keyed by
// event key ("run_failed", ...); a PUT replaces the document whole, and
// events left out take their defaults.
type Settings struct {
	WebhookURL string `json:"webhook_url"`
	// RetryFailedWebhooks tries failed webhooks again on the server's
	// schedule; false (the default): each is sent once.
	RetryFailedWebhooks bool                     `json:"retry_failed_webhooks"`
	Events              map[string]EventSettings `json:"events"`
}

// APIKey is an account API key, without the key.
type APIKey = herald.APIKey

// CreatedAPIKey is a new key: Key ("hk_...") is shown this once.
type CreatedAPIKey struct {
	APIKey
	Key string `json:"key"`
}

// PortalLinkRequest asks for a portal link: Role "admin" or "viewer";
// TTLSeconds 60 to 86400, 0 for the default (900).
type PortalLinkRequest struct {
	Role       string `json:"role"`
	TTLSeconds int    `json:"ttl_seconds,omitempty"`
}

// PortalLink is a single-use sign-in link to an account's pages.
type PortalLink struct {
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
	Role      string    `json:"role"`
	AccountID int64     `json:"account_id"`
}

// EventTypeField is one field of an event's payload.
type EventTypeField struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	Description string `json:"description"`
	In          string `json:"in"` // "data" (the emitter sends it) or "computed"
	Default     string `json:"default,omitempty"`
}

// EventType is one event of the catalog.
type EventType struct {
	Key         string           `json:"key"`
	EventType   string           `json:"event_type"` // the wire name
	Name        string           `json:"name"`
	Description string           `json:"description"`
	Fields      []EventTypeField `json:"fields"`
	Example     json.RawMessage  `json:"example"`
	Schema      json.RawMessage  `json:"schema"`
}

// EventRequest is one event for Emit. EventType is the settings key or
// the wire name; Data holds the event's own fields (anything that encodes
// to a JSON object, e.g. a map or a json.RawMessage).
type EventRequest struct {
	EventType      string    `json:"event_type"`
	AccountID      int64     `json:"account_id"`
	OccurredAt     time.Time `json:"occurred_at,omitzero"`
	IdempotencyKey string    `json:"idempotency_key,omitempty"`
	Data           any       `json:"data"`
}

// PlannedDelivery is a delivery as an event lists it.
type PlannedDelivery struct {
	ID        string    `json:"id"`
	Channel   string    `json:"channel"` // "webhook" or "email"
	Target    string    `json:"target"`
	Status    string    `json:"status"`
	Attempts  int       `json:"attempts"`
	CreatedAt time.Time `json:"created_at"`
}

// Event is a stored event with its exact payload.
type Event struct {
	ID             string            `json:"id"`
	AccountID      int64             `json:"account_id"`
	Key            string            `json:"key"`
	EventType      string            `json:"event_type"`
	IdempotencyKey *string           `json:"idempotency_key"`
	OccurredAt     time.Time         `json:"occurred_at"`
	CreatedAt      time.Time         `json:"created_at"`
	Payload        json.RawMessage   `json:"payload"`
	Deliveries     []PlannedDelivery `json:"deliveries,omitempty"`
}

// DeliveryFields are what a delivery's list item and detail share.
type DeliveryFields struct {
	ID             string     `json:"id"`
	EventID        string     `json:"event_id"`
	EventType      string     `json:"event_type"`
	Key            string     `json:"key"`
	Channel        string     `json:"channel"`
	Target         string     `json:"target"`
	Status         string     `json:"status"` // pending, succeeded, failed, skipped
	ResponseStatus *int       `json:"response_status"`
	Error          string     `json:"error"`
	LatencyMS      *int64     `json:"latency_ms"`
	Test           bool       `json:"test"`
	CreatedAt      time.Time  `json:"created_at"`
	CompletedAt    *time.Time `json:"completed_at"`
	// NextAttemptAt is when a pending delivery's next try is scheduled.
	NextAttemptAt *time.Time `json:"next_attempt_at"`
}

// Delivery is an item of the delivery log.
type Delivery struct {
	DeliveryFields
	Attempts int `json:"attempts"`
}

// AttemptRequest is what an attempt sent.
type AttemptRequest struct {
	Method  string              `json:"method,omitempty"`
	URL     string              `json:"url,omitempty"`
	To      string              `json:"to,omitempty"`
	Headers map[string][]string `json:"headers"`
	Body    string              `json:"body"`
}

// AttemptResponse is what a webhook attempt got back.
type AttemptResponse struct {
	Status  int                 `json:"status"`
	Headers map[string][]string `json:"headers"`
	Body    string              `json:"body"`
}

// Attempt is one try of a delivery.
type Attempt struct {
	ID          string           `json:"id"`
	StartedAt   time.Time        `json:"started_at"`
	CompletedAt time.Time        `json:"completed_at"`
	Request     AttemptRequest   `json:"request"`
	Response    *AttemptResponse `json:"response"`
	Error       string           `json:"error"`
	LatencyMS   int64            `json:"latency_ms"`
}

// DeliveryDetail is one delivery with its payload and every attempt.
type DeliveryDetail struct {
	DeliveryFields
	AttemptCount int             `json:"attempt_count"`
	Payload      json.RawMessage `json:"payload"`
	Attempts     []Attempt       `json:"attempts"`
}

// OutboxItem is an email kept in the outbox, without its body.
type OutboxItem struct {
	ID         string    `json:"id"`
	DeliveryID string    `json:"delivery_id"`
	Recipient  string    `json:"recipient"`
	Subject    string    `json:"subject"`
	CreatedAt  time.Time `json:"created_at"`
}

// OutboxMessage is one outbox email, whole.
type OutboxMessage struct {
	ID         string    `json:"id"`
	DeliveryID string    `json:"delivery_id"`
	AccountID  int64     `json:"account_id"`
	Recipient  string    `json:"recipient"`
	Subject    string    `json:"subject"`
	Message    string    `json:"message"` // RFC 5322
	CreatedAt  time.Time `json:"created_at"`
}

// SigningKey is a key that signs webhooks now.
type SigningKey struct {
	ID        string     `json:"id"`
	Scheme    string     `json:"scheme"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at"` // nil while current
	PublicKey string     `json:"public_key,omitempty"`
}

// Signing is an account's signing scheme ("none", "hmac-sha256",
// "ed25519") and keys; Secret is set in answers to SetSigning and
// RotateSigning with hmac-sha256.
type Signing struct {
	Scheme string       `json:"scheme"`
	Keys   []SigningKey `json:"keys"`
	Secret string       `json:"secret,omitempty"`
}

// Page is one page of a list; NextCursor is "" on the last page.
type Page[T any] struct {
	Data       []T    `json:"data"`
	NextCursor string `json:"next_cursor"`
}

func sortedKeys(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }
