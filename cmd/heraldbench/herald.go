package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// buildHerald builds ./cmd/herald of the module the current directory is
// in, into dir.
func buildHerald(ctx context.Context, dir string, tags ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if filepath.Base(gomod) != "go.mod" {
		return "", errors.New("not inside the herald module: run from its directory or pass -herald")
	}
	bin := filepath.Join(dir, "herald")
	args := []string{"build", "-o", bin}
	if len(tags) > 0 {
		args = append(args, "-tags", strings.Join(tags, ","))
	}
	cmd := exec.CommandContext(ctx, "go", append(args, "./cmd/herald")...)
	cmd.Dir = filepath.Dir(gomod)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/herald: %w\n%s", err, out)
	}
	return bin, nil
}

// heraldProc is a running "herald serve" child process.
type heraldProc struct {
	cmd  *exec.Cmd
	addr string
	done chan struct{} // closed once the process has exited
	err  error         // of Wait, set before done is closed

	mem     *memSampler
	logs    *logLines
	stopped bool
}

// startHerald runs bin serve with env added to this process's
// environment (minus any HERALD_* of its own), and waits for its "herald
// serving" log line to learn its address.
func startHerald(ctx context.Context, bin string, env []string) (*heraldProc, error) {
	cmd := exec.Command(bin, "serve")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HERALD_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	addrc := make(chan string, 1)
	logs := &logLines{addr: addrc}
	cmd.Stdout = io.Discard
	cmd.Stderr = logs
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	h := &heraldProc{cmd: cmd, done: make(chan struct{}), logs: logs}
	go func() {
		h.err = cmd.Wait()
		close(h.done)
	}()
	h.mem = sampleMemory(cmd.Process.Pid, h.done)
	timer := time.NewTimer(60 * time.Second)
	defer timer.Stop()
	select {
	case h.addr = <-addrc:
		return h, nil
	case <-h.done:
		return nil, fmt.Errorf("herald exited before serving (%v):\n%s", h.err, logs.tail())
	case <-timer.C:
		h.stop()
		return nil, fmt.Errorf("herald did not log \"herald serving\" within 60s:\n%s", logs.tail())
	case <-ctx.Done():
		h.stop()
		return nil, ctx.Err()
	}
}

// stop sends SIGTERM and waits up to 30s for the process to exit, then
// kills it. It returns the process's exit error, if any.
func (h *heraldProc) stop() error {
	if h.stopped {
		<-h.done
		return h.err
	}
	h.stopped = true
	h.mem.final()
	h.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-h.done:
		return h.err
	case <-time.After(30 * time.Second):
		h.cmd.Process.Kill()
		<-h.done
		return errors.New("herald did not stop within 30s of SIGTERM; killed")
	}
}

// kill ends the process with SIGKILL, as a crash would, and waits for it.
func (h *heraldProc) kill() {
	h.stopped = true
	h.cmd.Process.Kill()
	<-h.done
}

// logLines is herald's stderr: JSON log lines. It picks the address out
// of "herald serving", echoes warnings and errors (a few), and keeps the
// last lines for error messages.
type logLines struct {
	addr    chan<- string
	partial []byte

	mu       sync.Mutex
	last     []string
	problems int // WARN and ERROR lines
}

func (l *logLines) Write(p []byte) (int, error) {
	l.partial = append(l.partial, p...)
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			break
		}
		l.line(string(l.partial[:i]))
		l.partial = l.partial[i+1:]
	}
	if len(l.partial) > 1<<20 { // a runaway line: keep it bounded
		l.line(string(l.partial))
		l.partial = nil
	}
	return len(p), nil
}

func (l *logLines) line(s string) {
	var rec struct {
		Level string `json:"level"`
		Msg   string `json:"msg"`
		Addr  string `json:"addr"`
	}
	json.Unmarshal([]byte(s), &rec)
	if rec.Msg == "herald serving" && rec.Addr != "" && l.addr != nil {
		l.addr <- rec.Addr
		l.addr = nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.last = append(l.last, s)
	if len(l.last) > 20 {
		l.last = l.last[1:]
	}
	if rec.Level == "WARN" || rec.Level == "ERROR" {
		l.problems++
		if l.problems <= 10 {
			fmt.Fprintf(os.Stderr, "herald: %s\n", s)
		} else if l.problems == 11 {
			fmt.Fprintln(os.Stderr, "herald: (further warnings counted, not shown)")
		}
	}
}

// tail returns the last lines herald logged.
func (l *logLines) tail() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.last, "\n")
}

// warnings returns how many WARN and ERROR lines herald logged.
func (l *logLines) warnings() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.problems
}

// memSampler reads a process's memory from /proc/PID/status (Linux) every
// 100ms until the process exits: the kernel's high-water mark (VmHWM) and,
// as a cross-check, the largest resident size (VmRSS) it saw. It also
// notes the CPU time the process has used, from /proc/PID/stat.
type memSampler struct {
	pid int

	mu     sync.Mutex
	hwm    int64 // bytes, last VmHWM read
	maxRSS int64 // bytes
	cpu    time.Duration
}

func sampleMemory(pid int, done <-chan struct{}) *memSampler {
	m := &memSampler{pid: pid}
	go func() {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			default:
			}
			m.final()
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return m
}

// final takes one more sample (call it just before stopping the process).
func (m *memSampler) final() {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", m.pid))
	if err != nil {
		return
	}
	var hwm, rss int64
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		name, val, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		fields := strings.Fields(val) // "12345 kB"
		if len(fields) != 2 || fields[1] != "kB" {
			continue
		}
		kb, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			continue
		}
		switch name {
		case "VmHWM":
			hwm = kb << 10
		case "VmRSS":
			rss = kb << 10
		}
	}
	cpu := procCPU(m.pid)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.hwm = max(m.hwm, hwm)
	m.maxRSS = max(m.maxRSS, rss)
	m.cpu = max(m.cpu, cpu)
}

// procCPU is the user and system CPU time of a process so far, from
// /proc/PID/stat (in clock ticks, 100 a second on Linux); 0 if unknown.
func procCPU(pid int) time.Duration {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	i := bytes.LastIndexByte(stat, ')') // the command name may hold spaces
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(stat[i+1:])) // f[0] is field 3, the state
	if len(f) < 13 {
		return 0
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0
	}
	return time.Duration(utime+stime) * (time.Second / 100)
}

// peak returns VmHWM and the largest VmRSS sampled, in bytes (0 where
// /proc is not available), and the CPU time used.
func (m *memSampler) peak() (hwm, maxRSS int64, cpu time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.hwm, m.maxRSS, m.cpu
}
