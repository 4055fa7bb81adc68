// Command herald runs Herald: it tells an integration platform's customers
// what happens on the platform, by webhook and by email.
//
//	herald serve         run the HTTP server (migrates the database first)
//	herald migrate       apply database migrations and exit
//	herald users create  add a user of the admin pages
//	herald secrets rotate-key  reseal secrets under a new master key
//	herald events send   emit one event to a running Herald
//	herald version       print the version
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time: -ldflags "-X main.version=v1.2.3".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	go func() {
		// The first signal starts a graceful shutdown; a second one, with
		// the default behaviour restored, ends the process at once.
		<-ctx.Done()
		stop()
	}()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv, nil))
}

const usage = `usage: herald <command> [flags]

commands:
  serve         run the HTTP server (migrates the database first)
  migrate       apply database migrations and exit
  users create  add a user of the admin pages (email, password, role)
  secrets rotate-key  seal every secret at rest under a new master key
  events send   emit one event to a running Herald (-type, -account, -data)
  version       print the version

"herald <command> -help" lists a command's flags; each defaults to its
HERALD_* environment variable.
`

// run is main without the process: tests call it with their own context,
// input (nil reads as empty), output and environment. ready, when not nil,
// receives the serve command's listening address.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string, ready chan<- string) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stdout, stderr, getenv, ready)
	case "migrate":
		return migrate(ctx, args[1:], stdout, stderr, getenv)
	case "users":
		return users(ctx, args[1:], stdin, stdout, stderr, getenv)
	case "events":
		return events(ctx, args[1:], stdin, stdout, stderr, getenv)
	case "secrets":
		return secrets(ctx, args[1:], stdout, stderr, getenv)
	case "version", "-version", "--version":
		fmt.Fprintf(stdout, "herald %s\n", version)
		return 0
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "herald: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
}
