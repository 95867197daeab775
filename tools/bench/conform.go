package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// conformSpecs are the bundled specs of the conformance phase. `authconform test` takes one
// --target and a target file names one spec, so a full run is one invocation per spec, in turn
// (the suites move the mock's clock, so two runs against one mock must not overlap).
var conformSpecs = []string{"efalia", "elyssa", "pixfile", "precrime"}

// exampleBase is the base URL the example target files point at (make run's mock).
const exampleBase = "http://127.0.0.1:8080"

// conformExtraAccounts are the roles the bench adds to each example target so that no MUST check
// is skipped for a missing input (the examples have no disabled or password-expired account for
// some specs). benchConfig gives the mock these very accounts; TestBenchConfigHasConformAccounts
// holds the two together.
var conformExtraAccounts = map[string]map[string]map[string]string{
	"efalia": {
		"disabled": {"username": "erin.off", "password": "erin-password"},
		"expired":  {"username": "frank.old", "password": "frank-password"},
	},
	"elyssa":   {"disabled": {"companyId": "33333333-3333-4333-8333-333333333333"}},
	"pixfile":  {"expired": {"username": "frank.old", "password": "frank-password"}},
	"precrime": {"disabled": {"username": "dora.off", "password": "dora-password"}},
}

// conformTarget turns an example target file into one for the mock at base, with the extra
// roles added where the example has none.
func conformTarget(example []byte, base string, extra map[string]map[string]string) ([]byte, error) {
	var t map[string]any
	if err := yaml.Unmarshal(example, &t); err != nil {
		return nil, err
	}
	u, _ := t["baseURL"].(string)
	rest, ok := strings.CutPrefix(u, exampleBase)
	if !ok {
		return nil, fmt.Errorf("baseURL %q does not start with %s", u, exampleBase)
	}
	t["baseURL"] = base + rest
	accounts, ok := t["accounts"].(map[string]any)
	if !ok {
		return nil, errors.New("no accounts mapping")
	}
	for role, fields := range extra {
		if _, has := accounts[role]; !has {
			accounts[role] = fields
		}
	}
	return yaml.Marshal(t)
}

// writeConformTargets writes one target file per spec of conformSpecs into dir, from the
// examples in examples.
func writeConformTargets(examples, dir, base string) ([]string, error) {
	var paths []string
	for _, spec := range conformSpecs {
		src := filepath.Join(examples, spec+".yaml")
		raw, err := os.ReadFile(src)
		if err != nil {
			return nil, fmt.Errorf("%w (run the bench from the repository root, or set -examples)", err)
		}
		out, err := conformTarget(raw, base, conformExtraAccounts[spec])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", src, err)
		}
		p := filepath.Join(dir, spec+".yaml")
		if err := os.WriteFile(p, out, 0o600); err != nil {
			return nil, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}

// conformRun is one full conformance run: every spec in turn.
type conformRun struct {
	total    time.Duration
	perSpec  []time.Duration
	verdicts []string // each invocation's "Verdict:" line
	missing  []string // specs whose run skipped a check for a missing input
}

// conformancePhase resets the mock and runs `authconform test` for every spec against it, runs
// times, and returns the median wall-clock time of a full run. A failing run is an error with
// the tail of its output, never a time.
func conformancePhase(ctx context.Context, bin, examples string, mock *proc, runs int) (time.Duration, error) {
	dir, err := os.MkdirTemp("", "authconform-bench-targets-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	targets, err := writeConformTargets(examples, dir, mock.base)
	if err != nil {
		return 0, err
	}
	fmt.Printf("\nconformance: `%s test`, one invocation per spec (the command takes one --target), in turn, against the bench's mock after a reset; %d runs\n", bin, runs)
	var all []conformRun
	for i := range runs {
		if err := reset(mock.base); err != nil {
			return 0, err
		}
		r, err := conformOnce(ctx, bin, targets)
		if err != nil {
			return 0, fmt.Errorf("run %d: %w", i+1, err)
		}
		parts := make([]string, len(conformSpecs))
		for j, spec := range conformSpecs {
			parts[j] = fmt.Sprintf("%s %s", spec, r.perSpec[j].Round(time.Millisecond))
		}
		fmt.Printf("  run %d: %s (%s)\n", i+1, r.total.Round(time.Millisecond), strings.Join(parts, ", "))
		all = append(all, r)
	}
	last := all[len(all)-1]
	for j, spec := range conformSpecs {
		fmt.Printf("  %-9s %s\n", spec, last.verdicts[j])
	}
	if len(last.missing) > 0 {
		fmt.Printf("  note: checks skipped for a missing input in %s (see conformExtraAccounts)\n", strings.Join(last.missing, ", "))
	}
	totals := make([]time.Duration, len(all))
	for i, r := range all {
		totals[i] = r.total
	}
	slices.Sort(totals)
	med := totals[len(totals)/2]
	fmt.Printf("conformance run of all four specs: median %s, min %s, max %s over %d runs (target < %s)\n",
		med.Round(time.Millisecond), totals[0].Round(time.Millisecond), totals[len(totals)-1].Round(time.Millisecond), len(totals), targetConformance)
	return med, nil
}

// conformInvocationTimeout bounds one `authconform test`.
const conformInvocationTimeout = 2 * time.Minute

// conformOnce runs `bin test --target T` for each target in turn and times the whole.
func conformOnce(ctx context.Context, bin string, targets []string) (conformRun, error) {
	var r conformRun
	t0 := time.Now()
	for i, target := range targets {
		c, cancel := context.WithTimeout(ctx, conformInvocationTimeout)
		cmd := exec.CommandContext(c, bin, "test", "--target", target)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		s0 := time.Now()
		err := cmd.Run()
		took := time.Since(s0)
		cancel()
		if err != nil {
			return r, fmt.Errorf("%s test --target %s (spec %s) failed after %s: %v; last lines of its output:\n%s",
				bin, target, conformSpecs[i], took.Round(time.Millisecond), err, tail(out.String(), 25))
		}
		r.perSpec = append(r.perSpec, took)
		r.verdicts = append(r.verdicts, verdictLine(out.String()))
		if strings.Contains(out.String(), "Skipped for a missing input") {
			r.missing = append(r.missing, conformSpecs[i])
		}
	}
	r.total = time.Since(t0)
	return r, nil
}

// verdictLine is the "Verdict: ..." line of a test run's output.
func verdictLine(out string) string {
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "Verdict:") {
			return strings.TrimSpace(line)
		}
	}
	return "(no verdict line)"
}

// tail is the last n lines of s, indented.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "    " + strings.Join(lines, "\n    ")
}

// reset forgets the mock's run-time state and puts its clock back to real time.
func reset(base string) error {
	resp, err := setupClient.Post(base+"/__authconform/reset", "application/json", nil)
	if err != nil {
		return fmt.Errorf("resetting the mock: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("resetting the mock: %s", resp.Status)
	}
	return nil
}
