package herald_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"herald"
)

// fakeGuard refuses the hosts in refused, as the private-network guard
// would, and records every host it was asked about.
type fakeGuard struct {
	mu      sync.Mutex
	refused map[string]bool
	asked   []string
}

func newFakeGuard() *fakeGuard {
	return &fakeGuard{refused: map[string]bool{"internal.acme.test": true, "127.0.0.1": true}}
}

func (g *fakeGuard) CheckHost(_ context.Context, host string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.asked = append(g.asked, host)
	if g.refused[host] {
		return fmt.Errorf("%s is a private address", host)
	}
	return nil
}

// decodeDoc decodes a JSON object the way the API does: objects as
// map[string]any, numbers as json.Number.
func decodeDoc(t *testing.T, src string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(src))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("decoding test document %s: %v", src, err)
	}
	return doc
}

// jsonString returns s as a JSON string literal.
func jsonString(t *testing.T, s string) string {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// subscriberList returns n distinct addresses, as a JSON array.
func subscriberList(t *testing.T, n int) (string, []string) {
	t.Helper()
	addrs := make([]string, n)
	for i := range addrs {
		addrs[i] = fmt.Sprintf("user%02d@acme.test", i)
	}
	b, err := json.Marshal(addrs)
	if err != nil {
		t.Fatal(err)
	}
	return string(b), addrs
}

// wantSettings returns DefaultSettings with edit applied.
func wantSettings(edit func(*herald.Settings)) herald.Settings {
	s := herald.DefaultSettings()
	if edit != nil {
		edit(&s)
	}
	return s
}

// invalidFields asserts err is an invalid-input *herald.Error and returns the
// paths it names with their reasons.
func invalidFields(t *testing.T, err error) map[string]string {
	t.Helper()
	if err == nil {
		t.Fatal("ParseSettings succeeded, want an invalid-input error")
	}
	e, ok := errors.AsType[*herald.Error](err)
	if !ok {
		t.Fatalf("error %v (%T) is not a *herald.Error", err, err)
	}
	if e.Code != herald.CodeInvalid {
		t.Errorf("Code = %q, want %q", e.Code, herald.CodeInvalid)
	}
	if e.Message == "" {
		t.Error("Message is empty")
	}
	for path, reason := range e.Fields {
		if reason == "" {
			t.Errorf("field %q has an empty reason", path)
		}
	}
	return e.Fields
}

const apiExample = `{
  "webhook_url": "https://hooks.acme.test/in?token=s3cret",
  "events": {
    "integration_created":         {"send_webhook": true,  "email_subscribers": ["ops@acme.test"]},
    "tenant_created":              {"send_webhook": true,  "email_subscribers": []},
    "tenant_archived":             {"send_webhook": false, "email_subscribers": []},
    "partner_integration_updated": {"send_webhook": false, "email_subscribers": []},
    "run_failed":                  {"send_webhook": true,  "email_subscribers": ["oncall@acme.test", "dev@acme.test"]}
  }
}`

func TestParseSettingsAcceptsValidDocuments(t *testing.T) {
	t.Parallel()
	list50, addrs50 := subscriberList(t, 50)
	list50dup, _ := subscriberList(t, 50)
	// 51 items, one a case-variant duplicate: 50 distinct subscribers.
	list50dup = strings.TrimSuffix(list50dup, "]") + `,"USER07@ACME.TEST"]`
	url2048 := "https://hooks.acme.test/" + strings.Repeat("a", herald.MaxWebhookURLLength-len("https://hooks.acme.test/"))

	tests := []struct {
		name string
		doc  string
		want herald.Settings
	}{
		{
			name: "api.md example keeps URL, toggles and subscribers",
			doc:  apiExample,
			want: herald.Settings{
				WebhookURL: "https://hooks.acme.test/in?token=s3cret",
				Events: map[herald.EventKey]herald.EventSettings{
					herald.IntegrationCreated:        {SendWebhook: true, EmailSubscribers: []string{"ops@acme.test"}},
					herald.TenantCreated:             {SendWebhook: true, EmailSubscribers: []string{}},
					herald.TenantArchived:            {SendWebhook: false, EmailSubscribers: []string{}},
					herald.PartnerIntegrationUpdated: {SendWebhook: false, EmailSubscribers: []string{}},
					herald.RunFailed:                 {SendWebhook: true, EmailSubscribers: []string{"oncall@acme.test", "dev@acme.test"}},
				},
			},
		},
		{
			name: "empty document gives the defaults with all five events",
			doc:  `{}`,
			want: herald.DefaultSettings(),
		},
		{
			name: "absent events key gives the defaults",
			doc:  `{"webhook_url": ""}`,
			want: herald.DefaultSettings(),
		},
		{
			name: "null events gives the defaults",
			doc:  `{"events": null}`,
			want: herald.DefaultSettings(),
		},
		{
			name: "empty events object gives all five events",
			doc:  `{"events": {}}`,
			want: herald.DefaultSettings(),
		},
		{
			name: "absent keys inside one event default to off and empty",
			doc:  `{"events": {"run_failed": {}, "tenant_created": {"send_webhook": false}}}`,
			want: herald.DefaultSettings(),
		},
		{
			name: "null subscribers is an empty list",
			doc:  `{"events": {"run_failed": {"email_subscribers": null}}}`,
			want: herald.DefaultSettings(),
		},
		{
			name: "one event given, the other four present with defaults",
			doc:  `{"webhook_url": "https://hooks.acme.test/x", "events": {"tenant_archived": {"send_webhook": true, "email_subscribers": ["a@acme.test"]}}}`,
			want: wantSettings(func(s *herald.Settings) {
				s.WebhookURL = "https://hooks.acme.test/x"
				s.Events[herald.TenantArchived] = herald.EventSettings{SendWebhook: true, EmailSubscribers: []string{"a@acme.test"}}
			}),
		},
		{
			name: "URL without toggles is kept",
			doc:  `{"webhook_url": "http://hooks.acme.test:8443/in"}`,
			want: wantSettings(func(s *herald.Settings) { s.WebhookURL = "http://hooks.acme.test:8443/in" }),
		},
		{
			name: "URL is trimmed of surrounding spaces and otherwise kept byte for byte",
			doc:  `{"webhook_url": "  https://hooks.acme.test/in?token=s3cret&b=%20x \t\n"}`,
			want: wantSettings(func(s *herald.Settings) { s.WebhookURL = "https://hooks.acme.test/in?token=s3cret&b=%20x" }),
		},
		{
			name: "URL path and query escapes are not normalised",
			doc:  `{"webhook_url": "https://Hooks.Acme.test/A%2fB/?q=a+b&q=%41&empty=&flag"}`,
			want: wantSettings(func(s *herald.Settings) {
				s.WebhookURL = "https://Hooks.Acme.test/A%2fB/?q=a+b&q=%41&empty=&flag"
			}),
		},
		{
			name: "URL of only spaces means no webhook",
			doc:  `{"webhook_url": "   "}`,
			want: herald.DefaultSettings(),
		},
		{
			name: "URL of exactly 2048 characters is accepted",
			doc:  `{"webhook_url": ` + jsonString(t, url2048) + `}`,
			want: wantSettings(func(s *herald.Settings) { s.WebhookURL = url2048 }),
		},
		{
			name: "subscribers as comma-separated string with spaces and empty items",
			doc:  `{"events": {"run_failed": {"email_subscribers": "a@x.test,, b@x.test,"}}}`,
			want: wantSettings(func(s *herald.Settings) {
				s.Events[herald.RunFailed] = herald.EventSettings{EmailSubscribers: []string{"a@x.test", "b@x.test"}}
			}),
		},
		{
			name: "comma-separated string of only separators and spaces is empty",
			doc:  `{"events": {"run_failed": {"email_subscribers": " , ,,"}}}`,
			want: herald.DefaultSettings(),
		},
		{
			name: "list items are trimmed and empty items skipped",
			doc:  `{"events": {"run_failed": {"email_subscribers": ["  a@x.test ", "", "   ", "b@x.test"]}}}`,
			want: wantSettings(func(s *herald.Settings) {
				s.Events[herald.RunFailed] = herald.EventSettings{EmailSubscribers: []string{"a@x.test", "b@x.test"}}
			}),
		},
		{
			name: "case-insensitive duplicates in a string keep the first spelling",
			doc:  `{"events": {"run_failed": {"email_subscribers": "Ops@Acme.test, dev@acme.test, ops@acme.test,OPS@ACME.TEST"}}}`,
			want: wantSettings(func(s *herald.Settings) {
				s.Events[herald.RunFailed] = herald.EventSettings{EmailSubscribers: []string{"Ops@Acme.test", "dev@acme.test"}}
			}),
		},
		{
			name: "case-insensitive duplicates in a list keep the first spelling",
			doc:  `{"events": {"run_failed": {"email_subscribers": ["dev@acme.test", "Ops@Acme.test", "DEV@acme.test", "ops@acme.test"]}}}`,
			want: wantSettings(func(s *herald.Settings) {
				s.Events[herald.RunFailed] = herald.EventSettings{EmailSubscribers: []string{"dev@acme.test", "Ops@Acme.test"}}
			}),
		},
		{
			name: "exactly 50 subscribers are accepted",
			doc:  `{"events": {"run_failed": {"email_subscribers": ` + list50 + `}}}`,
			want: wantSettings(func(s *herald.Settings) {
				s.Events[herald.RunFailed] = herald.EventSettings{EmailSubscribers: addrs50}
			}),
		},
		{
			name: "51 items with a duplicate are 50 distinct subscribers, accepted",
			doc:  `{"events": {"run_failed": {"email_subscribers": ` + list50dup + `}}}`,
			want: wantSettings(func(s *herald.Settings) {
				s.Events[herald.RunFailed] = herald.EventSettings{EmailSubscribers: addrs50}
			}),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := herald.ParseSettings(t.Context(), decodeDoc(t, tt.doc), newFakeGuard())
			if err != nil {
				t.Fatalf("ParseSettings: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseSettings mismatch (-want +got):\n%s", diff)
			}
			if keys := slices.Sorted(maps.Keys(got.Events)); len(keys) != len(herald.EventKeys()) {
				t.Errorf("Events has keys %v, want all five", keys)
			}
		})
	}
}

func TestParseSettingsNamesEveryBadField(t *testing.T) {
	t.Parallel()
	list51, _ := subscriberList(t, 51)
	url2049 := "https://hooks.acme.test/" + strings.Repeat("a", herald.MaxWebhookURLLength+1-len("https://hooks.acme.test/"))

	badURL := func(u string) string { return `{"webhook_url": ` + jsonString(t, u) + `}` }
	tests := []struct {
		name string
		doc  string
		want []string // exactly the paths named
	}{
		{"URL that is not a URL", badURL("not a url"), []string{"webhook_url"}},
		{"URL with ftp scheme", badURL("ftp://x.test"), []string{"webhook_url"}},
		{"URL without scheme", badURL("hooks.acme.test/in"), []string{"webhook_url"}},
		{"URL with scheme and no host", badURL("https://"), []string{"webhook_url"}},
		{"URL with empty host and a path", badURL("http:///path"), []string{"webhook_url"}},
		{"URL with port and no host name", badURL("https://:443/in"), []string{"webhook_url"}},
		{"opaque URL", badURL("https:hooks.acme.test"), []string{"webhook_url"}},
		{"URL with user and password", badURL("https://user:pw@x.test"), []string{"webhook_url"}},
		{"URL with user only", badURL("https://user@x.test/in"), []string{"webhook_url"}},
		{"URL with fragment", badURL("https://x.test/#frag"), []string{"webhook_url"}},
		{"URL with empty fragment", badURL("https://x.test/in#"), []string{"webhook_url"}},
		{"URL with port 0", badURL("https://x.test:0/in"), []string{"webhook_url"}},
		{"URL with port above 65535", badURL("https://x.test:65536/in"), []string{"webhook_url"}},
		{"URL with control character", badURL("https://x.test/a\x7fb"), []string{"webhook_url"}},
		{"URL of 2049 characters", badURL(url2049), []string{"webhook_url"}},
		{"URL to a private host name (guard)", badURL("https://internal.acme.test/hook"), []string{"webhook_url"}},
		{"URL to loopback with a port (guard)", badURL("http://127.0.0.1:8080/hook"), []string{"webhook_url"}},
		{"URL that is a number", `{"webhook_url": 42}`, []string{"webhook_url"}},
		{"URL that is null", `{"webhook_url": null}`, []string{"webhook_url"}},
		{"URL that is a list", `{"webhook_url": ["https://x.test"]}`, []string{"webhook_url"}},
		{
			"toggle on with empty URL",
			`{"webhook_url": "", "events": {"run_failed": {"send_webhook": true}}}`,
			[]string{"events.run_failed.send_webhook"},
		},
		{
			"toggle on with no URL key",
			`{"events": {"run_failed": {"send_webhook": true}}}`,
			[]string{"events.run_failed.send_webhook"},
		},
		{
			"toggle on with a URL of only spaces",
			`{"webhook_url": "  ", "events": {"run_failed": {"send_webhook": true}}}`,
			[]string{"events.run_failed.send_webhook"},
		},
		{
			"toggle on with invalid URL names both",
			`{"webhook_url": "ftp://x.test", "events": {"run_failed": {"send_webhook": true}}}`,
			[]string{"webhook_url", "events.run_failed.send_webhook"},
		},
		{
			"toggle on with a refused private URL names both",
			`{"webhook_url": "https://internal.acme.test/", "events": {"run_failed": {"send_webhook": true}}}`,
			[]string{"webhook_url", "events.run_failed.send_webhook"},
		},
		{
			"toggle on with a non-string URL names both",
			`{"webhook_url": 1, "events": {"run_failed": {"send_webhook": true}}}`,
			[]string{"webhook_url", "events.run_failed.send_webhook"},
		},
		{
			"toggle off with invalid URL names only the URL",
			`{"webhook_url": "ftp://x.test", "events": {"run_failed": {"send_webhook": false}}}`,
			[]string{"webhook_url"},
		},
		{"toggle as string", `{"webhook_url": "https://x.test", "events": {"run_failed": {"send_webhook": "true"}}}`, []string{"events.run_failed.send_webhook"}},
		{"toggle as number", `{"webhook_url": "https://x.test", "events": {"run_failed": {"send_webhook": 1}}}`, []string{"events.run_failed.send_webhook"}},
		{"toggle as null", `{"events": {"run_failed": {"send_webhook": null}}}`, []string{"events.run_failed.send_webhook"}},
		{
			"bad second address in a list",
			`{"events": {"run_failed": {"email_subscribers": ["ops@acme.test", "not-an-address"]}}}`,
			[]string{"events.run_failed.email_subscribers[1]"},
		},
		{
			"bad second address in a comma-separated string",
			`{"events": {"run_failed": {"email_subscribers": "ops@acme.test, not-an-address"}}}`,
			[]string{"events.run_failed.email_subscribers[1]"},
		},
		{
			"index counts empty items of a comma-separated string",
			`{"events": {"run_failed": {"email_subscribers": "ops@acme.test,, bad@"}}}`,
			[]string{"events.run_failed.email_subscribers[2]"},
		},
		{
			"every bad address is named by its index",
			`{"events": {"tenant_created": {"email_subscribers": ["x", "ok@acme.test", "Ann <ann@acme.test>"]}}}`,
			[]string{"events.tenant_created.email_subscribers[0]", "events.tenant_created.email_subscribers[2]"},
		},
		{
			"non-string list element",
			`{"events": {"run_failed": {"email_subscribers": ["ops@acme.test", 7]}}}`,
			[]string{"events.run_failed.email_subscribers[1]"},
		},
		{
			"null list element",
			`{"events": {"run_failed": {"email_subscribers": [null]}}}`,
			[]string{"events.run_failed.email_subscribers[0]"},
		},
		{
			"more than 50 distinct subscribers",
			`{"events": {"run_failed": {"email_subscribers": ` + list51 + `}}}`,
			[]string{"events.run_failed.email_subscribers"},
		},
		{
			"subscribers as a number",
			`{"events": {"run_failed": {"email_subscribers": 5}}}`,
			[]string{"events.run_failed.email_subscribers"},
		},
		{
			"subscribers as an object",
			`{"events": {"run_failed": {"email_subscribers": {"a": "ops@acme.test"}}}}`,
			[]string{"events.run_failed.email_subscribers"},
		},
		{"unknown event key", `{"events": {"nope": {}}}`, []string{"events.nope"}},
		{"wire name is not a settings key", `{"events": {"new_tenant_created": {}}}`, []string{"events.new_tenant_created"}},
		{"unknown top-level field", `{"extra": 1}`, []string{"extra"}},
		{"unknown field inside an event", `{"events": {"run_failed": {"colour": "red"}}}`, []string{"events.run_failed.colour"}},
		{"event that is not an object", `{"events": {"run_failed": true}}`, []string{"events.run_failed"}},
		{"events as a list", `{"events": []}`, []string{"events"}},
		{"events as a string", `{"events": "run_failed"}`, []string{"events"}},
		{
			"several bad fields are reported at once",
			`{
			  "webhook_url": "https://user:pw@x.test",
			  "extra": true,
			  "events": {
			    "nope": {},
			    "tenant_created": {"send_webhook": "yes", "colour": 1},
			    "run_failed": {"send_webhook": true, "email_subscribers": "ops@acme.test, bad"}
			  }
			}`,
			[]string{
				"webhook_url",
				"extra",
				"events.nope",
				"events.tenant_created.send_webhook",
				"events.tenant_created.colour",
				"events.run_failed.send_webhook",
				"events.run_failed.email_subscribers[1]",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := herald.ParseSettings(t.Context(), decodeDoc(t, tt.doc), newFakeGuard())
			fields := invalidFields(t, err)
			if diff := cmp.Diff(slices.Sorted(slices.Values(tt.want)), slices.Sorted(maps.Keys(fields))); diff != "" {
				t.Errorf("invalid fields mismatch (-want +got):\n%s\nreasons: %v", diff, fields)
			}
			if diff := cmp.Diff(herald.Settings{}, got); diff != "" {
				t.Errorf("settings returned with an error (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseSettingsAsksGuardForHostNameOnly(t *testing.T) {
	t.Parallel()
	g := newFakeGuard()
	doc := decodeDoc(t, `{"webhook_url": "https://hooks.acme.test:8443/in?x=1"}`)
	if _, err := herald.ParseSettings(t.Context(), doc, g); err != nil {
		t.Fatalf("ParseSettings: %v", err)
	}
	if diff := cmp.Diff([]string{"hooks.acme.test"}, g.asked); diff != "" {
		t.Errorf("hosts checked mismatch (-want +got):\n%s", diff)
	}
}

func TestParseSettingsWithNilGuardAllowsEveryHost(t *testing.T) {
	t.Parallel()
	doc := decodeDoc(t, `{"webhook_url": "http://127.0.0.1:8080/hook"}`)
	got, err := herald.ParseSettings(t.Context(), doc, nil)
	if err != nil {
		t.Fatalf("ParseSettings: %v", err)
	}
	if got.WebhookURL != "http://127.0.0.1:8080/hook" {
		t.Errorf("WebhookURL = %q, want %q", got.WebhookURL, "http://127.0.0.1:8080/hook")
	}
}

func TestParseSettingsGuardRefusalReasonIsGiven(t *testing.T) {
	t.Parallel()
	_, err := herald.ParseSettings(t.Context(), decodeDoc(t, `{"webhook_url": "https://internal.acme.test/"}`), newFakeGuard())
	fields := invalidFields(t, err)
	if !strings.Contains(fields["webhook_url"], "internal.acme.test is a private address") {
		t.Errorf("webhook_url reason = %q, want it to carry the guard's reason", fields["webhook_url"])
	}
}

func TestParseSettingsDoesNotModifyDocument(t *testing.T) {
	t.Parallel()
	doc := decodeDoc(t, apiExample)
	before := decodeDoc(t, apiExample)
	if _, err := herald.ParseSettings(t.Context(), doc, newFakeGuard()); err != nil {
		t.Fatalf("ParseSettings: %v", err)
	}
	if diff := cmp.Diff(before, doc); diff != "" {
		t.Errorf("document changed (-before +after):\n%s", diff)
	}
}

func TestSettingsMarshalJSONDefaultIsExact(t *testing.T) {
	t.Parallel()
	const want = `{"webhook_url":"","retry_failed_webhooks":false,"events":{` +
		`"integration_created":{"send_webhook":false,"email_subscribers":[],"email_digest_minutes":0},` +
		`"tenant_created":{"send_webhook":false,"email_subscribers":[],"email_digest_minutes":0},` +
		`"tenant_archived":{"send_webhook":false,"email_subscribers":[],"email_digest_minutes":0},` +
		`"partner_integration_updated":{"send_webhook":false,"email_subscribers":[],"email_digest_minutes":0},` +
		`"run_failed":{"send_webhook":false,"email_subscribers":[],"email_digest_minutes":0}}}`
	tests := []struct {
		name string
		s    herald.Settings
	}{
		{"DefaultSettings", herald.DefaultSettings()},
		{"zero Settings (nil Events map)", herald.Settings{}},
		{"nil subscriber lists", herald.Settings{Events: map[herald.EventKey]herald.EventSettings{
			herald.RunFailed: {}, herald.TenantCreated: {EmailSubscribers: nil},
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tt.s.MarshalJSON()
			if err != nil {
				t.Fatalf("MarshalJSON: %v", err)
			}
			if diff := cmp.Diff(want, string(got)); diff != "" {
				t.Errorf("MarshalJSON mismatch (-want +got):\n%s", diff)
			}
			// Through encoding/json too, as the API writes it.
			viaJSON, err := json.Marshal(tt.s)
			if err != nil {
				t.Fatalf("json.Marshal: %v", err)
			}
			if diff := cmp.Diff(want, string(viaJSON)); diff != "" {
				t.Errorf("json.Marshal mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSettingsMarshalJSONKeepsSpecOrderAndValues(t *testing.T) {
	t.Parallel()
	s := herald.DefaultSettings()
	s.WebhookURL = "https://hooks.acme.test/in"
	s.Events[herald.RunFailed] = herald.EventSettings{SendWebhook: true, EmailSubscribers: []string{"oncall@acme.test", "dev@acme.test"}}
	s.Events[herald.IntegrationCreated] = herald.EventSettings{SendWebhook: true, EmailSubscribers: nil}
	const want = `{"webhook_url":"https://hooks.acme.test/in","retry_failed_webhooks":false,"events":{` +
		`"integration_created":{"send_webhook":true,"email_subscribers":[],"email_digest_minutes":0},` +
		`"tenant_created":{"send_webhook":false,"email_subscribers":[],"email_digest_minutes":0},` +
		`"tenant_archived":{"send_webhook":false,"email_subscribers":[],"email_digest_minutes":0},` +
		`"partner_integration_updated":{"send_webhook":false,"email_subscribers":[],"email_digest_minutes":0},` +
		`"run_failed":{"send_webhook":true,"email_subscribers":["oncall@acme.test","dev@acme.test"],"email_digest_minutes":0}}}`
	got, err := json.Marshal(s)
	if err != nil {
		t.Fatalf("json.Marshal: %v", err)
	}
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("json.Marshal mismatch (-want +got):\n%s", diff)
	}
}

func TestSettingsMarshalJSONRoundTripsThroughParseSettings(t *testing.T) {
	t.Parallel()
	want, err := herald.ParseSettings(t.Context(), decodeDoc(t, `{
	  "webhook_url": "https://hooks.acme.test/in?token=s3cret&b=%20x",
	  "events": {"run_failed": {"send_webhook": true, "email_subscribers": "a&b@acme.test, Dev@acme.test"}}
	}`), newFakeGuard())
	if err != nil {
		t.Fatalf("ParseSettings: %v", err)
	}
	b, err := json.Marshal(want)
	if err != nil {
		t.Fatalf("json.Marshal: %v", err)
	}
	got, err := herald.ParseSettings(t.Context(), decodeDoc(t, string(b)), newFakeGuard())
	if err != nil {
		t.Fatalf("ParseSettings of marshalled %s: %v", b, err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("round trip mismatch (-want +got):\n%s", diff)
	}
}

func TestMaskURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"no query is unchanged", "https://hooks.acme.test/in", "https://hooks.acme.test/in"},
		{"empty string is unchanged", "", ""},
		{"every value masked", "https://hooks.acme.test/in?token=s3cret&x=1", "https://hooks.acme.test/in?token=***&x=***"},
		{"bare value is the secret", "https://hooks.acme.test/in?s3cret", "https://hooks.acme.test/in?***"},
		{"empty value still masked", "https://hooks.acme.test/in?a=", "https://hooks.acme.test/in?a=***"},
		{"empty part between ampersands kept", "https://hooks.acme.test/in?a=1&&b=2", "https://hooks.acme.test/in?a=***&&b=***"},
		{"value containing = masked whole", "https://h.test/?sig=ab==&t=1", "https://h.test/?sig=***&t=***"},
		{"escaped value masked", "https://h.test/?b=%20x", "https://h.test/?b=***"},
		{"lone question mark unchanged", "https://h.test/in?", "https://h.test/in?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := herald.MaskURL(tt.in); got != tt.want {
				t.Errorf("MaskURL(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
