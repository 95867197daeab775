package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"

	"github.com/authconform/authconform/internal/redistest"
)

// The Redis column (issue 18): the protected call and the rotating refresh on a mock whose store
// is Redis (serve --store redis://...) beside the same flows on a mock with the memory store,
// interleaved over the same rounds. Both mocks are fresh, with the bench's config; the Redis is
// Debian's redis-server on a free loopback port, persistence off, started by the bench
// (internal/redistest). Where redis-server is not installed the phase says so and is skipped.

// Targets of issue 18: the Redis store's req/s over the memory store's.
const (
	targetRedisProtected = 0.5
	targetRedisRotating  = 0.3
)

// redisTargets is the ratio each flow of the Redis phase must reach, by scenario name.
var redisTargets = map[string]float64{
	"protected GET":      targetRedisProtected,
	"refresh (rotating)": targetRedisRotating,
}

const phaseRedis = "redis"

// redisRow is one flow of the Redis phase: each store's median round, and the median over rounds
// of Redis/memory req/s.
type redisRow struct {
	flow              string
	memory, redis     result
	ratio             float64
	memErrs, redisErr int
}

// redisPhase runs the Redis phase; nil rows (and no error) when redis-server is not installed.
func redisPhase(ctx context.Context, o options, cfg string) ([]redisRow, error) {
	fmt.Printf("\nRedis store beside the memory store (protected GET, refresh (rotating)):\n")
	bin, err := exec.LookPath(redistest.Binary)
	if err != nil {
		fmt.Printf("  skipped: %s is not installed (apt-get install redis-server)\n", redistest.Binary)
		return nil, nil
	}
	dir, err := os.MkdirTemp("", "authconform-bench-redis-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	rs, err := redistest.Start(bin, dir)
	if err != nil {
		return nil, err
	}
	defer rs.Stop()
	mem, _, err := startMock(o.bin, cfg)
	if err != nil {
		return nil, err
	}
	defer mem.stop()
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	red, _, err := start(o.bin, []string{"serve", "--addr", addr, "--config", cfg, "--store", rs.URL(0), "--store-prefix", "bench:"}, addr, "/__authconform/health", io.Discard)
	if err != nil {
		return nil, err
	}
	defer red.stop()

	var rows []redisRow
	for _, sc := range scenarios() {
		if _, ok := redisTargets[sc.name]; !ok {
			continue
		}
		targets := []*proc{mem, red}
		for _, t := range targets { // warm-up, not measured
			if _, err := drive(ctx, t.base, o.conns, o.dur/4, 0, sc.steps, setupFor(sc, t.base)); err != nil {
				return nil, err
			}
		}
		runs := make([][]result, 2)
		for r := range max(o.rounds, 1) {
			for k := range targets {
				i := (k + r) % 2
				res, err := drive(ctx, targets[i].base, o.conns, o.dur, 0, sc.steps, setupFor(sc, targets[i].base))
				if err != nil {
					return nil, err
				}
				runs[i] = append(runs[i], res)
			}
		}
		ratio, _ := pairedRatios(runs[0], runs[1])
		row := redisRow{flow: sc.name, ratio: ratio}
		row.memory, row.redis = median(slices.Clone(runs[0])), median(slices.Clone(runs[1]))
		row.memErrs, row.redisErr = row.memory.errors, row.redis.errors
		rows = append(rows, row)
	}
	tw := newTable()
	fmt.Fprintln(tw, "flow\tstore\treq/s\tp50\tp99\tRSS\tratio to memory\terrors\t")
	for _, rw := range rows {
		fmt.Fprintf(tw, "%s\tmemory\t%.0f\t%s\t%s\t%s\t\t%d\t\n", rw.flow, rw.memory.rps(), us(rw.memory.pct(0.5)), us(rw.memory.pct(0.99)), mib(mem.rss()), rw.memErrs)
		fmt.Fprintf(tw, "%s\tredis\t%.0f\t%s\t%s\t%s\t%.2f\t%d\t\n", rw.flow, rw.redis.rps(), us(rw.redis.pct(0.5)), us(rw.redis.pct(0.99)), mib(red.rss()), rw.ratio, rw.redisErr)
	}
	tw.Flush()
	for _, rw := range rows {
		if rw.redisErr > 0 {
			fmt.Printf("  %s / redis: first error: %s\n", rw.flow, rw.redis.firstErr)
		}
	}
	return rows, nil
}

// redisVerdicts judges the Redis phase's ratios against issue 18's targets.
func redisVerdicts(m measurements) []verdict {
	var out []verdict
	for _, flow := range []string{"protected GET", "refresh (rotating)"} {
		want := redisTargets[flow]
		target := fmt.Sprintf("%s: Redis store req/s >= %.1fx memory store", flow, want)
		i := slices.IndexFunc(m.redis, func(r redisRow) bool { return r.flow == flow })
		if i < 0 {
			out = append(out, m.judge(phaseRedis, target, false, "", false))
			continue
		}
		r := m.redis[i]
		out = append(out, m.judge(phaseRedis, target, true, fmt.Sprintf("%.2fx", r.ratio), r.ratio >= want && r.redisErr == 0))
	}
	return out
}
