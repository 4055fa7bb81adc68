package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"herald/client"
)

const eventsUsage = `usage: herald events send -type TYPE -account ID -data JSON|@FILE [-idempotency-key KEY] [flags]

Emits one event to a running Herald, as the platform does, and prints
Herald's answer (the stored event with its payload and planned deliveries)
as JSON. Exit code 0 when Herald accepted it (202) or had it already (200,
same idempotency key); 1 with the error on standard error otherwise; 2 for
bad flags. Network errors, 429 and 503 are retried.

  herald events send -type run_failed -account 100 -idempotency-key run-9876-failed \
    -data '{"run_id": 9876, "tenant_id": 789, "tenant_name": "Widget Co",
            "integration_id": 42, "integration_name": "Shopify Integration"}'

"herald events send -help" lists every flag.
`

// events runs "herald events <subcommand>"; send is the only one.
func events(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, eventsUsage)
		return 2
	}
	switch args[0] {
	case "send":
		return eventsSend(ctx, args[1:], stdin, stdout, stderr, getenv)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, eventsUsage)
		return 0
	default:
		fmt.Fprintf(stderr, "herald events: unknown command %q\n\n%s", args[0], eventsUsage)
		return 2
	}
}

func eventsSend(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	fs := flag.NewFlagSet("herald events send", flag.ContinueOnError)
	fs.SetOutput(stderr)
	eventType := fs.String("type", "", "the event: settings key or wire name, e.g. run_failed (required)")
	account := fs.Int64("account", 0, "the account's id (required)")
	data := fs.String("data", "", "the event's own fields: a JSON object, @FILE to read it from a file, or @- from standard input (required)")
	key := fs.String("idempotency-key", "", "the same key again answers the first event instead of storing a new one (default: a random key, so retries are safe)")
	occurred := fs.String("occurred-at", "", "when it happened, RFC 3339 (default: now)")
	serverURL := fs.String("url", defaultServerURL(getenv), "Herald's base URL (env HERALD_URL; else http:// + HERALD_LISTEN)")
	token := fs.String("token", getenv("HERALD_PLATFORM_TOKEN"), "the platform token (env HERALD_PLATFORM_TOKEN)")
	timeout := fs.Duration("timeout", 30*time.Second, "how long to keep trying, retries included")
	fs.Usage = func() {
		fmt.Fprint(stderr, eventsUsage+"\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	var errs []error
	if fs.NArg() > 0 {
		errs = append(errs, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " ")))
	}
	if *eventType == "" {
		errs = append(errs, errors.New("-type: required, e.g. run_failed"))
	}
	if *account <= 0 {
		errs = append(errs, errors.New("-account: required: the account's id, a positive integer"))
	}
	if *token == "" {
		errs = append(errs, errors.New("-token: required (or set HERALD_PLATFORM_TOKEN)"))
	}
	req := client.EventRequest{EventType: *eventType, AccountID: *account, IdempotencyKey: *key}
	if *occurred != "" {
		t, err := time.Parse(time.RFC3339, *occurred)
		if err != nil {
			errs = append(errs, fmt.Errorf("-occurred-at: want RFC 3339, like 2026-05-04T12:00:00Z: %v", err))
		}
		req.OccurredAt = t
	}
	raw, err := readData(*data, stdin)
	if err != nil {
		errs = append(errs, fmt.Errorf("-data: %w", err))
	}
	req.Data = raw
	if err := errors.Join(errs...); err != nil {
		fmt.Fprintf(stderr, "herald events send: %v\n", err)
		return 2
	}

	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	res, err := client.New(*serverURL, *token, client.WithUserAgent("herald-cli/"+version)).Emit(ctx, req)
	if err != nil {
		if _, ok := errors.AsType[*client.Error](err); ok {
			fmt.Fprintln(stderr, err) // "herald: 422 invalid_input: ..."
		} else {
			fmt.Fprintf(stderr, "herald events send: %v\n", err)
		}
		return 1
	}
	var out bytes.Buffer
	if json.Indent(&out, res.Raw, "", "  ") != nil {
		out.Reset()
		out.Write(res.Raw)
	}
	fmt.Fprintf(stdout, "%s\n", bytes.TrimSpace(out.Bytes()))
	return 0
}

// readData returns -data's JSON object: inline, @FILE, or @- for stdin.
func readData(v string, stdin io.Reader) (json.RawMessage, error) {
	var b []byte
	switch {
	case v == "":
		return nil, errors.New(`required: a JSON object like '{"run_id": 9876, ...}', or @FILE`)
	case v == "@-":
		if stdin == nil {
			stdin = strings.NewReader("")
		}
		var err error
		if b, err = io.ReadAll(stdin); err != nil {
			return nil, err
		}
	case strings.HasPrefix(v, "@"):
		var err error
		if b, err = os.ReadFile(v[1:]); err != nil {
			return nil, err
		}
	default:
		b = []byte(v)
	}
	var obj map[string]any
	if err := json.Unmarshal(b, &obj); err != nil || obj == nil {
		return nil, fmt.Errorf("not a JSON object: %s", strings.TrimSpace(string(b[:min(len(b), 80)])))
	}
	return json.RawMessage(b), nil
}

// defaultServerURL is HERALD_URL, else the listen address as a local
// client reaches it.
func defaultServerURL(getenv func(string) string) string {
	if u := getenv("HERALD_URL"); u != "" {
		return u
	}
	listen := getenv("HERALD_LISTEN")
	if listen == "" {
		listen = "127.0.0.1:8080"
	}
	if strings.HasPrefix(listen, ":") || strings.HasPrefix(listen, "0.0.0.0:") {
		listen = "127.0.0.1" + listen[strings.LastIndex(listen, ":"):]
	}
	return "http://" + listen
}
