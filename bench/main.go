package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

func main() {
	var (
		bin      = flag.String("bin", "bin/authconform", "the authconform binary to measure")
		rounds   = flag.Int("rounds", 3, "interleaved A/B rounds per flow; the table shows the median")
		dur      = flag.Duration("duration", 3*time.Second, "length of one measured run")
		conns    = flag.Int("conns", 32, "concurrent connections (closed loop)")
		sessions = flag.Int64("sessions", 1_000_000, "live sessions to create for the memory figure (0 skips it)")
		starts   = flag.Int("cold-starts", 5, "process starts measured for the cold-start figure")
		bare     = flag.Bool("bare", false, "internal: serve the bare handler (used by the benchmark itself)")
		addr     = flag.String("addr", "", "internal: with -bare, where to listen")
		cannedF  = flag.String("canned", "", "internal: with -bare, the captured answers")
	)
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: bench [flags]\n\nCompares `authconform serve` with a bare net/http handler answering the same bytes, on loopback.\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *bare {
		if err := serveBare(*addr, *cannedF); err != nil {
			fmt.Fprintln(os.Stderr, "bare:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*bin, *rounds, *dur, *conns, *sessions, *starts); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type proc struct {
	cmd  *exec.Cmd
	base string
}

func (p *proc) stop() {
	if p != nil && p.cmd != nil && p.cmd.Process != nil {
		_ = p.cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = p.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = p.cmd.Process.Kill()
		}
	}
}

func (p *proc) rss() int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// start runs a server process and waits until ready answers 2xx; it returns how long that took.
func start(name string, args []string, addr, ready string, logTo io.Writer) (*proc, time.Duration, error) {
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = logTo, logTo
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, 0, err
	}
	p := &proc{cmd: cmd, base: "http://" + addr}
	c := &http.Client{Timeout: time.Second}
	for time.Since(t0) < 10*time.Second {
		resp, err := c.Get(p.base + ready)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode < 300 {
				return p, time.Since(t0), nil
			}
		}
		time.Sleep(200 * time.Microsecond)
	}
	p.stop()
	return nil, 0, fmt.Errorf("%s did not answer %s within 10s", name, ready)
}

func startMock(bin string) (*proc, time.Duration, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, 0, err
	}
	cfg := filepath.Join(os.TempDir(), fmt.Sprintf("authconform-bench-%d.yaml", os.Getpid()))
	if err := os.WriteFile(cfg, []byte(benchConfig()), 0o600); err != nil {
		return nil, 0, err
	}
	return start(bin, []string{"serve", "--addr", addr, "--config", cfg}, addr, "/__authconform/clock", io.Discard)
}

type row struct {
	flow, target string
	rps          float64
	p50, p99     time.Duration
	rss          int64
	errors       int
	note         string
}

func run(bin string, rounds int, dur time.Duration, conns int, sessions int64, starts int) error {
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("%s: %w (run make build first)", bin, err)
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	fmt.Printf("bench: %d connections, %d rounds of %s per target and flow, loopback; %s\n\n", conns, rounds, dur, machine())

	// Cold start: process start to the first successful response, all bundled specs loaded.
	var colds []time.Duration
	for range starts {
		p, d, err := startMock(bin)
		if err != nil {
			return err
		}
		colds = append(colds, d)
		p.stop()
	}
	slices.Sort(colds)

	mock, _, err := startMock(bin)
	if err != nil {
		return err
	}
	defer mock.stop()
	idle := mock.rss()

	list := scenarios()
	answers, err := capture(mock.base, list)
	if err != nil {
		return fmt.Errorf("capturing the mock's answers: %w", err)
	}
	cannedFile := filepath.Join(os.TempDir(), fmt.Sprintf("authconform-bench-%d.json", os.Getpid()))
	raw, _ := json.Marshal(answers)
	if err := os.WriteFile(cannedFile, raw, 0o600); err != nil {
		return err
	}
	defer os.Remove(cannedFile)
	bareAddr, err := freeAddr()
	if err != nil {
		return err
	}
	bare, _, err := start(self, []string{"-bare", "-addr", bareAddr, "-canned", cannedFile}, bareAddr, "/__ready", os.Stderr)
	if err != nil {
		return err
	}
	defer bare.stop()

	ctx := context.Background()
	var rows []row
	for _, sc := range list {
		targets := []*proc{bare, mock}
		names := []string{"bare", "mock"}
		runs := [2][]result{}
		for _, t := range targets { // warm-up, not measured
			setup := setupFor(sc, mock.base) // setup (logins) always against the mock, so both get the same requests
			if _, err := drive(ctx, t.base, conns, dur/4, 0, sc.steps, setup); err != nil {
				return err
			}
		}
		for r := range rounds {
			order := []int{0, 1}
			if r%2 == 1 {
				order = []int{1, 0}
			}
			for _, i := range order {
				res, err := drive(ctx, targets[i].base, conns, dur, 0, sc.steps, setupFor(sc, mock.base))
				if err != nil {
					return err
				}
				runs[i] = append(runs[i], res)
			}
		}
		for i := range targets {
			m := median(runs[i])
			rw := row{flow: sc.name, target: names[i], rps: m.rps(), p50: m.pct(0.50), p99: m.pct(0.99), rss: targets[i].rss(), errors: m.errors}
			if m.errors > 0 {
				rw.note = "first error: " + m.firstErr
			}
			rows = append(rows, rw)
		}
	}

	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "flow\ttarget\treq/s\tp50\tp99\tRSS\tratio to bare\tp99 / bare p99\terrors\t")
	for i := 0; i < len(rows); i += 2 {
		b, m := rows[i], rows[i+1]
		for _, rw := range []row{b, m} {
			ratio, p99r := "", ""
			if rw.target == "mock" {
				ratio = fmt.Sprintf("%.2f", rw.rps/b.rps)
				p99r = fmt.Sprintf("%.2f", float64(rw.p99)/float64(b.p99))
			}
			fmt.Fprintf(tw, "%s\t%s\t%.0f\t%s\t%s\t%s\t%s\t%s\t%d\t\n", rw.flow, rw.target, rw.rps, us(rw.p50), us(rw.p99), mib(rw.rss), ratio, p99r, rw.errors)
		}
	}
	tw.Flush()
	for _, rw := range rows {
		if rw.note != "" {
			fmt.Printf("  %s / %s: %s\n", rw.flow, rw.target, rw.note)
		}
	}
	fmt.Printf("\ncold start (process start to first response, all specs): median %s, min %s, max %s over %d starts\n",
		colds[len(colds)/2].Round(time.Millisecond/10), colds[0].Round(time.Millisecond/10), colds[len(colds)-1].Round(time.Millisecond/10), len(colds))
	fmt.Printf("idle RSS of the mock: %s\n", mib(idle))

	if sessions > 0 {
		if err := sessionMemory(ctx, mock, conns, sessions); err != nil {
			return err
		}
	}
	return nil
}

// sessionMemory resets the mock, logs in `sessions` times (each login is a live session) and
// reports the resident memory before and after.
func sessionMemory(ctx context.Context, mock *proc, conns int, sessions int64) error {
	resp, err := http.Post(mock.base+"/__authconform/reset", "application/json", nil)
	if err != nil {
		return err
	}
	resp.Body.Close()
	before := mock.rss()
	login := scenarios()[0]
	res, err := drive(ctx, mock.base, conns, 10*time.Minute, sessions, login.steps, nil)
	if err != nil {
		return err
	}
	if res.errors > 0 {
		return fmt.Errorf("%d of %d logins failed: %s", res.errors, res.requests, res.firstErr)
	}
	fmt.Printf("memory: %s before, %s after %d live sessions (%.0f logins/s while creating them)\n",
		mib(before), mib(mock.rss()), res.requests, res.rps())
	return nil
}

func setupFor(sc scenario, base string) func(*workerState) error {
	if sc.setup == nil {
		return nil
	}
	return func(st *workerState) error { return sc.setup(base, st) }
}

func median(rs []result) result {
	slices.SortFunc(rs, func(a, b result) int {
		switch {
		case a.rps() < b.rps():
			return -1
		case a.rps() > b.rps():
			return 1
		}
		return 0
	})
	return rs[len(rs)/2]
}

func us(d time.Duration) string { return fmt.Sprintf("%.0fµs", float64(d)/float64(time.Microsecond)) }

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

func machine() string {
	cpus := "?"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "model name"); ok {
				cpus = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	return fmt.Sprintf("%s, %d CPUs", cpus, numCPU())
}

func numCPU() int {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return 0
	}
	return strings.Count(string(b), "processor\t:")
}
