package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/smtp"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The relay is the yardstick: the least a service doing Herald's job can
// do, with no storage. It accepts POST /api/v1/events, answers 202, and
// POSTs a webhook body (the event's data plus account_id) to the account's
// URL from 32 senders, as Herald sends at most 32 at once to one host. In
// the realistic mode it also sends each event to every address of
// relayEmailsEnv over SMTP, a plain message per recipient, from 16
// connections (as many as Herald keeps), one net/smtp transaction after
// another. It runs as a child process of heraldbench (this same binary,
// started with relayEnv set), like herald, so both pay for a process of
// their own.
const (
	relayEnv       = "HERALDBENCH_RELAY"        // set to "1" to run as the relay
	relayHooksEnv  = "HERALDBENCH_RELAY_HOOKS"  // account=url,account=url
	relaySMTPEnv   = "HERALDBENCH_RELAY_SMTP"   // host:port of the mail sink; unset: no emails
	relayEmailsEnv = "HERALDBENCH_RELAY_EMAILS" // addr,addr: each event's recipients
	relaySenders   = 32
	relayMailers   = 16
	relayQueue     = 1 << 20 // the relay's queues: bounded, in memory
)

// relayMain serves until SIGTERM; it logs "herald serving" with its
// address the way herald does, so one starter serves both.
func relayMain() int {
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	hooks := map[int64]string{}
	for _, kv := range strings.Split(os.Getenv(relayHooksEnv), ",") {
		a, u, ok := strings.Cut(kv, "=")
		id, err := strconv.ParseInt(a, 10, 64)
		if !ok || err != nil {
			log.Error("bad " + relayHooksEnv)
			return 2
		}
		hooks[id] = u
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Error("listen", "err", err)
		return 1
	}
	type hook struct {
		url  string
		body []byte
		id   string
	}
	queue := make(chan hook, relayQueue)
	var wg sync.WaitGroup
	mails, emails := relayMail(&wg, os.Getenv(relaySMTPEnv), os.Getenv(relayEmailsEnv))
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		MaxIdleConnsPerHost: relaySenders, MaxConnsPerHost: relaySenders, DisableCompression: true,
	}}
	for range relaySenders {
		wg.Go(func() {
			for h := range queue {
				req, err := http.NewRequest(http.MethodPost, h.url, strings.NewReader(string(h.body)))
				if err != nil {
					continue
				}
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-Herald-Delivery", h.id)
				if resp, err := client.Do(req); err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			}
		})
	}
	var seq sync.Mutex
	n := 0
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/events", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			AccountID int64          `json:"account_id"`
			Data      map[string]any `json:"data"`
		}
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil || hooks[in.AccountID] == "" {
			http.Error(w, `{"error":{"code":"invalid"}}`, http.StatusUnprocessableEntity)
			return
		}
		in.Data["account_id"] = in.AccountID
		body, _ := json.Marshal(in.Data)
		seq.Lock()
		n++
		id := fmt.Sprintf("dlv_relay_%d", n)
		seq.Unlock()
		select {
		case queue <- hook{hooks[in.AccountID], body, id}:
		default:
			http.Error(w, `{"error":{"code":"busy"}}`, http.StatusServiceUnavailable)
			return
		}
		answer := fmt.Sprintf(`{"id":%q,"channel":"webhook","status":"pending"}`, id)
		for i, to := range emails {
			select {
			case mails <- mail{to: to, body: body}:
			default:
				http.Error(w, `{"error":{"code":"busy"}}`, http.StatusServiceUnavailable)
				return
			}
			answer += fmt.Sprintf(`,{"id":"%s_%d","channel":"email","status":"pending"}`, id, i)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprintf(w, `{"deliveries":[%s]}`, answer)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	log.Info("herald serving", "addr", ln.Addr().String())
	srv.Serve(ln)
	close(queue)
	close(mails)
	wg.Wait()
	return 0
}

type mail struct {
	to   string
	body []byte
}

// relayMail starts the relay's mailers when addr is set, and returns their
// queue and each event's recipients (none without addr).
func relayMail(wg *sync.WaitGroup, addr, to string) (chan<- mail, []string) {
	q := make(chan mail, relayQueue)
	if addr == "" {
		return q, nil
	}
	for range relayMailers {
		wg.Go(func() {
			var c *smtp.Client
			for m := range q {
				for try := 0; try < 3; try++ {
					if c == nil {
						var err error
						if c, err = smtp.Dial(addr); err != nil {
							continue
						}
					}
					if err := sendMail(c, m); err != nil {
						c.Close()
						c = nil
						continue
					}
					break
				}
			}
			if c != nil {
				c.Quit()
			}
		})
	}
	return q, strings.Split(to, ",")
}

// sendMail sends m as one SMTP transaction on c.
func sendMail(c *smtp.Client, m mail) error {
	if err := c.Mail("relay@bench.test"); err != nil {
		return err
	}
	if err := c.Rcpt(m.to); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "From: relay@bench.test\r\nTo: %s\r\nSubject: Run failed\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n", m.to, m.body)
	return w.Close()
}
