package dispatch

import (
	"testing"
	"time"
)

func TestParseSchedule(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{in: "", want: ""},
		{in: "30s", want: "30s"},
		{in: " 5s, 5m ,2h", want: "5s,5m0s,2h0m0s"},
		{in: "5s,,5m", wantErr: true},
		{in: "5s,-1m", wantErr: true},
		{in: "0s", wantErr: true},
		{in: "soon", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseSchedule(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseSchedule(%q) error %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if err == nil && got.String() != tt.want {
			t.Errorf("ParseSchedule(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// The default email schedule outlasts a day-long SMTP outage.
func TestDefaultEmailRetryScheduleSpansADay(t *testing.T) {
	if got := DefaultEmailRetrySchedule.Total(); got < 24*time.Hour {
		t.Errorf("the default email retry schedule spans %v, want at least 24h", got)
	}
	again, err := ParseSchedule(DefaultEmailRetrySchedule.String())
	if err != nil || again.String() != DefaultEmailRetrySchedule.String() {
		t.Errorf("the default schedule does not read back: %v, %v", again, err)
	}
}

// Next waits each delay plus at most a fifth of it, and ends with the
// schedule.
func TestScheduleNext(t *testing.T) {
	s := Schedule{time.Second, time.Minute}
	for attempts, base := range map[int]time.Duration{1: time.Second, 2: time.Minute} {
		for range 100 {
			got, ok := s.Next(attempts)
			if !ok || got < base || got > base+base/5 {
				t.Fatalf("Next(%d) = %v, %v; want %v to %v", attempts, got, ok, base, base+base/5)
			}
		}
	}
	for _, attempts := range []int{0, 3} {
		if _, ok := s.Next(attempts); ok {
			t.Errorf("Next(%d) should be the end of a two-delay schedule", attempts)
		}
	}
}
