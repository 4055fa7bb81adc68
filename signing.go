package herald

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"time"
)

// SigningScheme is how an account's webhooks are signed: not at all (the
// spec's default), or as the Standard Webhooks specification says.
type SigningScheme string

// The signing schemes.
const (
	SigningNone    SigningScheme = "none"
	SigningHMAC    SigningScheme = "hmac-sha256" // v1, signatures; whsec_ secrets
	SigningEd25519 SigningScheme = "ed25519"     // v1a, signatures; whpk_ public keys
)

// Valid reports whether s is one of the three schemes.
func (s SigningScheme) Valid() bool {
	return s == SigningNone || s == SigningHMAC || s == SigningEd25519
}

// SigningKey is one key an account's webhooks are signed with.
type SigningKey struct {
	ID        string
	AccountID int64
	Scheme    SigningScheme
	// Secret is the HMAC secret, or the ed25519 private key's seed, which
	// never leaves Herald. 32 bytes.
	Secret []byte
	// PublicKey is the ed25519 public key; nil for HMAC.
	PublicKey []byte
	CreatedAt time.Time
	// ExpiresAt is when a previous key stops signing; zero while the key
	// is the current one.
	ExpiresAt time.Time
}

// NewSigningKey makes a fresh random key of scheme (HMAC or ed25519).
func NewSigningKey(accountID int64, scheme SigningScheme, now time.Time) SigningKey {
	k := SigningKey{ID: NewID("sk_", now), AccountID: accountID, Scheme: scheme, Secret: make([]byte, 32), CreatedAt: now}
	rand.Read(k.Secret)
	if scheme == SigningEd25519 {
		k.PublicKey = ed25519.NewKeyFromSeed(k.Secret).Public().(ed25519.PublicKey)
	}
	return k
}

// SecretString is the HMAC secret as receivers' libraries take it:
// "whsec_" + base64. "" for ed25519, whose private key is never shown.
func (k SigningKey) SecretString() string {
	if k.Scheme != SigningHMAC {
		return ""
	}
	return "whsec_" + base64.StdEncoding.EncodeToString(k.Secret)
}

// PublicKeyString is the ed25519 public key as published: "whpk_" +
// base64. "" for HMAC.
func (k SigningKey) PublicKeyString() string {
	if k.Scheme != SigningEd25519 {
		return ""
	}
	return "whpk_" + base64.StdEncoding.EncodeToString(k.PublicKey)
}

// Signing is an account's signing state: the current scheme and the keys
// that sign now, newest (the current one) first.
type Signing struct {
	Scheme SigningScheme
	Keys   []SigningKey
}

// SigningOf reads keys (newest first, as the store returns them).
func SigningOf(keys []SigningKey) Signing {
	s := Signing{Scheme: SigningNone, Keys: keys}
	if len(keys) > 0 && keys[0].ExpiresAt.IsZero() {
		s.Scheme = keys[0].Scheme
	}
	return s
}

// Current is the key new signatures start with; ok is false when signing
// is off.
func (s Signing) Current() (SigningKey, bool) {
	if len(s.Keys) == 0 || !s.Keys[0].ExpiresAt.IsZero() {
		return SigningKey{}, false
	}
	return s.Keys[0], true
}
