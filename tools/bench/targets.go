package main

import (
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"
)

// The targets of issues 9, 15 and 17, in one place. Ratios are the mock's req/s over the bare server's on the
// same flow; memory targets are in decimal megabytes, as the issue writes them (40 MB is 38.1 MiB).
const (
	targetLoginRatio     = 0.6  // login req/s >= 0.6x bare
	targetProtectedRatio = 0.75 // protected call req/s >= 0.75x bare
	targetOtherRatio     = 0.5  // refresh, rotating refresh, API-key cycle req/s >= 0.5x bare
	targetP99Ratio       = 1.5  // every flow: mock p99 <= 1.5x bare p99
	targetColdStart      = 40 * time.Millisecond
	targetIdleRSS        = 40_000_000  // bytes: idle RSS < 40 MB
	targetSessionsRSS    = 300_000_000 // bytes: RSS after 1M live sessions < 300 MB
	targetConformance    = 5 * time.Second
	targetFloorRatio     = 0.9 // issue 15: login and protected call req/s >= 0.9x the floor server

	// Issue 17: a protected call in a sandbox within 10 % of one in the default world; 1,000
	// idle sandboxes add less than 100 MB RSS.
	targetSandboxCallRatio = 0.9
	targetSandboxes        = 1000
	targetSandboxesRSS     = 100_000_000 // bytes

	// A soak "grew" when the median RSS of its last third exceeds the first third's by more than
	// growthTolerance of it plus growthSlack: the slack absorbs the heap's ordinary sawtooth.
	growthTolerance = 0.10
	growthSlack     = 2 << 20 // bytes
)

// flowTargets is the req/s ratio each scenario must reach, by scenario name.
var flowTargets = map[string]float64{
	"login":                   targetLoginRatio,
	"protected GET":           targetProtectedRatio,
	"refresh":                 targetOtherRatio,
	"refresh (rotating)":      targetOtherRatio,
	"API key add/list/delete": targetOtherRatio,
}

// floorTargets are the flows judged against the floor server (issue 15).
var floorTargets = []string{"login", "protected GET"}

// measurements is what a bench run measured, for the verdict block. A zero field (or a nil
// pointer) means the phase was skipped or failed; failed names a phase that ended in an error.
type measurements struct {
	rows        []row // bare, floor, mock, bare, floor, mock, ... as the table prints them (a flow may lack the floor)
	coldStart   time.Duration
	idleRSS     int64
	sessions    int64 // live sessions created for sessionsRSS
	sessionsRSS int64
	soak        *growth
	conformance time.Duration
	sandboxCall *sandboxCall
	sandboxes   *sandboxMemory
	redis       []redisRow        // the Redis phase (redis.go)
	failed      map[string]string // phase -> error
}

// verdict is one line of the verdict block.
type verdict struct {
	target   string
	measured string // "" when not measured
	met      bool
	failed   bool   // the phase that measures it ended in an error
	unjudged string // why a measured value cannot be judged against the target
}

func (v verdict) status() string {
	switch {
	case v.failed:
		return "FAILED (see above)"
	case v.unjudged != "":
		return "not judged: " + v.unjudged
	case v.measured == "":
		return "not measured"
	case v.met:
		return "met"
	}
	return "NOT met"
}

// verdicts judges every target of issues 9, 15 and 17 against what was measured.
func verdicts(m measurements) []verdict {
	var out []verdict
	mocks := m.mockRows()
	for _, mk := range mocks {
		want, ok := flowTargets[mk.flow]
		if !ok || mk.ratio == 0 {
			continue
		}
		ratio := mk.ratio
		out = append(out, verdict{
			target:   fmt.Sprintf("%s: req/s >= %.2fx bare", mk.flow, want),
			measured: fmt.Sprintf("%.2fx", ratio),
			met:      ratio >= want && mk.errors == 0,
		})
	}
	for _, mk := range mocks {
		if !slices.Contains(floorTargets, mk.flow) || mk.floorRatio == 0 {
			continue
		}
		out = append(out, verdict{
			target:   fmt.Sprintf("%s: req/s >= %.2fx floor", mk.flow, targetFloorRatio),
			measured: fmt.Sprintf("%.2fx", mk.floorRatio),
			met:      mk.floorRatio >= targetFloorRatio && mk.errors == 0,
		})
	}
	for _, mk := range mocks {
		if mk.p99Ratio == 0 {
			continue
		}
		r := mk.p99Ratio
		out = append(out, verdict{
			target:   fmt.Sprintf("%s: p99 <= %.1fx bare p99", mk.flow, targetP99Ratio),
			measured: fmt.Sprintf("%.2fx (%s)", r, us(mk.p99)),
			met:      r <= targetP99Ratio,
		})
	}
	if len(m.rows) == 0 {
		out = append(out, verdict{target: "every flow: req/s ratios and p99 <= 1.5x bare"})
	}
	out = append(out, m.judge(phaseCold, fmt.Sprintf("cold start < %s", targetColdStart), m.coldStart > 0,
		m.coldStart.Round(time.Millisecond/10).String()+" (median)", m.coldStart < targetColdStart))
	out = append(out, m.judge(phaseCold, fmt.Sprintf("idle RSS < %d MB", targetIdleRSS/1_000_000), m.idleRSS > 0,
		mb(m.idleRSS), m.idleRSS < targetIdleRSS))
	sv := m.judge(phaseSessions, fmt.Sprintf("RSS after 1M sessions < %d MB", targetSessionsRSS/1_000_000), m.sessionsRSS > 0,
		fmt.Sprintf("%s after %d", mb(m.sessionsRSS), m.sessions), m.sessionsRSS < targetSessionsRSS)
	if sv.measured != "" && m.sessions < 1_000_000 {
		sv.unjudged = "fewer than 1M sessions (-sessions)"
	}
	out = append(out, sv)
	growthLine := "no RSS growth under a steady population"
	if g := m.soak; g != nil {
		out = append(out, m.judge(phaseSoak, growthLine, true, g.String(), !g.grew))
	} else {
		out = append(out, m.judge(phaseSoak, growthLine, false, "", false))
	}
	callLine := fmt.Sprintf("protected call in a sandbox: req/s >= %.2fx the default world's", targetSandboxCallRatio)
	if c := m.sandboxCall; c != nil {
		out = append(out, m.judge(phaseSandboxCall, callLine, true, fmt.Sprintf("%.2fx", c.ratio), c.ratio >= targetSandboxCallRatio))
	} else {
		out = append(out, m.judge(phaseSandboxCall, callLine, false, "", false))
	}
	boxLine := fmt.Sprintf("%d idle sandboxes add < %d MB RSS", targetSandboxes, targetSandboxesRSS/1_000_000)
	if s := m.sandboxes; s != nil {
		v := m.judge(phaseSandboxes, boxLine, true, fmt.Sprintf("%s for %d", mb(s.added()), s.n), s.added() < targetSandboxesRSS)
		if s.n < targetSandboxes {
			v.unjudged = fmt.Sprintf("fewer than %d sandboxes (-sandboxes)", targetSandboxes)
		}
		out = append(out, v)
	} else {
		out = append(out, m.judge(phaseSandboxes, boxLine, false, "", false))
	}
	out = append(out, redisVerdicts(m)...)
	out = append(out, m.judge(phaseConformance, fmt.Sprintf("conformance run of all four specs < %s", targetConformance), m.conformance > 0,
		m.conformance.Round(time.Millisecond).String()+" (median)", m.conformance < targetConformance))
	return out
}

// mockRows are the mock's rows of the table.
func (m measurements) mockRows() []row {
	var out []row
	for _, r := range m.rows {
		if r.target == "mock" {
			out = append(out, r)
		}
	}
	return out
}

// Phase names, as measurements.failed keys them.
const (
	phaseCold        = "cold start"
	phaseSessions    = "sessions"
	phaseSoak        = "soak"
	phaseConformance = "conformance"
	phasePrism       = "prism"
	phaseSandboxCall = "sandbox call"
	phaseSandboxes   = "sandboxes"
)

// judge is a verdict whose measurement may be missing, or whose phase may have failed.
func (m measurements) judge(phase, target string, measured bool, value string, met bool) verdict {
	if _, failed := m.failed[phase]; failed {
		return verdict{target: target, failed: true}
	}
	if !measured {
		return verdict{target: target}
	}
	return verdict{target: target, measured: value, met: met}
}

// printVerdicts writes the verdict block: every target, its measured value and met / NOT met.
func printVerdicts(w io.Writer, m measurements) {
	fmt.Fprintln(w, "\nverdict (issue 9, 15 and 17 targets):")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  target\tmeasured\tverdict")
	met, total := 0, 0
	for _, v := range verdicts(m) {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", v.target, orDash(v.measured), v.status())
		if v.measured != "" && v.unjudged == "" {
			total++
			if v.met {
				met++
			}
		}
	}
	tw.Flush()
	fmt.Fprintf(w, "  %d of %d measured targets met", met, total)
	if len(m.failed) > 0 {
		fmt.Fprintf(w, "; %d phase(s) failed, see above", len(m.failed))
	}
	fmt.Fprintln(w)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// mb writes bytes in decimal megabytes, the unit of the memory targets, with MiB beside.
func mb(b int64) string {
	return fmt.Sprintf("%.1f MB (%s)", float64(b)/1e6, mib(b))
}
