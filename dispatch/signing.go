package dispatch

import (
	"context"
	"time"

	"herald"
	"herald/store"
)

// DefaultSigningOverlap is how long a previous signing key keeps signing
// beside a new one unless configured otherwise (HERALD_SIGNING_OVERLAP).
const DefaultSigningOverlap = 24 * time.Hour

// Signing changes how an account's webhooks are signed: the API and the
// pages both go through it.
type Signing struct {
	Store *store.Store
	// Overlap is how long a previous key keeps signing after a rotation
	// or a change of scheme when the request does not say
	// (HERALD_SIGNING_OVERLAP); 0 ends previous keys at once.
	Overlap time.Duration
}

func (s *Signing) overlap(requested *time.Duration) time.Duration {
	if requested != nil {
		return *requested
	}
	return s.Overlap
}

// Get returns the account's signing state: its scheme and the keys that
// sign now.
func (s *Signing) Get(ctx context.Context, accountID int64, now time.Time) (herald.Signing, error) {
	if _, err := s.Store.Account(ctx, accountID); err != nil {
		return herald.Signing{}, err
	}
	keys, err := s.Store.SigningKeys(ctx, accountID, now)
	return herald.SigningOf(keys), err
}

// SetScheme turns signing off (none: every key stops at once) or on with
// scheme. A scheme other than the current one makes a new current key,
// the previous one signing beside it for the overlap (nil: the default);
// the current scheme again changes nothing.
func (s *Signing) SetScheme(ctx context.Context, accountID int64, scheme herald.SigningScheme, overlap *time.Duration, now time.Time) (herald.Signing, error) {
	cur, err := s.Get(ctx, accountID, now)
	if err != nil || cur.Scheme == scheme {
		return cur, err
	}
	var next *herald.SigningKey
	if scheme != herald.SigningNone {
		k := herald.NewSigningKey(accountID, scheme, now)
		next = &k
	}
	if err := s.Store.ChangeSigning(ctx, accountID, next, now.Add(s.overlap(overlap)), now); err != nil {
		return herald.Signing{}, err
	}
	return s.Get(ctx, accountID, now)
}

// Rotate makes a new current key of the current scheme; the previous one
// keeps signing for the overlap (nil: the default; 0 ends every previous
// key now). Signing off: invalid, naming scheme.
func (s *Signing) Rotate(ctx context.Context, accountID int64, overlap *time.Duration, now time.Time) (herald.Signing, error) {
	cur, err := s.Get(ctx, accountID, now)
	if err != nil {
		return cur, err
	}
	if cur.Scheme == herald.SigningNone {
		return cur, &herald.Error{Code: herald.CodeInvalid, Message: "signing is off; choose a scheme first",
			Fields: map[string]string{"scheme": "is none: turn signing on before rotating"}}
	}
	k := herald.NewSigningKey(accountID, cur.Scheme, now)
	if err := s.Store.ChangeSigning(ctx, accountID, &k, now.Add(s.overlap(overlap)), now); err != nil {
		return herald.Signing{}, err
	}
	return s.Get(ctx, accountID, now)
}
