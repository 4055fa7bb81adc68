package email

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"herald"
	"herald/catalog"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var testNow = time.Date(2026, 5, 4, 12, 0, 5, 0, time.UTC)

func newRenderer(t testing.TB) *Renderer {
	t.Helper()
	r, err := NewRenderer("Herald <herald@localhost>")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// specPayload returns the spec example payload of the event with key k.
func specPayload(t testing.TB, k herald.EventKey) []byte {
	t.Helper()
	ev := catalog.ByKey(k)
	if ev == nil {
		t.Fatalf("no event %q", k)
	}
	b, err := os.ReadFile(filepath.Join("..", "catalog", "testdata", ev.Type+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func specNotification(t testing.TB, k herald.EventKey) Notification {
	return Notification{EventKey: k, AccountName: "Acme Corp", Payload: specPayload(t, k), DeliveryID: "dlv_01jtest"}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it)\n--- got:\n%s\n--- want:\n%s", path, got, want)
	}
}

func TestRenderSpecExamples(t *testing.T) {
	t.Parallel()
	r := newRenderer(t)
	tests := []struct {
		key     herald.EventKey
		subject string
		summary string
	}{
		{herald.RunFailed, "[Acme Corp] Run 9876 failed: Shopify Integration / Widget Co",
			"Run 9876 of Shopify Integration for tenant Widget Co failed in prod-acme."},
		{herald.IntegrationCreated, "[Acme Corp] New integration: Shopify Integration",
			"A new integration, Shopify Integration, was created in prod-acme."},
		{herald.TenantCreated, "[Acme Corp] New tenant Widget Co on Shopify Integration",
			"A new tenant, Widget Co, was created on Shopify Integration in prod-acme."},
		{herald.TenantArchived, "[Acme Corp] Tenant archived: Widget Co (Shopify Integration)",
			"Tenant Widget Co of Shopify Integration was archived in prod-acme."},
		{herald.PartnerIntegrationUpdated, "[Acme Corp] Partner Inc updated Shopify Integration",
			"Partner Inc updated the integration Shopify Integration in prod-acme."},
	}
	for _, tt := range tests {
		t.Run(string(tt.key), func(t *testing.T) {
			t.Parallel()
			ev := catalog.ByKey(tt.key)
			m, err := r.Render(specNotification(t, tt.key), "ann@acme.test", testNow)
			if err != nil {
				t.Fatal(err)
			}
			if m.Subject != tt.subject {
				t.Errorf("subject = %q, want %q", m.Subject, tt.subject)
			}
			if m.From != `"Herald" <herald@localhost>` || m.To != "ann@acme.test" {
				t.Errorf("from, to = %q, %q", m.From, m.To)
			}
			if m.MessageID != "dlv_01jtest@localhost" || !m.Date.Equal(testNow) {
				t.Errorf("message id, date = %q, %v", m.MessageID, m.Date)
			}
			want := map[string]string{"X-Herald-Event": string(tt.key), "X-Herald-Delivery": "dlv_01jtest", "Auto-Submitted": "auto-generated",
				"List-Id": "<" + string(tt.key) + ".100.herald>"}
			if len(m.Headers) != len(want) {
				t.Errorf("headers = %v, want %v", m.Headers, want)
			}
			for k, v := range want {
				if m.Headers[k] != v {
					t.Errorf("header %s = %q, want %q", k, m.Headers[k], v)
				}
			}

			// Both parts: the summary first, every payload field in payload
			// order, the footer.
			footer := "You receive this because you are subscribed to " + ev.Name + " notifications for Acme Corp, or are its primary contact."
			if !strings.HasPrefix(m.Text, ev.Name+"\n\n"+tt.summary+"\n") {
				t.Errorf("text does not start with the summary:\n%s", m.Text)
			}
			fields, err := parsePayload(specPayload(t, tt.key))
			if err != nil {
				t.Fatal(err)
			}
			if len(fields) != 5+len(ev.Fields) {
				t.Fatalf("payload has %d fields", len(fields))
			}
			for _, part := range []struct{ name, body, open, close string }{
				{"text", m.Text, "", "\n"},
				{"html", m.HTML, ">", "<"},
			} {
				rest := part.body
				for _, s := range []string{tt.summary} {
					i := strings.Index(rest, s)
					if i < 0 {
						t.Fatalf("%s: no %q", part.name, s)
					}
					rest = rest[i+len(s):]
				}
				for _, f := range fields {
					i := strings.Index(rest, label(f.Name))
					j := strings.Index(rest, part.open+f.Value+part.close)
					if i < 0 || j < i {
						t.Fatalf("%s: field %s (%q) missing or out of order", part.name, f.Name, f.Value)
					}
					rest = rest[j:]
				}
				if !strings.Contains(rest, footer) {
					t.Errorf("%s: footer missing after the fields", part.name)
				}
				link := "https://admin.prod-acme.pandium.com/runs/9876/show"
				hasLink := strings.Contains(part.body, "View the run")
				if tt.key == herald.RunFailed {
					if !hasLink {
						t.Errorf("%s: no View the run link", part.name)
					}
					if part.name == "text" && !strings.Contains(m.Text, "View the run: "+link+"\n") {
						t.Errorf("text: no link line")
					}
					if part.name == "html" && !strings.Contains(m.HTML, `<a href="`+link+`" style="display:inline-block;`) {
						t.Errorf("html: no link button")
					}
				} else if hasLink {
					t.Errorf("%s: View the run for %s", part.name, tt.key)
				}
			}
			if strings.Contains(m.HTML, "http://") || strings.Contains(m.HTML, "src=") || strings.Contains(m.HTML, "<link") {
				t.Errorf("html refers to external resources")
			}

			golden(t, ev.Type+".subject.txt", m.Subject+"\n")
		})
	}
}

func TestRenderHostileNames(t *testing.T) {
	t.Parallel()
	r := newRenderer(t)
	payload := `{"event_type":"run_failed","environment":"prod-acme","account_id":100,"account_name":"Acme Corp","timestamp":"2026-05-04T12:00:00Z",` +
		`"run_id":1,"run_status":"failed","admin_link":"javascript:alert(1)","api_link":"https://api.test/v2/runs/1",` +
		`"api_status_link":"https://api.test/v2/runs/1/status","api_triggers_link":"https://api.test/v2/runs/1/triggers",` +
		`"tenant_id":2,"tenant_name":"<script>alert(\"t\")</script>","integration_id":3,"integration_name":"Evil\r\nBcc: eve@evil.test\nX"}`
	tests := []struct {
		name    string
		account string
		subject string
	}{
		{"names in payload", "Acme Corp", "[Acme Corp] Run 1 failed: Evil  Bcc: eve@evil.test X / <script>alert(\"t\")</script>"},
		{"account with CRLF", "Acme\r\nCorp\u2028", "[Acme  Corp ] Run 1 failed: Evil  Bcc: eve@evil.test X / <script>alert(\"t\")</script>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			n := Notification{EventKey: herald.RunFailed, AccountName: tt.account, Payload: []byte(payload), DeliveryID: "dlv_x"}
			m, err := r.Render(n, "ann@acme.test", testNow)
			if err != nil {
				t.Fatal(err)
			}
			if m.Subject != tt.subject {
				t.Errorf("subject = %q, want %q", m.Subject, tt.subject)
			}
			if strings.ContainsAny(m.Subject, "\r\n") {
				t.Errorf("subject has CR/LF: %q", m.Subject)
			}
			if strings.Contains(m.HTML, "<script>") || !strings.Contains(m.HTML, "&lt;script&gt;alert(&#34;t&#34;)&lt;/script&gt;") {
				t.Errorf("html does not escape the tenant name:\n%s", m.HTML)
			}
			if !strings.Contains(m.Text, `<script>alert("t")</script>`) {
				t.Errorf("text does not show the tenant name as is:\n%s", m.Text)
			}
			if strings.Contains(m.HTML, `href="javascript:`) || strings.Contains(m.HTML, "View the run") || strings.Contains(m.Text, "View the run") {
				t.Errorf("a View the run link to javascript:\n%s\n%s", m.Text, m.HTML)
			}
			if strings.Contains(m.Text, "\r") || strings.Contains(m.Text, "\nBcc:") || strings.Contains(m.Text, "\nX") {
				t.Errorf("text has forged lines:\n%s", m.Text)
			}
			b, err := m.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			p := parse(t, b)
			if len(p.header["Bcc"]) != 0 || len(p.header["Cc"]) != 0 || strings.Contains(string(b), "\nBcc:") {
				t.Errorf("message has a Bcc or Cc header:\n%s", b)
			}
			if p.subject != tt.subject {
				t.Errorf("decoded subject = %q, want %q", p.subject, tt.subject)
			}
		})
	}
}

func TestRenderErrors(t *testing.T) {
	t.Parallel()
	r := newRenderer(t)
	good := specNotification(t, herald.TenantCreated)
	tests := []struct {
		name string
		edit func(*Notification)
		to   string
		want string
	}{
		{"unknown event", func(n *Notification) { n.EventKey = "nope" }, "ann@acme.test", "unknown event key"},
		{"no recipient", nil, "", "recipient"},
		{"two recipients", nil, "ann@acme.test, bob@acme.test", "exactly one address"},
		{"bad recipient", nil, "ann", "recipient"},
		{"no delivery id", func(n *Notification) { n.DeliveryID = "" }, "ann@acme.test", "no delivery id"},
		{"delivery id with @", func(n *Notification) { n.DeliveryID = "a@b" }, "ann@acme.test", "delivery id"},
		{"delivery id with CRLF", func(n *Notification) { n.DeliveryID = "a\r\nBcc: x" }, "ann@acme.test", "delivery id"},
		{"payload not an object", func(n *Notification) { n.Payload = []byte(`[1]`) }, "ann@acme.test", "not a JSON object"},
		{"payload broken", func(n *Notification) { n.Payload = []byte(`{"a":`) }, "ann@acme.test", "payload"},
		{"payload trailing data", func(n *Notification) { n.Payload = []byte(`{"a":1} {}`) }, "ann@acme.test", "after the JSON object"},
		{"payload of another event", func(n *Notification) { n.Payload = specPayload(t, herald.TenantArchived) }, "ann@acme.test", "does not match"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			n := good
			if tt.edit != nil {
				tt.edit(&n)
			}
			_, err := r.Render(n, tt.to, testNow)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestRenderSettingsKeyOrWireName(t *testing.T) {
	t.Parallel()
	r := newRenderer(t)
	// The payload says new_tenant_created; the key is tenant_created. A
	// payload without event_type is rendered from the key alone.
	for _, p := range []string{
		string(specPayload(t, herald.TenantCreated)),
		`{"tenant_name":"Widget Co","integration_name":"Shopify Integration"}`,
	} {
		n := Notification{EventKey: herald.TenantCreated, AccountName: "Acme Corp", Payload: []byte(p), DeliveryID: "dlv_1"}
		m, err := r.Render(n, "ann@acme.test", testNow)
		if err != nil {
			t.Fatal(err)
		}
		if want := "[Acme Corp] New tenant Widget Co on Shopify Integration"; m.Subject != want {
			t.Errorf("subject = %q, want %q", m.Subject, want)
		}
	}
	// Without an account name, the payload's is used.
	n := specNotification(t, herald.IntegrationCreated)
	n.AccountName = ""
	m, err := r.Render(n, "ann@acme.test", testNow)
	if err != nil {
		t.Fatal(err)
	}
	if want := "[Acme Corp] New integration: Shopify Integration"; m.Subject != want {
		t.Errorf("subject = %q, want %q", m.Subject, want)
	}
}

func TestNewRenderer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		from   string
		ok     bool
		domain string
	}{
		{"Herald <herald@localhost>", true, "localhost"},
		{"herald@example.com", true, "example.com"},
		{"", false, ""},
		{"Herald", false, ""},
		{"a@b.test, c@d.test", false, ""},
	}
	for _, tt := range tests {
		r, err := NewRenderer(tt.from)
		if (err == nil) != tt.ok {
			t.Errorf("NewRenderer(%q) err = %v, want ok %v", tt.from, err, tt.ok)
			continue
		}
		if tt.ok && r.domain != tt.domain {
			t.Errorf("NewRenderer(%q) domain = %q, want %q", tt.from, r.domain, tt.domain)
		}
	}
}

func TestLabel(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"event_type": "Event type", "account_id": "Account ID", "account_name": "Account",
		"integration_name": "Integration", "api_status_link": "API status link", "timestamp": "Timestamp",
		"name": "Name", "partner_name": "Partner",
	} {
		if got := label(in); got != want {
			t.Errorf("label(%q) = %q, want %q", in, got, want)
		}
		for range 2 { // made, then kept
			if got := keptLabel(in); got != want {
				t.Errorf("keptLabel(%q) = %q, want %q", in, got, want)
			}
		}
	}
}

// The text part's labels are padded as fmt's "%-*s " pads them: to the
// longest label and its colon, counted in runes, and one space more.
func TestRowsPadding(t *testing.T) {
	t.Parallel()
	fields := []field{{Name: "run_id"}, {Name: "ünïcödé_field"}, {Name: "a"}, {Name: "integration_name"}, {Name: "日本"}}
	width := 0
	for _, f := range fields {
		width = max(width, len(label(f.Name))+1)
	}
	for i, r := range rows(fields) {
		if want := fmt.Sprintf("%-*s ", width, label(fields[i].Name)+":"); r.Padded != want {
			t.Errorf("%s padded %q, want %q", fields[i].Name, r.Padded, want)
		}
	}
}

// TestRenderRecipients checks what differs between the primary contact's
// copy (no unsubscribe: the spec sends them everything; a link to the
// settings) and a subscriber's (List-Unsubscribe, one-click, and a footer
// link to unsubscribe).
func TestRenderRecipients(t *testing.T) {
	t.Parallel()
	r := newRenderer(t)
	const settings = "https://herald.example.com/accounts/100/notifications"
	const unsub = "https://herald.example.com/unsubscribe/hu_abc"
	tests := []struct {
		name          string
		settings      string
		unsubscribe   string
		wantHeaders   map[string]string
		wantLink      string
		wantFooterTxt string
	}{
		{"primary contact", settings, "", map[string]string{"List-Unsubscribe": "", "List-Unsubscribe-Post": ""},
			settings, "Notification settings: " + settings},
		{"subscriber", "", unsub, map[string]string{"List-Unsubscribe": "<" + unsub + ">", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
			unsub, "Unsubscribe from Run Failed emails: " + unsub},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			n := specNotification(t, herald.RunFailed)
			n.SettingsURL, n.UnsubscribeURL = tt.settings, tt.unsubscribe
			m, err := r.Render(n, "ann@acme.test", testNow)
			if err != nil {
				t.Fatal(err)
			}
			if got := m.Headers["List-Id"]; got != "<run_failed.100.herald>" {
				t.Errorf("List-Id = %q", got)
			}
			for h, want := range tt.wantHeaders {
				if got := m.Headers[h]; got != want {
					t.Errorf("%s = %q, want %q", h, got, want)
				}
			}
			if !strings.Contains(m.HTML, `<a href="`+tt.wantLink+`"`) {
				t.Errorf("html has no footer link to %s", tt.wantLink)
			}
			if !strings.HasSuffix(m.Text, tt.wantFooterTxt+"\n") {
				t.Errorf("text does not end with %q:\n%s", tt.wantFooterTxt, m.Text)
			}
			p := parse(t, mustBytes(t, m))
			if got := p.header.Get("List-Unsubscribe"); got != tt.wantHeaders["List-Unsubscribe"] {
				t.Errorf("written List-Unsubscribe = %q", got)
			}
		})
	}
}

func TestListID(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ id, want string }{
		{"100", "<tenant_created.100.herald>"}, {"", ""}, {"1x", ""}, {"-1", ""}, {"1 2", ""},
	} {
		if got := ListID(herald.TenantCreated, tt.id); got != tt.want {
			t.Errorf("ListID(%q) = %q, want %q", tt.id, got, tt.want)
		}
	}
}

func mustBytes(t *testing.T, m Message) []byte {
	t.Helper()
	b, err := m.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return b
}
