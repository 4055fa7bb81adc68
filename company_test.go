package herald_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"herald"
)

func TestParseCompany(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		doc        map[string]any
		want       herald.Company
		wantFields map[string]string
	}{
		{
			name: "contact trimmed",
			doc:  map[string]any{"primary_contact": map[string]any{"name": "  Ann Lee ", "email": " ann@acme.test "}},
			want: herald.Company{PrimaryContact: &herald.Contact{Name: "Ann Lee", Email: "ann@acme.test"}},
		},
		{
			name: "name optional",
			doc:  map[string]any{"primary_contact": map[string]any{"email": "ann@acme.test"}},
			want: herald.Company{PrimaryContact: &herald.Contact{Email: "ann@acme.test"}},
		},
		{
			name: "null clears",
			doc:  map[string]any{"primary_contact": nil},
			want: herald.Company{},
		},
		{
			name:       "missing contact",
			doc:        map[string]any{},
			wantFields: map[string]string{"primary_contact": "is required (null clears it)"},
		},
		{
			name: "unknown fields at both levels",
			doc:  map[string]any{"extra": 1, "primary_contact": map[string]any{"email": "ann@acme.test", "phone": "1"}},
			wantFields: map[string]string{
				"extra":                 "unknown field",
				"primary_contact.phone": "unknown field",
			},
		},
		{
			name:       "contact not an object",
			doc:        map[string]any{"primary_contact": "ann@acme.test"},
			wantFields: map[string]string{"primary_contact": "must be an object with name and email, or null"},
		},
		{
			name: "bad values",
			doc:  map[string]any{"primary_contact": map[string]any{"name": 7.0, "email": "Ann <ann@acme.test>"}},
			wantFields: map[string]string{
				"primary_contact.name":  "must be a string",
				"primary_contact.email": "must be an email address like name@example.com",
			},
		},
		{
			name:       "email required",
			doc:        map[string]any{"primary_contact": map[string]any{"name": "Ann"}},
			wantFields: map[string]string{"primary_contact.email": "is required"},
		},
		{
			name:       "email not a string",
			doc:        map[string]any{"primary_contact": map[string]any{"email": true}},
			wantFields: map[string]string{"primary_contact.email": "must be a string"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := herald.ParseCompany(tt.doc)
			if tt.wantFields != nil {
				e, ok := errors.AsType[*herald.Error](err)
				if !ok || e.Code != herald.CodeInvalid {
					t.Fatalf("ParseCompany error = %v, want invalid_input", err)
				}
				if diff := cmp.Diff(tt.wantFields, e.Fields); diff != "" {
					t.Errorf("fields mismatch (-want +got):\n%s", diff)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseCompany: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("company mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		v        any
		required bool
		want     string
		reason   string // "" when valid
	}{
		{name: "trimmed", v: "  Acme Corp\t", want: "Acme Corp"},
		{name: "empty allowed when optional", v: "  ", want: ""},
		{name: "empty refused when required", v: " ", required: true, reason: "must not be empty"},
		{name: "not a string", v: 12.0, reason: "must be a string"},
		{name: "200 characters", v: strings.Repeat("é", 200), want: strings.Repeat("é", 200)},
		{name: "201 characters", v: strings.Repeat("é", 201), reason: "must be at most 200 characters"},
		{name: "control character", v: "Acme\nCorp", reason: "must not contain control characters"},
		{name: "delete character", v: "Acme\x7f", reason: "must not contain control characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var bad herald.Fields
			got := herald.CheckName(&bad, "name", tt.v, tt.required)
			if bad["name"] != tt.reason {
				t.Errorf("reason = %q, want %q", bad["name"], tt.reason)
			}
			if tt.reason == "" && got != tt.want {
				t.Errorf("name = %q, want %q", got, tt.want)
			}
		})
	}
}
