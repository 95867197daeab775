package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
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

// options are the bench's flags.
type options struct {
	bin          string
	rounds       int
	dur          time.Duration
	conns        int
	sessions     int64
	starts       int
	conformRuns  int
	examples     string
	soak         time.Duration
	sandboxes    int
	only         string
	redis        bool
	prism        bool
	prismOnly    bool
	prismVersion string
	prismDir     string
}

func main() {
	var o options
	flag.StringVar(&o.bin, "bin", "bin/authconform", "the authconform binary to measure")
	flag.IntVar(&o.rounds, "rounds", 5, "interleaved A/B rounds per flow, also of the Prism comparison; the table shows medians, the ratios the median of each round's (0 skips the table)")
	flag.DurationVar(&o.dur, "duration", 2*time.Second, "length of one measured run")
	flag.IntVar(&o.conns, "conns", 32, "concurrent connections (closed loop), also the soak's workers")
	flag.Int64Var(&o.sessions, "sessions", 1_000_000, "live sessions to create for the memory figure (0 skips it)")
	flag.IntVar(&o.starts, "cold-starts", 5, "process starts measured for the cold-start figure (0 skips it)")
	flag.IntVar(&o.conformRuns, "conform-runs", 3, "full conformance runs (authconform test, all four specs) to time; the median is shown (0 skips it)")
	flag.StringVar(&o.examples, "examples", "examples/targets", "the example target files the conformance runs adapt to the bench's mock")
	flag.DurationVar(&o.soak, "soak", 20*time.Second, "sampled length of the steady-population soak, after its warm-up (0 skips it)")
	flag.StringVar(&o.only, "flows", "", "the table's flows to run, comma-separated names as the table prints them (default: every flow)")
	flag.IntVar(&o.sandboxes, "sandboxes", 1000, "idle sandboxes to create on a fresh mock for the memory and creation figures (0 skips them; the sandbox call comparison runs with the table)")
	flag.BoolVar(&o.redis, "redis", true, "the protected call and the rotating refresh with the Redis store beside the memory store (needs redis-server; skipped without it)")
	flag.BoolVar(&o.prism, "prism", false, "also run Stoplight Prism (npm @stoplight/prism-cli, installed into -prism-dir) on the login flow beside the mock")
	flag.BoolVar(&o.prismOnly, "prism-only", false, "run only the Prism comparison (make bench-prism)")
	flag.StringVar(&o.prismVersion, "prism-version", defaultPrismVersion, "the @stoplight/prism-cli version to install and run")
	flag.StringVar(&o.prismDir, "prism-dir", defaultPrismDir(), "where Prism is installed with npm, one directory per version (outside the repository)")
	bare := flag.Bool("bare", false, "internal: serve the bare handler (used by the benchmark itself)")
	floor := flag.Bool("floor", false, "internal: serve the floor handler (used by the benchmark itself)")
	addr := flag.String("addr", "", "internal: with -bare or -floor, where to listen")
	cannedF := flag.String("canned", "", "internal: with -bare or -floor, the captured answers")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: bench [flags]\n\nCompares `authconform serve` with a bare net/http handler answering the same bytes and a floor server\n(net/http, encoding/json and golang-jwt doing only the flow's signing and verifying), on loopback;\ntimes a full conformance run, soaks a steady population for memory growth, and optionally runs Prism beside it.\n\n")
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
	if *floor {
		if err := serveFloor(*addr, *cannedF); err != nil {
			fmt.Fprintln(os.Stderr, "floor:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(o); err != nil {
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

// start runs a server process and waits until GET ready answers 2xx; it returns how long that took.
func start(name string, args []string, addr, ready string, logTo io.Writer) (*proc, time.Duration, error) {
	get := func(c *http.Client, base string) bool {
		resp, err := c.Get(base + ready)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode < 300
	}
	return startProbe(name, args, addr, get, 10*time.Second, logTo)
}

// startProbe runs a server process and waits up to limit until probe says it answers; it returns
// how long that took. Output sent to io.Discard goes to the null device directly, so a server's
// request log costs the load generator nothing.
func startProbe(name string, args []string, addr string, probe func(c *http.Client, base string) bool, limit time.Duration, logTo io.Writer) (*proc, time.Duration, error) {
	cmd := exec.Command(name, args...)
	if logTo != io.Discard { // nil: the process writes to the null device itself, no pipe through the bench
		cmd.Stdout, cmd.Stderr = logTo, logTo
	}
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, 0, err
	}
	p := &proc{cmd: cmd, base: "http://" + addr}
	c := &http.Client{Timeout: time.Second}
	for time.Since(t0) < limit {
		if probe(c, p.base) {
			return p, time.Since(t0), nil
		}
		time.Sleep(200 * time.Microsecond)
	}
	p.stop()
	return nil, 0, fmt.Errorf("%s did not answer within %s", name, limit)
}

// writeConfig writes the mock's --config once per bench run (the mock reloads a config file that
// changes, so it is not rewritten while a mock runs).
func writeConfig() (string, error) {
	cfg := filepath.Join(os.TempDir(), fmt.Sprintf("authconform-bench-%d.yaml", os.Getpid()))
	return cfg, os.WriteFile(cfg, []byte(benchConfig()), 0o600)
}

func startMock(bin, cfg string) (*proc, time.Duration, error) {
	addr, err := freeAddr()
	if err != nil {
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
	// For the mock's and the floor's rows: the median over rounds of its req/s and p99 each
	// divided by the bare server's in the same round. Pairing the runs of a round, next to each
	// other in time, cancels most of what a shared machine's neighbours do to all of them.
	ratio, p99Ratio float64
	// For the mock's row: the median over rounds of its req/s divided by the floor's.
	floorRatio float64
}

// pairedRatios returns the median over rounds of mock/bare req/s and of mock/bare p99.
func pairedRatios(bare, mock []result) (ratio, p99Ratio float64) {
	var rs, ps []float64
	for r := range min(len(bare), len(mock)) {
		if bare[r].rps() > 0 && bare[r].pct(0.99) > 0 {
			rs = append(rs, mock[r].rps()/bare[r].rps())
			ps = append(ps, float64(mock[r].pct(0.99))/float64(bare[r].pct(0.99)))
		}
	}
	return medianFloat(rs), medianFloat(ps)
}

func medianFloat(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	if len(xs)%2 == 0 {
		return (xs[len(xs)/2-1] + xs[len(xs)/2]) / 2
	}
	return xs[len(xs)/2]
}

func run(o options) error {
	if _, err := os.Stat(o.bin); err != nil {
		return fmt.Errorf("%s: %w (run make build first)", o.bin, err)
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	cfg, err := writeConfig()
	if err != nil {
		return err
	}
	defer os.Remove(cfg)
	ctx := context.Background()
	if o.prismOnly {
		fmt.Printf("bench: Prism beside the mock on the login flow, %d connections, loopback; %s\n", o.conns, machine())
		return prismPhase(ctx, o, cfg)
	}
	fmt.Printf("bench: %d connections, %d rounds of %s per target and flow, loopback; %s\n\n", o.conns, o.rounds, o.dur, machine())
	m := measurements{failed: map[string]string{}}

	// Cold start: process start to the first successful response, all bundled specs loaded.
	var colds []time.Duration
	for range o.starts {
		p, d, err := startMock(o.bin, cfg)
		if err != nil {
			return err
		}
		colds = append(colds, d)
		p.stop()
	}
	slices.Sort(colds)

	mock, _, err := startMock(o.bin, cfg)
	if err != nil {
		return err
	}
	defer mock.stop()
	m.idleRSS = mock.rss()

	if o.rounds > 0 {
		if m.rows, err = flows(ctx, o, mock, self); err != nil {
			return err
		}
		printTable(m.rows)
	}
	if len(colds) > 0 {
		m.coldStart = colds[len(colds)/2]
		fmt.Printf("\ncold start (process start to first response, all specs): median %s, min %s, max %s over %d starts\n",
			colds[len(colds)/2].Round(time.Millisecond/10), colds[0].Round(time.Millisecond/10), colds[len(colds)-1].Round(time.Millisecond/10), len(colds))
	}
	fmt.Printf("idle RSS of the mock: %s\n", mib(m.idleRSS))

	// The phases after the table report a failure and go on, so the verdict block always shows.
	phase := func(name string, f func() error) {
		if err := f(); err != nil {
			fmt.Printf("\n%s: FAILED: %v\n", name, err)
			m.failed[name] = err.Error()
		}
	}
	if o.rounds > 0 {
		phase(phaseSandboxCall, func() (err error) {
			m.sandboxCall, err = sandboxCallPhase(ctx, o, mock)
			return err
		})
	}
	if o.sandboxes > 0 {
		phase(phaseSandboxes, func() (err error) {
			m.sandboxes, err = sandboxMemoryPhase(ctx, o.bin, o.sandboxes)
			return err
		})
	}
	if o.redis && o.rounds > 0 {
		phase(phaseRedis, func() (err error) {
			m.redis, err = redisPhase(ctx, o, cfg)
			return err
		})
	}
	if o.conformRuns > 0 {
		phase(phaseConformance, func() (err error) {
			m.conformance, err = conformancePhase(ctx, o.bin, o.examples, mock, o.conformRuns)
			return err
		})
	}
	if o.sessions > 0 {
		phase(phaseSessions, func() (err error) {
			m.sessions, m.sessionsRSS, err = sessionMemory(ctx, mock, o.conns, o.sessions)
			return err
		})
	}
	if o.soak > 0 {
		phase(phaseSoak, func() (err error) {
			m.soak, err = soakPhase(ctx, o.bin, cfg, o.conns, o.soak)
			return err
		})
	}
	if o.prism {
		phase(phasePrism, func() error { return prismPhase(ctx, o, cfg) })
	}

	printVerdicts(os.Stdout, m)
	if len(m.failed) > 0 {
		names := slices.Sorted(maps.Keys(m.failed))
		return fmt.Errorf("%d phase(s) failed: %s", len(names), strings.Join(names, ", "))
	}
	return nil
}

// flows drives every scenario against the bare server, the floor server and the mock, interleaved
// over rounds (each round runs the three one after the other, in an order that rotates), and
// returns the median round of each: bare, floor, mock, bare, floor, mock, ...
func flows(ctx context.Context, o options, mock *proc, self string) ([]row, error) {
	var list []scenario
	for _, sc := range scenarios() {
		if o.only == "" || slices.Contains(strings.Split(o.only, ","), sc.name) {
			list = append(list, sc)
		}
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("-flows %q names no flow", o.only)
	}
	answers, err := capture(mock.base, list)
	if err != nil {
		return nil, fmt.Errorf("capturing the mock's answers: %w", err)
	}
	cannedFile := filepath.Join(os.TempDir(), fmt.Sprintf("authconform-bench-%d.json", os.Getpid()))
	raw, _ := json.Marshal(answers)
	if err := os.WriteFile(cannedFile, raw, 0o600); err != nil {
		return nil, err
	}
	defer os.Remove(cannedFile)
	startOwn := func(flag string) (*proc, error) {
		addr, err := freeAddr()
		if err != nil {
			return nil, err
		}
		p, _, err := start(self, []string{flag, "-addr", addr, "-canned", cannedFile}, addr, "/__ready", os.Stderr)
		return p, err
	}
	bare, err := startOwn("-bare")
	if err != nil {
		return nil, err
	}
	defer bare.stop()
	floor, err := startOwn("-floor")
	if err != nil {
		return nil, err
	}
	defer floor.stop()

	var rows []row
	for _, sc := range list {
		targets := []*proc{bare, floor, mock}
		names := []string{"bare", "floor", "mock"}
		runs := make([][]result, len(targets))
		for _, t := range targets { // warm-up, not measured
			setup := setupFor(sc, mock.base) // setup (logins) always against the mock, so all get the same requests
			if _, err := drive(ctx, t.base, o.conns, o.dur/4, 0, sc.steps, setup); err != nil {
				return nil, err
			}
		}
		for r := range o.rounds {
			for k := range targets {
				i := (k + r) % len(targets) // each server goes first, second and third in turn
				res, err := drive(ctx, targets[i].base, o.conns, o.dur, 0, sc.steps, setupFor(sc, mock.base))
				if err != nil {
					return nil, err
				}
				runs[i] = append(runs[i], res)
			}
		}
		// before median sorts the runs
		floorRatio, floorP99 := pairedRatios(runs[0], runs[1])
		ratio, p99Ratio := pairedRatios(runs[0], runs[2])
		toFloor, _ := pairedRatios(runs[1], runs[2])
		for i := range targets {
			m := median(runs[i])
			rw := row{flow: sc.name, target: names[i], rps: m.rps(), p50: m.pct(0.50), p99: m.pct(0.99), rss: targets[i].rss(), errors: m.errors}
			if m.errors > 0 {
				rw.note = "first error: " + m.firstErr
			}
			switch i {
			case 1:
				rw.ratio, rw.p99Ratio = floorRatio, floorP99
			case 2:
				rw.ratio, rw.p99Ratio, rw.floorRatio = ratio, p99Ratio, toFloor
			}
			rows = append(rows, rw)
		}
	}
	return rows, nil
}

func newTable() *tabwriter.Writer {
	return tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
}

func printTable(rows []row) {
	tw := newTable()
	fmt.Fprintln(tw, "flow\ttarget\treq/s\tp50\tp99\tRSS\tratio to bare\tp99 / bare p99\tratio to floor\terrors\t")
	for _, rw := range rows {
		ratio, p99r, toFloor := "", "", ""
		if rw.target != "bare" {
			ratio = fmt.Sprintf("%.2f", rw.ratio)
			p99r = fmt.Sprintf("%.2f", rw.p99Ratio)
		}
		if rw.target == "mock" {
			toFloor = fmt.Sprintf("%.2f", rw.floorRatio)
		}
		fmt.Fprintf(tw, "%s\t%s\t%.0f\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t\n", rw.flow, rw.target, rw.rps, us(rw.p50), us(rw.p99), mib(rw.rss), ratio, p99r, toFloor, rw.errors)
	}
	tw.Flush()
	for _, rw := range rows {
		if rw.note != "" {
			fmt.Printf("  %s / %s: %s\n", rw.flow, rw.target, rw.note)
		}
	}
}

// sessionMemory resets the mock, logs in `sessions` times (each login is a live session) and
// reports the resident memory before and after; it returns the logins made and the RSS after.
func sessionMemory(ctx context.Context, mock *proc, conns int, sessions int64) (int64, int64, error) {
	if err := reset(mock.base); err != nil {
		return 0, 0, err
	}
	before := mock.rss()
	login := scenarios()[0]
	res, err := drive(ctx, mock.base, conns, 10*time.Minute, sessions, login.steps, nil)
	if err != nil {
		return 0, 0, err
	}
	if res.errors > 0 {
		return 0, 0, fmt.Errorf("%d of %d logins failed: %s", res.errors, res.requests, res.firstErr)
	}
	after := mock.rss()
	fmt.Printf("\nmemory: %s before, %s after %d live sessions (%.0f logins/s while creating them)\n",
		mib(before), mib(after), res.requests, res.rps())
	return int64(res.requests), after, nil
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
