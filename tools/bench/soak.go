package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The soak: a steady population of workers that each, in a loop, log in to efalia, call the
// protected probe, refresh (efalia rotates, so the used refresh token is remembered), call the
// probe with the new token and log out (the session is remembered as revoked). Every
// soakAdvanceEvery the mock's clock moves soakAdvanceBy, so what the store remembers expires and
// its sweep may drop it (mockserver/store.go: revocations and used refresh tokens are kept until
// their tokens expire plus 24 h, and swept when the maps have doubled). The mock's RSS is sampled
// throughout; the last third of the samples must not exceed the first third (judgeGrowth).
const (
	soakAdvanceEvery = 500 * time.Millisecond
	soakAdvanceBy    = "12h"
	// soakRegistryFill logins fill the dashboard's session registry (capped at 10,000 sessions,
	// mockserver.DefaultSessionLimit, and swept only when listed) before the samples start, so the
	// soak starts from the registry's steady size instead of measuring it filling up.
	soakRegistryFill = 20_000
	soakSamples      = 40 // RSS samples over the measured part
	soakMinSample    = 100 * time.Millisecond
)

// growth is the verdict of a soak: median RSS of the first and last thirds of the samples.
type growth struct {
	first, last, limit int64
	grew               bool
	samples            int
}

func (g growth) word() string {
	if g.grew {
		return "GROWTH"
	}
	return "no growth"
}

func (g growth) String() string {
	return fmt.Sprintf("%s: %s -> %s (limit %s)", g.word(), mib(g.first), mib(g.last), mib(g.limit))
}

// judgeGrowth compares the median of the last third of the RSS samples with the first third's:
// growth is more than growthTolerance of the first plus growthSlack.
func judgeGrowth(samples []int64) (growth, error) {
	n := len(samples) / 3
	if n < 2 {
		return growth{}, fmt.Errorf("%d RSS samples; need at least 6 to compare thirds (a longer -soak)", len(samples))
	}
	g := growth{first: medianInt(samples[:n]), last: medianInt(samples[len(samples)-n:]), samples: len(samples)}
	g.limit = g.first + int64(float64(g.first)*growthTolerance) + growthSlack
	g.grew = g.last > g.limit
	return g, nil
}

// sixths is the median RSS of each sixth of the samples, to show a trend.
func sixths(samples []int64) []string {
	var out []string
	for i := range 6 {
		part := samples[i*len(samples)/6 : (i+1)*len(samples)/6]
		if len(part) > 0 {
			out = append(out, fmt.Sprintf("%.1f", float64(medianInt(part))/(1<<20)))
		}
	}
	return append(out, "MiB")
}

func medianInt(xs []int64) int64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// soakCycle is one worker's loop: login, probe, rotating refresh, probe, logout.
func soakCycle() []step {
	bearer := func(st *workerState, body []byte) error {
		var out map[string]any
		if err := json.Unmarshal(body, &out); err != nil {
			return err
		}
		st.vals["H:Authorization"] = "Bearer " + field(out, "token")
		st.vals["refresh"] = field(out, "refreshToken")
		return nil
	}
	probe := step{method: http.MethodGet, path: "/workey/api/processes"}
	return []step{
		{method: http.MethodPost, path: "/workey/api/auth/token", header: jsonHeader,
			body: jsonBody(map[string]string{"username": "alice", "password": "alice-password"}),
			next: func(st *workerState, _ *http.Response, b []byte) error { return bearer(st, b) }},
		probe,
		{method: http.MethodPost, path: "/workey/api/auth/refresh", header: jsonHeader,
			body: func(st *workerState) []byte {
				b, _ := json.Marshal(map[string]string{"refreshToken": st.vals["refresh"]})
				return b
			},
			next: func(st *workerState, _ *http.Response, b []byte) error { return bearer(st, b) }},
		probe,
		{method: http.MethodPost, path: "/workey/api/auth/logout"},
	}
}

// soakStats is what the workers of a soak did.
type soakStats struct {
	cycles, requests, errors atomic.Int64
	mu                       sync.Mutex
	firstErr                 string
}

func (s *soakStats) fail(msg string) {
	s.errors.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.firstErr == "" {
		s.firstErr = msg
	}
}

// soakLoad runs conns workers through soakCycle until ctx ends. A worker holds gate (read) for a
// whole cycle and the clock moves only under the write lock, so no cycle sees the clock jump
// past its token's lifetime: every refusal is an error.
func soakLoad(ctx context.Context, base string, conns int, gate *sync.RWMutex, stats *soakStats) {
	steps := soakCycle()
	var wg sync.WaitGroup
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 1, MaxConnsPerHost: 1, DisableCompression: true}}
			defer c.CloseIdleConnections()
			st := &workerState{vals: map[string]string{}}
			for ctx.Err() == nil {
				gate.RLock()
				soakOneCycle(ctx, c, base, steps, st, stats)
				gate.RUnlock()
			}
		}()
	}
	wg.Wait()
}

func soakOneCycle(ctx context.Context, c *http.Client, base string, steps []step, st *workerState, stats *soakStats) {
	clear(st.vals)
	for _, s := range steps {
		resp, b, err := send(ctx, c, base, s, st)
		if err != nil {
			if ctx.Err() == nil {
				stats.fail(err.Error())
			}
			return
		}
		stats.requests.Add(1)
		if resp.StatusCode >= 300 {
			stats.fail(fmt.Sprintf("%s %s -> %d %s", s.method, s.path, resp.StatusCode, truncate(b, 200)))
			return
		}
		if s.next != nil {
			if err := s.next(st, resp, b); err != nil {
				stats.fail(fmt.Sprintf("%s %s: %v", s.method, s.path, err))
				return
			}
		}
	}
	stats.cycles.Add(1)
}

// advanceClock moves the mock's clock by soakAdvanceBy every soakAdvanceEvery until ctx ends,
// each time between two cycles of every worker; it returns how many times it moved it.
func advanceClock(ctx context.Context, base string, gate *sync.RWMutex) (int, error) {
	tick := time.NewTicker(soakAdvanceEvery)
	defer tick.Stop()
	n := 0
	for {
		select {
		case <-ctx.Done():
			return n, nil
		case <-tick.C:
		}
		gate.Lock()
		_, _, err := post(base, "/__authconform/clock", map[string]string{"advance": soakAdvanceBy}, nil)
		gate.Unlock()
		if err != nil {
			return n, fmt.Errorf("advancing the clock: %w", err)
		}
		n++
	}
}

// soakPhase starts a mock of its own (so the table's and the login flood's heap do not mask
// growth), fills its session registry, warms up, then keeps the steady population for d while
// sampling RSS, and judges growth.
func soakPhase(ctx context.Context, bin, cfg string, conns int, d time.Duration) (*growth, error) {
	mock, _, err := startMock(bin, cfg)
	if err != nil {
		return nil, err
	}
	defer mock.stop()
	fmt.Printf("\nsoak: a fresh mock (RSS %s); filling its session registry with %d logins\n", mib(mock.rss()), soakRegistryFill)
	fill := []step{soakCycle()[0]}
	if res, err := drive(ctx, mock.base, conns, 2*time.Minute, soakRegistryFill, fill, nil); err != nil {
		return nil, err
	} else if res.errors > 0 {
		return nil, fmt.Errorf("%d of %d registry-filling logins failed: %s", res.errors, res.requests, res.firstErr)
	}

	warm := min(d/4, 5*time.Second)
	var gate sync.RWMutex
	stats := &soakStats{}
	loadCtx, stopLoad := context.WithCancel(ctx)
	defer stopLoad()
	var wg sync.WaitGroup
	var advances int
	var advanceErr error
	t0 := time.Now()
	wg.Add(2)
	go func() { defer wg.Done(); soakLoad(loadCtx, mock.base, conns, &gate, stats) }()
	go func() { defer wg.Done(); advances, advanceErr = advanceClock(loadCtx, mock.base, &gate) }()

	fmt.Printf("soak: %d workers, each cycle login, GET, rotating refresh, GET, logout (efalia); clock +%s every %s; %s warm-up, then %s sampled\n",
		conns, soakAdvanceBy, soakAdvanceEvery, warm, d)
	samples, err := sampleRSS(loadCtx, mock, warm, d)
	stopLoad()
	wg.Wait()
	elapsed := time.Since(t0).Seconds()
	if err != nil {
		return nil, err
	}
	if advanceErr != nil {
		return nil, advanceErr
	}
	if n := stats.errors.Load(); n > 0 {
		return nil, fmt.Errorf("%d failed requests in %d cycles; first: %s", n, stats.cycles.Load(), stats.firstErr)
	}
	g, err := judgeGrowth(samples)
	if err != nil {
		return nil, err
	}
	fmt.Printf("soak: %d cycles, %d requests (%.0f req/s), 0 errors; clock moved %d times (%s of mock time)\n",
		stats.cycles.Load(), stats.requests.Load(), float64(stats.requests.Load())/elapsed, advances, mockTime(advances))
	fmt.Printf("soak: RSS over %d samples: min %s, max %s; first third median %s, last third median %s, limit %s (+%.0f%% +%s): %s\n",
		len(samples), mib(slices.Min(samples)), mib(slices.Max(samples)), mib(g.first), mib(g.last), mib(g.limit),
		growthTolerance*100, mib(growthSlack), g.word())
	fmt.Printf("soak: RSS trend, median of each sixth: %s\n", strings.Join(sixths(samples), " "))
	fmt.Println("soak: Go heap not read: the mock exposes no runtime metrics (no expvar or pprof endpoint); RSS only")
	return &g, nil
}

// sampleRSS waits warm, then reads the mock's RSS soakSamples times, evenly over d.
func sampleRSS(ctx context.Context, mock *proc, warm, d time.Duration) ([]int64, error) {
	every := max(d/soakSamples, soakMinSample)
	t0 := time.Now().Add(warm)
	var out []int64
	for i := 1; time.Duration(i)*every <= d; i++ {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Until(t0.Add(time.Duration(i) * every))):
		}
		r := mock.rss()
		if r == 0 {
			return nil, fmt.Errorf("cannot read the mock's RSS (pid %d)", mock.cmd.Process.Pid)
		}
		out = append(out, r)
	}
	return out, nil
}

// mockTime is how far advances moves of soakAdvanceBy took the mock's clock.
func mockTime(advances int) string {
	d, err := time.ParseDuration(soakAdvanceBy)
	if err != nil {
		return "?"
	}
	return (time.Duration(advances) * d).String()
}
