package webhook

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"sync"

	"herald"
)

// Signatures signs as the Standard Webhooks specification says, with each
// of an account's keys: "v1," + base64 HMAC-SHA256 for a symmetric key,
// "v1a," + base64 ed25519 for an asymmetric one, over
// {webhook-id}.{webhook-timestamp}.{body}, space-separated in the keys'
// order (newest first).
type Signatures []preparedKey

type preparedKey struct {
	hmacKey []byte
	private ed25519.PrivateKey
}

// Sign implements Signer.
func (s Signatures) Sign(id string, ts int64, body []byte) string {
	var tsBuf [20]byte
	stamp := strconv.AppendInt(tsBuf[:0], ts, 10)
	var msg []byte // built once, for ed25519 only: HMAC streams
	var b strings.Builder
	for i, k := range s {
		if i > 0 {
			b.WriteByte(' ')
		}
		if k.private != nil {
			if msg == nil {
				msg = make([]byte, 0, len(id)+len(stamp)+len(body)+2)
				msg = append(append(append(append(append(msg, id...), '.'), stamp...), '.'), body...)
			}
			b.WriteString("v1a,")
			b.WriteString(base64.StdEncoding.EncodeToString(ed25519.Sign(k.private, msg)))
			continue
		}
		m := hmac.New(sha256.New, k.hmacKey)
		m.Write([]byte(id))
		m.Write([]byte{'.'})
		m.Write(stamp)
		m.Write([]byte{'.'})
		m.Write(body)
		b.WriteString("v1,")
		b.WriteString(base64.StdEncoding.EncodeToString(m.Sum(nil)))
	}
	return b.String()
}

// SignerCache turns an account's signing keys into a Signer, keeping each
// prepared key by id: deriving an ed25519 private key from its seed costs
// more than signing, and a worker signs with the same keys all day.
// The zero value is ready; safe for concurrent use.
type SignerCache struct {
	mu   sync.Mutex
	keys map[string]preparedKey
}

// Signer returns the Signer for keys (newest first), or nil when there
// are none: signing is off.
func (c *SignerCache) Signer(keys []herald.SigningKey) Signer {
	if len(keys) == 0 {
		return nil
	}
	out := make(Signatures, 0, len(keys))
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.keys == nil || len(c.keys) > 4096 {
		c.keys = map[string]preparedKey{}
	}
	for _, k := range keys {
		p, ok := c.keys[k.ID]
		if !ok {
			p = prepare(k)
			c.keys[k.ID] = p
		}
		out = append(out, p)
	}
	return out
}

// Sign is a one-off: the signature header for keys, without a cache.
func Sign(keys []herald.SigningKey, id string, ts int64, body []byte) string {
	s := make(Signatures, len(keys))
	for i, k := range keys {
		s[i] = prepare(k)
	}
	return s.Sign(id, ts, body)
}

func prepare(k herald.SigningKey) preparedKey {
	if k.Scheme == herald.SigningEd25519 {
		return preparedKey{private: ed25519.NewKeyFromSeed(k.Secret)}
	}
	return preparedKey{hmacKey: k.Secret}
}
