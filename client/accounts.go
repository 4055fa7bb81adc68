package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

func accountPath(id int64, rest string) string { return fmt.Sprintf("/api/v1/accounts/%d%s", id, rest) }

// PutAccount creates the account with the platform's id (created is true)
// or renames it. Platform token only.
func (c *Client) PutAccount(ctx context.Context, id int64, name string) (a Account, created bool, err error) {
	status, err := c.call(ctx, http.MethodPut, accountPath(id, ""), nil, map[string]string{"name": name}, &a, true)
	return a, status == http.StatusCreated, err
}

// GetAccount returns an account.
func (c *Client) GetAccount(ctx context.Context, id int64) (Account, error) {
	var a Account
	_, err := c.call(ctx, http.MethodGet, accountPath(id, ""), nil, nil, &a, true)
	return a, err
}

// GetCompany returns an account's primary contact.
func (c *Client) GetCompany(ctx context.Context, id int64) (Company, error) {
	var co Company
	_, err := c.call(ctx, http.MethodGet, accountPath(id, "/company"), nil, nil, &co, true)
	return co, err
}

// PutCompany sets (or, with a nil PrimaryContact, clears) the primary
// contact and returns it as saved.
func (c *Client) PutCompany(ctx context.Context, id int64, co Company) (Company, error) {
	var out Company
	_, err := c.call(ctx, http.MethodPut, accountPath(id, "/company"), nil, co, &out, true)
	return out, err
}

// GetNotifications returns an account's settings, always all five events.
func (c *Client) GetNotifications(ctx context.Context, id int64) (Settings, error) {
	var s Settings
	_, err := c.call(ctx, http.MethodGet, accountPath(id, "/notifications"), nil, nil, &s, true)
	return s, err
}

// PutNotifications replaces an account's settings whole and returns them
// as saved.
func (c *Client) PutNotifications(ctx context.Context, id int64, s Settings) (Settings, error) {
	var out Settings
	_, err := c.call(ctx, http.MethodPut, accountPath(id, "/notifications"), nil, s, &out, true)
	return out, err
}

// SendTest POSTs the event's example payload to the account's saved URL
// now and returns the logged test delivery with its attempt.
func (c *Client) SendTest(ctx context.Context, id int64, eventType string) (DeliveryDetail, error) {
	var d DeliveryDetail
	_, err := c.call(ctx, http.MethodPost, accountPath(id, "/notifications/test"), nil, map[string]string{"event_type": eventType}, &d, false)
	return d, err
}

// CreateAPIKey issues an API key for the account; its Key is shown this
// once. Platform token only.
func (c *Client) CreateAPIKey(ctx context.Context, id int64, name string) (CreatedAPIKey, error) {
	var k CreatedAPIKey
	_, err := c.call(ctx, http.MethodPost, accountPath(id, "/api-keys"), nil, map[string]string{"name": name}, &k, false)
	return k, err
}

// ListAPIKeys returns an account's keys, without the keys. Platform token
// only.
func (c *Client) ListAPIKeys(ctx context.Context, id int64) ([]APIKey, error) {
	var p Page[APIKey]
	_, err := c.call(ctx, http.MethodGet, accountPath(id, "/api-keys"), nil, nil, &p, true)
	return p.Data, err
}

// DeleteAPIKey revokes an API key. Platform token only.
func (c *Client) DeleteAPIKey(ctx context.Context, id int64, keyID string) error {
	_, err := c.call(ctx, http.MethodDelete, accountPath(id, "/api-keys/"+url.PathEscape(keyID)), nil, nil, nil, true)
	return err
}

// CreatePortalLink returns a single-use link that signs a browser in to
// the account's pages. Platform token only.
func (c *Client) CreatePortalLink(ctx context.Context, id int64, req PortalLinkRequest) (PortalLink, error) {
	var l PortalLink
	_, err := c.call(ctx, http.MethodPost, accountPath(id, "/portal-links"), nil, req, &l, false)
	return l, err
}

// GetSigning returns the account's signing scheme and the keys that sign
// now.
func (c *Client) GetSigning(ctx context.Context, id int64) (Signing, error) {
	var s Signing
	_, err := c.call(ctx, http.MethodGet, accountPath(id, "/signing"), nil, nil, &s, true)
	return s, err
}

// SetSigning sets the scheme ("none", "hmac-sha256", "ed25519"); overlap,
// when not nil, is how long previous keys keep signing (whole seconds).
func (c *Client) SetSigning(ctx context.Context, id int64, scheme string, overlap *time.Duration) (Signing, error) {
	body := map[string]any{"scheme": scheme}
	if overlap != nil {
		body["overlap_seconds"] = int64(overlap.Seconds())
	}
	var s Signing
	_, err := c.call(ctx, http.MethodPut, accountPath(id, "/signing"), nil, body, &s, false)
	return s, err
}

// RotateSigning makes a new current key of the same scheme; overlap, when
// not nil, is how long the old one keeps signing beside it.
func (c *Client) RotateSigning(ctx context.Context, id int64, overlap *time.Duration) (Signing, error) {
	body := map[string]any{}
	if overlap != nil {
		body["overlap_seconds"] = int64(overlap.Seconds())
	}
	var s Signing
	_, err := c.call(ctx, http.MethodPost, accountPath(id, "/signing/rotate"), nil, body, &s, false)
	return s, err
}

// SigningSecret returns the current hmac-sha256 secret ("whsec_...").
func (c *Client) SigningSecret(ctx context.Context, id int64) (string, error) {
	var s struct {
		Secret string `json:"secret"`
	}
	_, err := c.call(ctx, http.MethodGet, accountPath(id, "/signing/secret"), nil, nil, &s, true)
	return s.Secret, err
}
