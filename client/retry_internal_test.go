package client

import (
	"net/http"
	"testing"
	"time"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"3", 3 * time.Second},
		{" 0 ", 0},
		{"-5", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"soon", 0},
	}
	for _, tt := range tests {
		if got := retryAfter(tt.in, now); got != tt.want {
			t.Errorf("retryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestErrorMessage(t *testing.T) {
	e := answerError(422, []byte(`{"error":{"code":"invalid_input","message":"invalid data","fields":{"data.run_id":"must be an integer","data.b":"x"}}}`), http.Header{})
	want := "herald: 422 invalid_input: invalid data; data.b: x; data.run_id: must be an integer"
	if e.Error() != want {
		t.Errorf("Error() = %q, want %q", e.Error(), want)
	}
	e = answerError(502, []byte("<html>bad gateway</html>"), http.Header{"Retry-After": {"2"}})
	if e.Code != "" || e.Message != "<html>bad gateway</html>" || e.RetryAfter != 2*time.Second {
		t.Errorf("non-JSON answer = %+v", e)
	}
}
