package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// profiler fetches profiles from a herald built with -tags heraldpprof.
type profiler struct {
	dir, addr string
	cpu       chan error // the CPU profile's fetch, once started
}

func newProfiler(dir string) (*profiler, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	return &profiler{dir: dir, addr: addr}, nil
}

// startCPU starts fetching a CPU profile of d.
func (p *profiler) startCPU(name string, d time.Duration) {
	p.cpu = make(chan error, 1)
	go func() {
		p.cpu <- p.fetch(fmt.Sprintf("/debug/pprof/profile?seconds=%d", int(d.Seconds())), name+"-cpu.pprof")
	}()
}

// finish waits for the CPU profile and fetches the allocation profile.
func (p *profiler) finish(name string) error {
	if err := <-p.cpu; err != nil {
		return err
	}
	if err := p.fetch("/debug/pprof/allocs", name+"-allocs.pprof"); err != nil {
		return err
	}
	progress("  profiles written to %s", filepath.Join(p.dir, name+"-{cpu,allocs}.pprof"))
	return nil
}

func (p *profiler) fetch(path, file string) error {
	resp, err := (&http.Client{Timeout: 2 * time.Minute}).Get("http://" + p.addr + path)
	if err != nil {
		return fmt.Errorf("profile: %w (is herald built with -tags heraldpprof?)", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("profile %s: %s", path, resp.Status)
	}
	f, err := os.Create(filepath.Join(p.dir, file))
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
