package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
)

// The sandboxes of issue 17 (docs/sandboxes.md): what a world of one's own costs.
//
//   - sandboxCallPhase: the protected call (the table's "protected GET", pixfile, JWT verified,
//     revocation checked) in a sandbox and in the default world of the same mock, interleaved
//     over rounds as the table's servers are; the ratio is the median of each round's
//     sandbox/default. A sandbox's request pays the prefix's routing to its world and nothing else.
//   - sandboxMemoryPhase: on a fresh mock of its own (served as `make run` serves it, no config),
//     n sandboxes created one after the other through the lifecycle API and left idle; the RSS
//     before and after, and the time of each creation.

// sandboxCallID is the sandbox the call comparison runs in (created by its first request: the
// bench's mock runs with --sandboxes auto, the default).
const sandboxCallID = "bench-call"

// sandboxCall is what sandboxCallPhase measured.
type sandboxCall struct {
	def, box result  // the median round of each
	ratio    float64 // median over rounds of sandbox req/s / default req/s
}

func sandboxCallPhase(ctx context.Context, o options, mock *proc) (*sandboxCall, error) {
	var sc scenario
	for _, s := range scenarios() {
		if s.name == "protected GET" {
			sc = s
		}
	}
	bases := []string{mock.base, mock.base + "/__sandbox/" + sandboxCallID}
	names := []string{"default world", "sandbox"}
	runs := make([][]result, 2)
	for _, base := range bases { // warm-up, not measured; creates the sandbox
		if _, err := drive(ctx, base, o.conns, o.dur/4, 0, sc.steps, setupFor(sc, base)); err != nil {
			return nil, err
		}
	}
	for r := range o.rounds {
		for k := range bases {
			i := (k + r) % len(bases) // each goes first in turn
			res, err := drive(ctx, bases[i], o.conns, o.dur, 0, sc.steps, setupFor(sc, bases[i]))
			if err != nil {
				return nil, err
			}
			if res.errors > 0 {
				return nil, fmt.Errorf("%s: %d errors, first: %s", names[i], res.errors, res.firstErr)
			}
			runs[i] = append(runs[i], res)
		}
	}
	ratio, _ := pairedRatios(runs[0], runs[1]) // before median sorts the runs
	out := &sandboxCall{def: median(runs[0]), box: median(runs[1]), ratio: ratio}
	fmt.Printf("\nsandbox: the protected call (pixfile GET /api/v2/customers) in the default world and in sandbox %q of the same mock, %d interleaved rounds of %s\n", sandboxCallID, o.rounds, o.dur)
	tw := newTable()
	fmt.Fprintln(tw, "world\treq/s\tp50\tp99\t")
	for i, m := range []result{out.def, out.box} {
		fmt.Fprintf(tw, "%s\t%.0f\t%s\t%s\t\n", names[i], m.rps(), us(m.pct(0.5)), us(m.pct(0.99)))
	}
	tw.Flush()
	fmt.Printf("sandbox / default world: %.2f (median of the rounds' ratios; target >= %.2f)\n", ratio, targetSandboxCallRatio)
	return out, nil
}

// sandboxMemory is what sandboxMemoryPhase measured.
type sandboxMemory struct {
	n               int
	before, after   int64 // RSS
	total, p50, p99 time.Duration
	first           time.Duration // the first creation (the first world built in the process)
}

// added is the RSS the sandboxes added.
func (s *sandboxMemory) added() int64 { return s.after - s.before }

func sandboxMemoryPhase(ctx context.Context, bin string, n int) (*sandboxMemory, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	mock, _, err := start(bin, []string{"serve", "--addr", addr, "--max-sandboxes", fmt.Sprint(max(n, 1))}, addr, "/__authconform/clock", io.Discard)
	if err != nil {
		return nil, err
	}
	defer mock.stop()
	// One request of each flow's kind first, so the default world's first-use costs are paid.
	if _, _, err := post(mock.base, "/api/v2/login", map[string]string{"username": "user", "password": "pass"}, nil); err != nil {
		return nil, err
	}
	time.Sleep(200 * time.Millisecond)
	m := &sandboxMemory{n: n, before: mock.rss()}
	c := &http.Client{Timeout: 30 * time.Second}
	took := make([]time.Duration, 0, n)
	t0 := time.Now()
	for i := range n {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, mock.base+"/__authconform/sandboxes", strings.NewReader(fmt.Sprintf(`{"id":"idle-%d"}`, i)))
		req.Header.Set("Content-Type", "application/json")
		s0 := time.Now()
		resp, err := c.Do(req)
		if err != nil {
			return nil, err
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			return nil, fmt.Errorf("creating sandbox %d: %d %s", i, resp.StatusCode, truncate(b, 200))
		}
		took = append(took, time.Since(s0))
	}
	m.total = time.Since(t0)
	m.after = mock.rss()
	if n > 0 {
		m.first = took[0]
		slices.Sort(took)
		m.p50, m.p99 = took[len(took)/2], took[len(took)*99/100]
		// Every sandbox serves: the last one logs in.
		if _, _, err := post(mock.base, fmt.Sprintf("/__sandbox/idle-%d/api/v2/login", n-1), map[string]string{"username": "user", "password": "pass"}, nil); err != nil {
			return nil, fmt.Errorf("the last sandbox: %w", err)
		}
	}
	fmt.Printf("\nsandboxes: %d idle sandboxes created through POST /__authconform/sandboxes on a fresh mock (all four specs, no config), one after the other\n", n)
	fmt.Printf("  RSS %s before, %s after: %s added, %.1f KiB a sandbox (target < %d MB for 1,000)\n",
		mib(m.before), mib(m.after), mb(m.added()), float64(m.added())/float64(max(n, 1))/1024, targetSandboxesRSS/1_000_000)
	fmt.Printf("  creation: %s for all (%.0f a second), median %s, p99 %s, the first %s\n",
		m.total.Round(time.Millisecond), float64(n)/m.total.Seconds(), us(m.p50), us(m.p99), us(m.first))
	return m, nil
}
