// Package password hashes and checks the admin pages' passwords with
// argon2id, and generates passwords for people who do not choose one.
package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// The argon2id parameters of new hashes: one pass over 64 MiB with 4
// lanes, above OWASP's minimum for one pass (46 MiB). Verify reads the
// parameters from each hash, so these may be raised later without
// invalidating stored passwords.
const (
	memoryKiB  = 64 * 1024
	iterations = 1
	threads    = 4
	saltLen    = 16
	keyLen     = 32
)

// Bounds of a chosen password, in characters.
const (
	MinLength = 12
	MaxLength = 256
)

// Check returns why pw is not acceptable as a password, or "".
func Check(pw string) string {
	switch n := utf8.RuneCountInString(pw); {
	case n < MinLength:
		return fmt.Sprintf("must be at least %d characters", MinLength)
	case n > MaxLength:
		return fmt.Sprintf("must be at most %d characters", MaxLength)
	}
	return ""
}

// Hash returns pw's argon2id hash as a PHC string:
// $argon2id$v=19$m=65536,t=1,p=4$<salt>$<hash>, both in unpadded base64.
func Hash(pw string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password: salt: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, iterations, memoryKiB, threads, keyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, memoryKiB, iterations, threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

var b64 = base64.RawStdEncoding

// Verify reports whether pw matches encoded, a hash made by Hash (with
// these or other parameters). A malformed hash matches nothing.
func Verify(pw, encoded string) bool {
	p, err := parse(encoded)
	if err != nil {
		return false
	}
	key := argon2.IDKey([]byte(pw), p.salt, p.iterations, p.memory, p.threads, uint32(len(p.key)))
	return subtle.ConstantTimeCompare(key, p.key) == 1
}

type params struct {
	memory, iterations uint32
	threads            uint8
	salt, key          []byte
}

// Upper bounds on what Verify will compute, so a corrupt or planted hash
// cannot make one sign-in take the machine's memory or minutes of CPU.
const (
	maxMemoryKiB  = 1 << 20 // 1 GiB
	maxIterations = 16
)

func parse(encoded string) (params, error) {
	var p params
	parts := strings.Split(encoded, "$")
	// "", "argon2id", "v=19", "m=...,t=...,p=...", salt, key
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, errors.New("password: not an argon2id hash")
	}
	if parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return p, errors.New("password: unsupported argon2 version")
	}
	var threads uint32
	fields := strings.Split(parts[3], ",")
	if len(fields) != 3 {
		return p, errors.New("password: bad argon2 parameters")
	}
	for i, f := range []struct {
		name string
		v    *uint32
	}{{"m=", &p.memory}, {"t=", &p.iterations}, {"p=", &threads}} {
		v, ok := strings.CutPrefix(fields[i], f.name)
		n, err := strconv.ParseUint(v, 10, 32)
		if !ok || err != nil {
			return p, errors.New("password: bad argon2 parameters")
		}
		*f.v = uint32(n)
	}
	if p.iterations < 1 || p.iterations > maxIterations || threads < 1 || threads > 255 ||
		p.memory < 8*threads || p.memory > maxMemoryKiB {
		return p, errors.New("password: argon2 parameters out of range")
	}
	p.threads = uint8(threads)
	var err error
	if p.salt, err = b64.DecodeString(parts[4]); err != nil || len(p.salt) < 8 {
		return p, errors.New("password: bad salt")
	}
	if p.key, err = b64.DecodeString(parts[5]); err != nil || len(p.key) < 16 || len(p.key) > 1024 {
		return p, errors.New("password: bad hash")
	}
	return p, nil
}

// generatedAlphabet leaves out characters people confuse when they copy a
// password from a terminal: 0/O, 1/l/I.
const generatedAlphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// GeneratedLength is the length of Generate's passwords: 20 characters of
// a 57-letter alphabet, about 116 bits.
const GeneratedLength = 20

// Generate returns a random password of GeneratedLength characters, for
// accounts whose password is generated and shown once.
func Generate() string {
	out := make([]byte, GeneratedLength)
	// Rejection sampling keeps every character equally likely: bytes at or
	// above the largest multiple of the alphabet's size are drawn again.
	limit := byte(256 - 256%len(generatedAlphabet))
	var buf [64]byte
	for i := 0; i < len(out); {
		rand.Read(buf[:]) // never fails (crypto/rand)
		for _, b := range buf {
			if b >= limit || i == len(out) {
				continue
			}
			out[i] = generatedAlphabet[int(b)%len(generatedAlphabet)]
			i++
		}
	}
	return string(out)
}
