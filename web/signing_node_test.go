package web_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// nodeVerifier is the script that verifies one request with npm's
// standardwebhooks, as a Node receiver would: body on stdin, headers
// (JSON) and secret as arguments; exit 0 when it verifies.
const nodeVerifier = `
const { Webhook } = require(process.argv[1]);
const chunks = [];
process.stdin.on('data', c => chunks.push(c));
process.stdin.on('end', () => {
  try {
    new Webhook(process.argv[3]).verify(Buffer.concat(chunks).toString('utf8'), JSON.parse(process.argv[2]));
    process.exit(0);
  } catch (e) {
    console.error(e.message);
    process.exit(1);
  }
});`

// nodeVerifies reports whether Node's standardwebhooks (npm 1.1.1, which
// scripts/test.sh installs and names in HERALD_TEST_STANDARDWEBHOOKS) accepts
// r under secret. ok is false when it is not installed.
func nodeVerifies(t *testing.T, secret string, r signedRequest) (verified, ok bool) {
	t.Helper()
	dir := os.Getenv("HERALD_TEST_STANDARDWEBHOOKS")
	if dir == "" {
		return false, false
	}
	headers := map[string]string{}
	for k := range r.header {
		headers[strings.ToLower(k)] = r.header.Get(k)
	}
	hj, _ := json.Marshal(headers)
	cmd := exec.Command("node", "-e", nodeVerifier, filepath.Join(dir, "node_modules", "standardwebhooks"), string(hj), secret)
	cmd.Stdin = bytes.NewReader(r.body)
	out, err := cmd.CombinedOutput()
	if _, exited := err.(*exec.ExitError); err != nil && !exited {
		t.Fatalf("node: %v\n%s", err, out)
	}
	return err == nil, true
}

// Node receivers verify Herald's signatures with the Standard Webhooks
// npm package, and a changed byte fails.
func TestSigningVerifiesWithNode(t *testing.T) {
	if os.Getenv("HERALD_TEST_STANDARDWEBHOOKS") == "" {
		t.Skip("set HERALD_TEST_STANDARDWEBHOOKS to a directory holding node_modules/standardwebhooks (scripts/test.sh installs it)")
	}
	each(t, func(t *testing.T, b *bundle) {
		b.account(100, "Acme Corp")
		recv := newSignedHook(t)
		b.must(200, "PUT", "/api/v1/accounts/100/notifications", platformToken, `{"webhook_url": "`+recv.URL+`/in?token=s3cret",
			"events": {"run_failed": {"send_webhook": true}}}`)
		secret := b.must(200, "PUT", "/api/v1/accounts/100/signing", platformToken, `{"scheme": "hmac-sha256"}`).body["secret"].(string)
		b.must(202, "POST", "/api/v1/events", platformToken, event("run_failed", 100, specEvents[4].data))
		b.settled(100)
		sent := recv.last(t)
		if v, _ := nodeVerifies(t, secret, sent); !v {
			t.Error("Node's standardwebhooks rejects Herald's signature")
		}
		changed := signedRequest{sent.header, append([]byte(nil), sent.body...)}
		changed.body[10] ^= 1
		if v, _ := nodeVerifies(t, secret, changed); v {
			t.Error("Node's standardwebhooks accepts a changed body")
		}
	}, options{delivering: true})
}
