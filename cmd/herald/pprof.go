//go:build heraldpprof

package main

import (
	"net/http"
	_ "net/http/pprof" // registers /debug/pprof/ on http.DefaultServeMux
	"os"
)

// Built with -tags heraldpprof (heraldbench -profile does), herald serves
// net/http/pprof on HERALD_PPROF_LISTEN, a loopback address of its own,
// apart from the API's. Release builds have no such listener.
func init() {
	if addr := os.Getenv("HERALD_PPROF_LISTEN"); addr != "" {
		go http.ListenAndServe(addr, nil)
	}
}
