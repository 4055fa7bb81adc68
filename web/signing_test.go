package web_test

import (
	"crypto/ed25519"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	svix "github.com/svix/svix-webhooks/go"
	"herald/web/apicheck"
)

// signedHook records every request, headers and body, for verification.
type signedHook struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []signedRequest
}

type signedRequest struct {
	header http.Header
	body   []byte
}

func newSignedHook(t *testing.T) *signedHook {
	t.Helper()
	h := &signedHook{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		apicheck.CheckWebhook(t, r, b)
		h.mu.Lock()
		h.reqs = append(h.reqs, signedRequest{r.Header.Clone(), b})
		h.mu.Unlock()
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *signedHook) last(t *testing.T) signedRequest {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.reqs) == 0 {
		t.Fatal("the receiver got nothing")
	}
	return h.reqs[len(h.reqs)-1]
}

// verifies reports whether both receivers' libraries accept r under
// secret, checking they agree.
func verifies(t *testing.T, secret string, r signedRequest) bool {
	t.Helper()
	std, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	sv, err := svix.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	a, b := std.Verify(r.body, r.header), sv.Verify(r.body, r.header)
	if (a == nil) != (b == nil) {
		t.Errorf("the libraries disagree: standard webhooks %v, svix %v", a, b)
	}
	return a == nil
}

// mustVerify checks r verifies under secret, and that a changed byte of
// the body, the id or the timestamp fails it.
func mustVerify(t *testing.T, what, secret string, r signedRequest) {
	t.Helper()
	if !verifies(t, secret, r) {
		t.Fatalf("%s does not verify with %s; headers %v", what, secret[:12], r.header)
	}
	body := append([]byte(nil), r.body...)
	body[len(body)/2] ^= 1
	if verifies(t, secret, signedRequest{r.header, body}) {
		t.Errorf("%s: a changed body byte still verifies", what)
	}
	h := r.header.Clone()
	h.Set("Webhook-Id", h.Get("Webhook-Id")+"x")
	if verifies(t, secret, signedRequest{h, r.body}) {
		t.Errorf("%s: a changed webhook-id still verifies", what)
	}
}

func TestSigningVerifiesWithTheStandardLibraries(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		b.account(100, "Acme Corp")
		b.account(200, "Other")
		key, otherKey := b.apiKey(100), b.apiKey(200)
		const path = "/api/v1/accounts/100/signing"

		// Off by default: nothing signs, no secret.
		r := b.must(200, "GET", path, key, "")
		if r.body["scheme"] != "none" || len(r.body["keys"].([]any)) != 0 {
			t.Fatalf("default signing = %s", r.raw)
		}
		b.must(404, "GET", path+"/secret", key, "")
		// Scoped like every account route.
		b.must(404, "GET", path, otherKey, "")
		b.must(404, "PUT", path, otherKey, `{"scheme": "hmac-sha256"}`)
		b.must(404, "POST", path+"/rotate", otherKey, "")
		b.must(404, "GET", path+"/secret", otherKey, "")
		b.must(404, "GET", "/api/v1/accounts/999/signing", platformToken, "")
		// Bad input names the field and changes nothing.
		for body, field := range map[string]string{
			`{"scheme": "rsa"}`: "scheme", `{}`: "scheme", `{"scheme": 1}`: "scheme",
			`{"scheme": "ed25519", "extra": 1}`: "extra", `{"scheme": "ed25519", "overlap_seconds": -1}`: "overlap_seconds",
			`{"scheme": "ed25519", "overlap_seconds": 1.5}`: "overlap_seconds",
		} {
			if r := b.must(422, "PUT", path, key, body); r.errorFields()[field] == "" {
				t.Errorf("PUT %s = %s, want %s named", body, r.raw, field)
			}
		}
		if r := b.must(422, "POST", path+"/rotate", key, ""); r.errorFields()["scheme"] == "" {
			t.Errorf("rotate while off = %s, want scheme named", r.raw)
		}
		if r := b.must(422, "POST", path+"/rotate", key, `{"overlap_seconds": "soon"}`); r.errorFields()["overlap_seconds"] == "" {
			t.Errorf("rotate with a bad overlap = %s", r.raw)
		}
		if r := b.must(200, "GET", path, key, ""); r.body["scheme"] != "none" {
			t.Fatalf("bad input changed signing: %s", r.raw)
		}

		recv := newSignedHook(t)
		b.must(200, "PUT", "/api/v1/accounts/100/notifications", platformToken, `{"webhook_url": "`+recv.URL+`/in?token=s3cret",
			"events": {"run_failed": {"send_webhook": true}}}`)
		testSend := func() signedRequest {
			t.Helper()
			b.must(200, "POST", "/api/v1/accounts/100/notifications/test", key, `{"event_type": "run_failed"}`)
			return recv.last(t)
		}

		// HMAC on: the secret is shown, and revealed again.
		r = b.must(200, "PUT", path, key, `{"scheme": "hmac-sha256"}`)
		secret1, _ := r.body["secret"].(string)
		keys := r.body["keys"].([]any)
		if !strings.HasPrefix(secret1, "whsec_") || r.body["scheme"] != "hmac-sha256" || len(keys) != 1 || keys[0].(map[string]any)["expires_at"] != nil {
			t.Fatalf("PUT hmac-sha256 = %s", r.raw)
		}
		if raw, err := base64.StdEncoding.DecodeString(secret1[len("whsec_"):]); err != nil || len(raw) != 32 {
			t.Errorf("secret %q is not whsec_ + base64 of 32 bytes", secret1)
		}
		if r := b.must(200, "GET", path+"/secret", key, ""); r.body["secret"] != secret1 {
			t.Errorf("GET secret = %s", r.raw)
		}
		if r := b.must(200, "GET", path, key, ""); r.body["secret"] != nil {
			t.Errorf("GET signing shows the secret: %s", r.raw)
		}

		// An ingested event, its redelivery and a test send all verify.
		ev := b.must(202, "POST", "/api/v1/events", platformToken, event("run_failed", 100, specEvents[4].data))
		b.settled(100)
		ingested := recv.last(t)
		mustVerify(t, "an ingested event", secret1, ingested)
		var hookID string
		for _, d := range ev.body["deliveries"].([]any) {
			if m := d.(map[string]any); m["channel"] == "webhook" {
				hookID = m["id"].(string)
			}
		}
		if ingested.header.Get("Webhook-Id") != hookID {
			t.Errorf("webhook-id %q, want the delivery id %s", ingested.header.Get("Webhook-Id"), hookID)
		}
		b.must(202, "POST", "/api/v1/deliveries/"+hookID+"/redeliver", key, "")
		b.settled(100)
		again := recv.last(t)
		mustVerify(t, "a redelivery", secret1, again)
		if again.header.Get("Webhook-Id") != hookID || string(again.body) != string(ingested.body) {
			t.Errorf("the redelivery is not the same message: id %q", again.header.Get("Webhook-Id"))
		}
		mustVerify(t, "a test send", secret1, testSend())
		// The delivery log shows the signature with the other headers.
		att := b.must(200, "GET", "/api/v1/deliveries/"+hookID, key, "").body["attempts"].([]any)[1].(map[string]any)
		logged := att["request"].(map[string]any)["headers"].(map[string]any)["Webhook-Signature"].([]any)
		if len(logged) != 1 || logged[0] != again.header.Get("Webhook-Signature") {
			t.Errorf("the logged signature %v differs from the one sent %q", logged, again.header.Get("Webhook-Signature"))
		}

		// Rotation with an overlap: both keys sign, newest first.
		r = b.must(200, "POST", path+"/rotate", key, `{"overlap_seconds": 3600}`)
		secret2 := r.body["secret"].(string)
		keys = r.body["keys"].([]any)
		if secret2 == secret1 || len(keys) != 2 || keys[0].(map[string]any)["expires_at"] != nil || keys[1].(map[string]any)["expires_at"] == nil {
			t.Fatalf("rotate = %s", r.raw)
		}
		if end, err := time.Parse(time.RFC3339, keys[1].(map[string]any)["expires_at"].(string)); err != nil || time.Until(end) < 59*time.Minute || time.Until(end) > 61*time.Minute {
			t.Errorf("the previous key expires at %v, want in an hour", keys[1].(map[string]any)["expires_at"])
		}
		sent := testSend()
		mustVerify(t, "a test send during the overlap, new key", secret2, sent)
		mustVerify(t, "a test send during the overlap, old key", secret1, sent)
		if n := len(strings.Fields(sent.header.Get("Webhook-Signature"))); n != 2 {
			t.Errorf("%d signatures during the overlap, want 2", n)
		}
		newest := signedRequest{sent.header.Clone(), sent.body}
		newest.header.Set("Webhook-Signature", strings.Fields(sent.header.Get("Webhook-Signature"))[0])
		if !verifies(t, secret2, newest) {
			t.Error("the first signature is not the newest key's")
		}

		// overlap_seconds 0 ends every previous key at once.
		secret3 := b.must(200, "POST", path+"/rotate", key, `{"overlap_seconds": 0}`).body["secret"].(string)
		sent = testSend()
		mustVerify(t, "a test send after a rotation without overlap", secret3, sent)
		if verifies(t, secret2, sent) || verifies(t, secret1, sent) {
			t.Error("a key whose overlap ended still verifies")
		}

		// Switching to ed25519 overlaps too: v1a first, the HMAC beside it.
		r = b.must(200, "PUT", path, key, `{"scheme": "ed25519"}`)
		keys = r.body["keys"].([]any)
		pub, _ := keys[0].(map[string]any)["public_key"].(string)
		if r.body["scheme"] != "ed25519" || r.body["secret"] != nil || len(keys) != 2 || !strings.HasPrefix(pub, "whpk_") {
			t.Fatalf("PUT ed25519 = %s", r.raw)
		}
		b.must(404, "GET", path+"/secret", key, "")
		sent = testSend()
		sigs := strings.Fields(sent.header.Get("Webhook-Signature"))
		if len(sigs) != 2 || !strings.HasPrefix(sigs[0], "v1a,") || !strings.HasPrefix(sigs[1], "v1,") {
			t.Fatalf("signatures after switching scheme = %q", sigs)
		}
		rawPub, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(pub, "whpk_"))
		if err != nil || len(rawPub) != ed25519.PublicKeySize {
			t.Fatalf("public key %q", pub)
		}
		sig, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(sigs[0], "v1a,"))
		signed := []byte(sent.header.Get("Webhook-Id") + "." + sent.header.Get("Webhook-Timestamp") + "." + string(sent.body))
		if !ed25519.Verify(rawPub, signed, sig) {
			t.Error("the v1a signature does not verify with the published public key")
		}
		signed[len(signed)-2] ^= 1
		if ed25519.Verify(rawPub, signed, sig) {
			t.Error("the v1a signature verifies a changed body")
		}
		mustVerify(t, "the previous HMAC key beside ed25519", secret3, sent)

		// none: nothing signs at once.
		if r := b.must(200, "PUT", path, key, `{"scheme": "none"}`); r.body["scheme"] != "none" || len(r.body["keys"].([]any)) != 0 {
			t.Fatalf("PUT none = %s", r.raw)
		}
		if sig := testSend().header.Values("Webhook-Signature"); sig != nil {
			t.Errorf("signing is off but a signature was sent: %q", sig)
		}
	}, options{delivering: true})
}
