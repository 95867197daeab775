package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/authconform/authconform/mockserver"
	"github.com/authconform/authconform/mockserver/defects"
	"github.com/authconform/authconform/mockserver/devtools"
	"github.com/authconform/authconform/reports"
	"github.com/authconform/authconform/runner"
	"github.com/authconform/authconform/specs"
	"github.com/authconform/authconform/suites"
)

// Result is one run of the suites against the mock with one mutation (or none) for one spec.
type Result struct {
	Spec     string   `json:"spec"`
	Mutation string   `json:"mutation,omitempty"` // empty: the clean mock
	Variant  bool     `json:"variant,omitempty"`
	Failed   []string `json:"failed,omitempty"`   // checks failing here that do not fail on the clean mock: "ID METHOD /path (rule)"
	Killers  []string `json:"killers,omitempty"`  // their IDs, sorted, unique
	Lost     []string `json:"lost,omitempty"`     // variants: checks passing on the clean mock that did not run here
	Expected bool     `json:"expected,omitempty"` // defects: a check of the catalog's Catches is among the killers
	Known    string   `json:"known,omitempty"`    // a known survivor or known variant failure: why (mutation/known.go)
	Error    string   `json:"error,omitempty"`
	Seconds  float64  `json:"seconds"`
}

// Verdict is what the result means for the gate.
func (r Result) Verdict() string {
	switch {
	case r.Error != "":
		return "error"
	case r.Mutation == "":
		return "baseline"
	case r.Variant && r.Known != "" && len(r.Failed) > 0:
		return "known variant failure"
	case r.Variant && r.Known != "":
		return "known variant failure now passes"
	case r.Variant && len(r.Failed) > 0:
		return "variant failed"
	case r.Variant:
		return "passed"
	case r.Known != "" && len(r.Killers) > 0:
		return "known survivor now caught"
	case r.Known != "":
		return "known survivor"
	case len(r.Killers) == 0:
		return "survived"
	case !r.Expected:
		return "caught by other checks"
	}
	return "caught"
}

// Bad reports whether the result fails the gate.
func (r Result) Bad() bool {
	switch r.Verdict() {
	case "baseline", "passed", "caught", "known survivor", "known variant failure":
		return false
	}
	return true
}

// Plan is what to run.
type Plan struct {
	Specs      []string // spec names; empty: every bundled spec and every example spec
	Only       []string // mutation names; empty: every defect and variant
	TargetsDir string   // where NAME.yaml target files are
	// ExamplesDir holds example specs (NAME.yaml, a team's own API described by YAML alone),
	// each tested like a bundled spec with its target file; default: specs/ beside TargetsDir.
	ExamplesDir string
	Progress    io.Writer
}

// Execute runs the plan: per spec the clean mock, then every variant and every defect that
// applies. Runs are sequential (Ginkgo keeps one suite per process).
func Execute(ctx context.Context, p Plan) ([]Result, error) {
	if p.ExamplesDir == "" {
		p.ExamplesDir = filepath.Join(p.TargetsDir, "..", "specs")
	}
	names := p.Specs
	if len(names) == 0 {
		names = append(specs.Names(), exampleNames(p.ExamplesDir)...)
	}
	var muts []*defects.Mutation
	for _, m := range slices.Concat(defects.Variants(), defects.Defects()) {
		if len(p.Only) == 0 || slices.Contains(p.Only, m.Name) {
			muts = append(muts, m)
		}
	}
	for _, n := range p.Only {
		if _, ok := defects.Lookup(n); !ok {
			return nil, fmt.Errorf("no defect or variant %q", n)
		}
	}
	var out []Result
	for _, name := range names {
		src := name
		if !slices.Contains(specs.Names(), name) {
			src = filepath.Join(p.ExamplesDir, name+".yaml")
		}
		sp, err := specs.Load(src)
		if err != nil {
			return nil, err
		}
		base, baseRep := runOne(ctx, p, sp, nil, nil)
		out = append(out, base)
		if base.Error != "" {
			continue
		}
		clean := statuses(baseRep)
		for _, m := range muts {
			if !m.AppliesTo(sp) {
				continue
			}
			if err := ctx.Err(); err != nil {
				return out, err
			}
			set := defects.Choose([]string{m.Name}, nil)
			if m.Variant {
				set = defects.Choose(nil, []string{m.Name})
			}
			res, rep := runOne(ctx, p, sp, m, set)
			if rep != nil {
				compare(&res, clean, rep, m)
			}
			out = append(out, res)
		}
	}
	return out, nil
}

// runOne serves sp from a fresh mock on 127.0.0.1 and runs every check against it.
func runOne(ctx context.Context, p Plan, sp *specs.Spec, m *defects.Mutation, set *defects.Set) (Result, *reports.Report) {
	res := Result{Spec: sp.Name}
	if m != nil {
		res.Mutation, res.Variant = m.Name, m.Variant
	}
	start := time.Now()
	defer func() { res.Seconds = time.Since(start).Seconds() }()
	var opts []mockserver.Option
	if set != nil {
		opts = append(opts, mockserver.WithExtension(set))
	}
	// The readings the mutation runs under (a server claiming one and breaking it): the mock
	// follows them, the target declares them.
	var readings map[string]string
	if m != nil {
		readings = m.Readings(sp)
	}
	served, err := sp.WithReadings(readings)
	if err != nil {
		res.Error = err.Error()
		return res, nil
	}
	mock, err := devtools.New([]*specs.Spec{served}, opts...)
	if err != nil {
		res.Error = err.Error()
		return res, nil
	}
	ts := httptest.NewUnstartedServer(mock)
	if set != nil {
		ts.Listener = set.Listener(ts.Listener) // the listener itself unless a defect needs the wire
	}
	ts.Start()
	defer ts.Close()
	tg, err := runner.LoadTarget(filepath.Join(p.TargetsDir, sp.Name+".yaml"), func(string) string { return "" })
	if err != nil {
		res.Error = err.Error()
		return res, nil
	}
	u, _ := url.Parse(ts.URL)
	tg.BaseURL.Scheme, tg.BaseURL.Host = u.Scheme, u.Host
	// The mock follows the first reading of every decision (the document as written): the kill
	// matrix declares them, so a defect that breaks a reading (rotation, logout ending the
	// refresh token) fails a MUST rather than passing for the other reading.
	tg.Readings = map[string]string{}
	for _, d := range tg.Spec.Decisions {
		if len(d.Readings) > 0 {
			tg.Readings[d.ID] = d.Readings[0].Choice
		}
	}
	maps.Copy(tg.Readings, readings)
	if tg.Spec, err = tg.Spec.WithReadings(tg.Readings); err != nil {
		res.Error = err.Error()
		return res, nil
	}
	rctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	rep, err := runner.Run(rctx, runner.Config{Target: tg, ToolVersion: "mutation", Deadline: 2 * time.Minute})
	if err != nil {
		res.Error = err.Error()
		return res, nil
	}
	if p.Progress != nil {
		fmt.Fprintf(p.Progress, "%-9s %-34s %5.2fs\n", sp.Name, orClean(res.Mutation), time.Since(start).Seconds())
	}
	return res, rep
}

func orClean(name string) string {
	if name == "" {
		return "(clean mock)"
	}
	return name
}

// checkKey names one check of one operation (credential forms included).
func checkKey(c reports.Check) string {
	k := c.ID
	if c.Operation != "" {
		k += " " + c.Operation
	}
	if i := strings.LastIndex(c.Rule, " ("); i >= 0 && strings.HasSuffix(c.Rule, ")") {
		k += c.Rule[i:]
	}
	return k
}

func statuses(rep *reports.Report) map[string]reports.Status {
	out := map[string]reports.Status{}
	for _, c := range rep.Checks {
		out[checkKey(c)] = c.Outcome()
	}
	return out
}

// flagged reports whether an outcome says the target broke a rule: failed (MUST) or warning.
func flagged(o reports.Status) bool { return o == reports.Failed || o == reports.Warning }

// compare fills in what the mutation changed against the clean mock.
func compare(res *Result, clean map[string]reports.Status, rep *reports.Report, m *defects.Mutation) {
	ids := map[string]bool{}
	for _, c := range rep.Checks {
		k := checkKey(c)
		// Caught at any level: a check that fails or warns here and not on the clean mock.
		o := c.Outcome()
		if flagged(o) && !flagged(clean[k]) {
			res.Failed = append(res.Failed, k)
			ids[c.ID] = true
		}
		if m.Variant && clean[k] == reports.Passed && o != reports.Passed && !flagged(o) {
			res.Lost = append(res.Lost, k)
		}
	}
	slices.Sort(res.Failed)
	res.Killers = slices.Sorted(func(yield func(string) bool) {
		for id := range ids {
			if !yield(id) {
				return
			}
		}
	})
	for _, id := range m.Catches {
		if ids[id] {
			res.Expected = true
		}
	}
	if reason, ok := knownSurvivors[m.Name+"/"+res.Spec]; ok {
		res.Known = reason
	}
}

// Unkilled returns the requirement IDs that no defect made fail.
func Unkilled(results []Result) []string {
	killed := map[string]bool{}
	for _, r := range results {
		if !r.Variant {
			for _, id := range r.Killers {
				killed[id] = true
			}
		}
	}
	var out []string
	for _, rq := range suites.Requirements {
		if !killed[rq.ID] {
			out = append(out, rq.ID)
		}
	}
	return out
}

// Summary counts the results.
type Summary struct {
	Defects, DefectRuns, Caught, KnownSurvivors, Survived       int
	Variants, VariantRuns, VariantsFailed, KnownVariantFailures int
	Bad                                                         int
}

// Summarize counts results; a defect counts as caught when caught on every spec it applies to
// (KnownSurvivors counts the defect/spec pairs that survive as known weaknesses).
func Summarize(results []Result) Summary {
	var s Summary
	defects, variants := map[string]bool{}, map[string]bool{}
	badDefect, badVariant := map[string]bool{}, map[string]bool{}
	for _, r := range results {
		if r.Bad() {
			s.Bad++
		}
		switch {
		case r.Mutation == "":
		case r.Variant:
			variants[r.Mutation] = true
			s.VariantRuns++
			if r.Bad() || r.Verdict() == "known variant failure" {
				badVariant[r.Mutation] = true
			}
			if r.Verdict() == "known variant failure" {
				s.KnownVariantFailures++
			}
		default:
			defects[r.Mutation] = true
			s.DefectRuns++
			switch v := r.Verdict(); {
			case v == "known survivor":
				s.KnownSurvivors++
				badDefect[r.Mutation] = true
			case r.Bad():
				badDefect[r.Mutation] = true
			}
		}
	}
	s.Defects, s.Variants = len(defects), len(variants)
	s.Survived, s.VariantsFailed = len(badDefect), len(badVariant)
	s.Caught = s.Defects - s.Survived
	return s
}

// WriteMatrix prints the kill matrix, the variants, the checks no defect fails and the verdict.
func WriteMatrix(w io.Writer, results []Result) {
	var b bytes.Buffer
	fmt.Fprintln(&b, "KILL MATRIX (defect x spec: the checks it makes fail that pass on the clean mock)")
	for _, r := range results {
		if r.Mutation == "" || r.Variant {
			continue
		}
		mark := "ok  "
		if r.Bad() {
			mark = "FAIL"
		} else if r.Known != "" {
			mark = "weak"
		}
		killers := strings.Join(r.Killers, " ")
		switch {
		case r.Error != "":
			killers = "error: " + r.Error
		case r.Known != "" && len(r.Killers) == 0:
			killers = "survives (known: " + r.Known + ")"
		case len(r.Killers) == 0:
			killers = "SURVIVES: no check fails"
		case !r.Expected:
			killers += "  (none of the catalog's expected checks)"
		}
		fmt.Fprintf(&b, "  %s %-34s %-9s %s\n", mark, r.Mutation, r.Spec, killers)
	}
	fmt.Fprintln(&b, "\nVARIANTS (benign: every check that passes on the clean mock must still pass)")
	for _, r := range results {
		if !r.Variant {
			continue
		}
		mark, what := "ok  ", "passes"
		switch {
		case r.Error != "":
			mark, what = "FAIL", "error: "+r.Error
		case r.Known != "" && len(r.Failed) > 0:
			mark, what = "weak", "fails "+strings.Join(r.Failed, "; ")+" (known: "+r.Known+")"
		case r.Known != "":
			mark, what = "FAIL", "passes, but mutation/known.go lists it as failing: remove the entry"
		case len(r.Failed) > 0:
			mark, what = "FAIL", "fails "+strings.Join(r.Failed, "; ")
		case len(r.Lost) > 0:
			what = "passes; no longer runs: " + strings.Join(r.Lost, "; ")
		}
		fmt.Fprintf(&b, "  %s %-34s %-9s %s\n", mark, r.Mutation, r.Spec, what)
	}
	for _, r := range results {
		if r.Mutation == "" && r.Error != "" {
			fmt.Fprintf(&b, "\nFAIL the clean mock of %s could not be checked: %s\n", r.Spec, r.Error)
		}
	}
	un := Unkilled(results)
	fmt.Fprintf(&b, "\nCHECKS NO DEFECT FAILS (%d): %s\n", len(un), strings.Join(un, " "))
	s := Summarize(results)
	fmt.Fprintf(&b, "\n%d/%d defects caught on every spec they apply to; %d defect/spec pair(s) survive as known weaknesses, marked weak (%d runs)\n",
		s.Caught, s.Defects, s.KnownSurvivors, s.DefectRuns)
	fmt.Fprintf(&b, "%d/%d variants pass on every spec they apply to; %d variant/spec pair(s) fail as known weaknesses, marked weak (%d runs)\n",
		s.Variants-s.VariantsFailed, s.Variants, s.KnownVariantFailures, s.VariantRuns)
	if s.Bad > 0 {
		fmt.Fprintf(&b, "FAIL: %d result(s) break the gate (lines marked FAIL)\n", s.Bad)
	} else {
		fmt.Fprintln(&b, "PASS")
	}
	_, _ = w.Write(b.Bytes())
}

// exampleNames lists the example specs in dir (NAME.yaml), sorted; none when dir is absent.
func exampleNames(dir string) []string {
	files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	var out []string
	for _, f := range files {
		out = append(out, strings.TrimSuffix(filepath.Base(f), ".yaml"))
	}
	slices.Sort(out)
	return out
}

// findTargets locates examples/targets from the repository root (make mutation), tools/ (go run
// ./mutation there) or tools/mutation (go test runs in the package directory).
func findTargets() string {
	for _, d := range []string{"examples/targets", "../examples/targets", "../../examples/targets"} {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			return d
		}
	}
	return "examples/targets"
}
