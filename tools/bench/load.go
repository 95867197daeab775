package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// step is one request of a scenario. next, when set, reads the response to prepare the worker's
// next request (a rotated refresh token, a created key to delete).
type step struct {
	method, path string
	header       http.Header
	body         func(st *workerState) []byte
	next         func(st *workerState, resp *http.Response, body []byte) error
}

type workerState struct {
	vals map[string]string
}

// result is what one run measured.
type result struct {
	requests  int
	errors    int
	firstErr  string
	elapsed   time.Duration
	latencies []time.Duration
}

func (r result) rps() float64 { return float64(r.requests) / r.elapsed.Seconds() }

func (r result) pct(p float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	i := int(float64(len(r.latencies)-1) * p)
	return r.latencies[i]
}

// drive runs conns closed-loop workers against base for d, each cycling through steps. setup
// prepares each worker's state (a login) and is not timed.
// With limit > 0 the run also stops once that many requests were sent.
func drive(ctx context.Context, base string, conns int, d time.Duration, limit int64, steps []step, setup func(*workerState) error) (result, error) {
	var sent atomic.Int64
	ctx, cancel := context.WithTimeout(ctx, d+30*time.Second)
	defer cancel()
	type out struct {
		n, errs int
		first   string
		lat     []time.Duration
	}
	outs := make([]out, conns)
	states := make([]*workerState, conns)
	clients := make([]*http.Client, conns)
	for i := range conns {
		clients[i] = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 1, MaxConnsPerHost: 1, DisableCompression: true}}
		states[i] = &workerState{vals: map[string]string{}}
		if setup != nil {
			if err := setup(states[i]); err != nil {
				return result{}, fmt.Errorf("setup of worker %d: %w", i, err)
			}
		}
	}
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(d)
	for i := range conns {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			o := &outs[i]
			o.lat = make([]time.Duration, 0, 1<<16)
			st, c := states[i], clients[i]
			for k := 0; time.Now().Before(deadline) && ctx.Err() == nil; k++ {
				if limit > 0 && sent.Add(1) > limit {
					return
				}
				s := steps[k%len(steps)]
				t0 := time.Now()
				resp, b, err := send(ctx, c, base, s, st)
				if err != nil {
					o.errs++
					if o.first == "" {
						o.first = err.Error()
					}
					continue
				}
				o.lat = append(o.lat, time.Since(t0))
				o.n++
				if resp.StatusCode >= 300 {
					o.errs++
					if o.first == "" {
						o.first = fmt.Sprintf("%s %s -> %d %s", s.method, s.path, resp.StatusCode, truncate(b, 200))
					}
				}
				if s.next != nil {
					if err := s.next(st, resp, b); err != nil && o.first == "" {
						o.first = err.Error()
					}
				}
			}
		}(i)
	}
	wg.Wait()
	r := result{elapsed: time.Since(start)}
	for _, o := range outs {
		r.requests += o.n
		r.errors += o.errs
		r.latencies = append(r.latencies, o.lat...)
		if r.firstErr == "" {
			r.firstErr = o.first
		}
	}
	slices.Sort(r.latencies)
	for _, c := range clients {
		c.CloseIdleConnections()
	}
	return r, nil
}

// send sends one step of a worker: its body, its fixed headers and the worker's "H:" values as
// headers. It returns the response (body already read and closed) and the body.
func send(ctx context.Context, c *http.Client, base string, s step, st *workerState) (*http.Response, []byte, error) {
	var rd io.Reader
	if s.body != nil {
		rd = bytes.NewReader(s.body(st))
	}
	req, err := http.NewRequestWithContext(ctx, s.method, base+s.path, rd)
	if err != nil {
		return nil, nil, err
	}
	for h, v := range s.header {
		req.Header[h] = v
	}
	for h, v := range st.vals {
		if len(h) > 2 && h[:2] == "H:" {
			req.Header.Set(h[2:], v)
		}
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, nil, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: reading the answer: %w", s.method, s.path, err)
	}
	return resp, b, nil
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}
