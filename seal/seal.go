// Package seal encrypts the secrets Herald keeps at rest (webhook URLs,
// whose query strings are credentials, and signing keys) with AES-256-GCM
// under a master key the operator holds outside the database.
//
// A sealed value names the key that sealed it, so a Box holding the new
// master key and the previous one can read both while a rotation rewrites
// every value under the new key.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// KeySize is the length of a master key: AES-256.
const KeySize = 32

// prefix starts every sealed value: format version 1, then the key id.
const prefix = "sealed1."

// cacheSize bounds each of the two caches; past it they start afresh. The
// working set is one URL or key per account, so hits are the rule.
const cacheSize = 8192

// ErrWrongKey means a value was sealed under a master key the Box does not
// hold, or was altered.
var ErrWrongKey = errors.New("seal: the value was sealed under another master key (or altered)")

// Box seals under its current key and opens values sealed under any of its
// keys. Results are cached both ways, so a value the worker reads for every
// delivery is decrypted once, not on every send. Safe for concurrent use.
type Box struct {
	current string
	aeads   map[string]cipher.AEAD

	mu     sync.Mutex
	sealed map[string]string // plaintext -> sealed under current
	opened map[string]string // sealed -> plaintext
}

// NewKey returns a fresh random master key.
func NewKey() []byte {
	k := make([]byte, KeySize)
	rand.Read(k) // never fails (crypto/rand since Go 1.24)
	return k
}

// ParseKey decodes a master key written as base64 (standard or URL
// alphabet, padded or not) of 32 bytes.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(s); err == nil {
			if len(k) != KeySize {
				return nil, fmt.Errorf("seal: a master key is base64 of %d bytes, this one has %d", KeySize, len(k))
			}
			return k, nil
		}
	}
	return nil, fmt.Errorf("seal: a master key is base64 of %d random bytes (e.g. openssl rand -base64 32)", KeySize)
}

// EncodeKey writes a master key as ParseKey reads it.
func EncodeKey(k []byte) string { return base64.StdEncoding.EncodeToString(k) }

// KeyID names a master key without revealing it: the first 8 hex digits of
// a SHA-256 over a label and the key.
func KeyID(key []byte) string {
	h := sha256.Sum256(append([]byte("herald master key id\x00"), key...))
	return hex.EncodeToString(h[:4])
}

// NewBox returns a Box sealing under current and opening values sealed
// under current or any of previous.
func NewBox(current []byte, previous ...[]byte) (*Box, error) {
	b := &Box{aeads: map[string]cipher.AEAD{}, sealed: map[string]string{}, opened: map[string]string{}}
	for i, k := range append([][]byte{current}, previous...) {
		if len(k) != KeySize {
			return nil, fmt.Errorf("seal: a master key has %d bytes, got %d", KeySize, len(k))
		}
		block, err := aes.NewCipher(k)
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		id := KeyID(k)
		if i == 0 {
			b.current = id
		}
		b.aeads[id] = aead
	}
	return b, nil
}

// KeyID names the key the Box seals under.
func (b *Box) KeyID() string { return b.current }

// Seal encrypts plaintext under the current key. The empty string stays
// empty: there is nothing to hide, and "no URL saved" stays queryable.
func (b *Box) Seal(plaintext string) string {
	if plaintext == "" {
		return ""
	}
	b.mu.Lock()
	s, ok := b.sealed[plaintext]
	b.mu.Unlock()
	if ok {
		return s
	}
	aead := b.aeads[b.current]
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	rand.Read(nonce)
	out := aead.Seal(nonce, nonce, []byte(plaintext), []byte(b.current))
	s = prefix + b.current + "." + base64.RawURLEncoding.EncodeToString(out)
	b.remember(plaintext, s)
	return s
}

// Open decrypts a sealed value. The empty string opens to itself; anything
// else not sealed is an error, so a value that escaped sealing is noticed.
func (b *Box) Open(sealed string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	b.mu.Lock()
	p, ok := b.opened[sealed]
	b.mu.Unlock()
	if ok {
		return p, nil
	}
	id, ok := SealedKeyID(sealed)
	if !ok {
		return "", errors.New("seal: the value is not sealed")
	}
	aead := b.aeads[id]
	if aead == nil {
		return "", fmt.Errorf("%w: it names key %s; this Herald holds %s", ErrWrongKey, id, b.current)
	}
	raw, err := base64.RawURLEncoding.DecodeString(sealed[len(prefix)+len(id)+1:])
	if err != nil || len(raw) < aead.NonceSize() {
		return "", fmt.Errorf("seal: the value is corrupt")
	}
	out, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], []byte(id))
	if err != nil {
		return "", fmt.Errorf("%w (key %s)", ErrWrongKey, id)
	}
	p = string(out)
	b.remember(p, sealed)
	return p, nil
}

// Current reports whether sealed is sealed under the Box's current key
// (the empty string counts as current: it never needs resealing).
func (b *Box) Current(sealed string) bool {
	if sealed == "" {
		return true
	}
	id, ok := SealedKeyID(sealed)
	return ok && id == b.current
}

// SealedKeyID returns the id of the key a value was sealed under; ok is
// false when the value is not sealed at all.
func SealedKeyID(s string) (id string, ok bool) {
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok {
		return "", false
	}
	id, _, ok = strings.Cut(rest, ".")
	return id, ok && id != ""
}

func (b *Box) remember(plaintext, sealed string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.opened) >= cacheSize {
		clear(b.opened)
	}
	b.opened[sealed] = plaintext
	if id, _ := SealedKeyID(sealed); id == b.current {
		if len(b.sealed) >= cacheSize {
			clear(b.sealed)
		}
		b.sealed[plaintext] = sealed
	}
}
