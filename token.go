package herald

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"encoding/hex"
	"strings"
	"time"
)

// Token prefixes say what a credential is when it turns up in a log or a
// secret scanner.
const (
	PlatformTokenPrefix    = "hp_"
	APIKeyPrefix           = "hk_"
	UnsubscribeTokenPrefix = "hu_"
)

var lowerBase32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewToken returns prefix followed by 256 random bits. Tokens this long
// cannot be guessed, so a fast hash is enough to store them (HashToken).
func NewToken(prefix string) string {
	var b [32]byte
	rand.Read(b[:])
	return prefix + lowerBase32.EncodeToString(b[:])
}

// HashToken is what is stored for a token: its SHA-256, in hex. A slow
// password hash would cost milliseconds on every API call and buy nothing
// for 256 random bits.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// DeriveToken returns prefix followed by the HMAC-SHA256 of message under
// key: as unguessable as NewToken's tokens to whoever lacks the key, and
// the same each time for the same message, so a link can be made again
// without storing it.
func DeriveToken(prefix string, key []byte, message string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(message))
	return prefix + lowerBase32.EncodeToString(m.Sum(nil))
}

var crockford = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// NewID returns prefix followed by 48 bits of the time in milliseconds and
// 80 random bits, so ids sort roughly by creation and never collide.
func NewID(prefix string, now time.Time) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(now.UnixMilli())<<16)
	rand.Read(b[6:])
	return prefix + strings.ToLower(crockford.EncodeToString(b[:]))
}

// IDBefore is the least id NewID can give at t: every id it gave before
// t's millisecond sorts below it, every later one at or above. Retention
// finds the events accepted before a cutoff by their ids with it.
func IDBefore(prefix string, t time.Time) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(t.UnixMilli())<<16)
	return prefix + strings.ToLower(crockford.EncodeToString(b[:]))
}
