// Package herald holds Herald's domain: accounts, their company contact and
// notification settings, events, planned deliveries, and the one error type
// every layer speaks. It imports nothing else of the project, so every other
// package can depend on it and on nothing more central.
package herald

import "time"

// Account is one customer organization, identified by the id the platform
// gives it.
type Account struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Contact is the account's primary contact from the Company tab. It receives
// an email for every event of every type.
type Contact struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

// Company is the Company tab of an account. PrimaryContact is nil until one
// is set.
type Company struct {
	PrimaryContact *Contact `json:"primary_contact"`
}

// APIKey is an account-scoped credential. Only the SHA-256 of the key is
// stored; the key itself is shown once, at creation.
type APIKey struct {
	ID        string `json:"id"`
	AccountID int64  `json:"account_id"`
	Name      string `json:"name"`
	// Prefix is the key's first characters, so people can tell keys apart.
	Prefix    string    `json:"prefix"`
	CreatedAt time.Time `json:"created_at"`
}

// MaxNameLength bounds account, contact and key names.
const MaxNameLength = 200
