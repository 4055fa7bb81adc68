package mailpit_test

import (
	"net"
	"net/smtp"
	"testing"

	"herald/mailpit"
)

func send(t *testing.T, s *mailpit.Server, subject string) error {
	t.Helper()
	msg := "From: a@herald.test\r\nTo: b@herald.test\r\nSubject: " + subject + "\r\nMessage-ID: <" + subject + "@herald.test>\r\n\r\nhello\r\n"
	return smtp.SendMail(s.SMTPAddr(), nil, "a@herald.test", []string{"b@herald.test"}, []byte(msg))
}

// TestStopStart checks what tests of an SMTP outage rely on: a stopped
// server refuses connections, a started one accepts mail again on the
// same port, and what it stored before is still there.
func TestStopStart(t *testing.T) {
	s := mailpit.Start(t)
	if err := send(t, s, "one"); err != nil {
		t.Fatal(err)
	}
	s.Stop()
	if c, err := net.Dial("tcp", s.SMTPAddr()); err == nil {
		c.Close()
		t.Fatal("a stopped Mailpit accepts connections")
	}
	s.Start()
	if err := send(t, s, "two"); err != nil {
		t.Fatal(err)
	}
	ms := s.WaitMessages(2)
	got := map[string]bool{}
	for _, m := range ms {
		got[m.MessageID] = true
	}
	if len(ms) != 2 || !got["one@herald.test"] || !got["two@herald.test"] {
		t.Errorf("messages = %+v, want one and two", ms)
	}
	if raw := s.Raw(ms[0].ID); len(raw) == 0 {
		t.Error("empty raw message")
	}
}
