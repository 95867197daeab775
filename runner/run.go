package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/extensions/globals"
	"github.com/onsi/ginkgo/v2/formatter"
	"github.com/onsi/ginkgo/v2/types"
	"github.com/onsi/gomega"

	"github.com/authconform/authconform/reports"
	"github.com/authconform/authconform/suites"
)

// Config is one run of the suites.
type Config struct {
	Target      *Target
	LabelFilter string    // Ginkgo label filter over IDs, levels and flows, e.g. "MUST && !apikey"
	FailFast    bool      // stop at the first failed check; the rest are reported as not run
	Verbose     bool      // print each check's requests under its progress line
	ToolVersion string    // written into the report
	Progress    io.Writer // one line per check as it finishes; nil: none
	// Deadline bounds the whole run (default DefaultDeadline): the checks it cuts off are not run,
	// and the report says the run was interrupted. Each check has its own SpecTimeout, each
	// request the target's timeout, and a target that stops answering trips a breaker.
	Deadline time.Duration
	// NoPreflight skips the preflight (tests of the checks against targets that are broken on
	// purpose at the login).
	NoPreflight bool
}

// DefaultDeadline bounds a run when Config.Deadline is not set: a full run against a real server
// takes a few minutes at most, most of it the clock checks.
const DefaultDeadline = 15 * time.Minute

// mu serialises runs: Ginkgo keeps its suite in globals.
var mu sync.Mutex

// failRecorder is the GinkgoTestingT RunSpecs needs: anything with Fail().
type failRecorder struct{ failed bool }

func (f *failRecorder) Fail() { f.failed = true }

// Run runs the suites against cfg.Target and returns the report. It is the only caller of
// ginkgo.RunSpecs (STYLE.md rule 18). An error wrapping ErrConfig means the configuration is
// unusable or the target is not the spec's server (exit 2; a preflight names what it asked and
// the likely fix); failed checks are not errors, they are in the report.
//
// Run honours ctx: when it ends (an interrupt), requests in flight are cancelled, the checks not
// yet run are reported as not run, and the report says interrupted; Run then returns the report
// and ctx's error. Ginkgo runs a suite once per process; Run resets Ginkgo's globals first, so a
// process (a test) may call it several times, one after the other.
func Run(ctx context.Context, cfg Config) (*reports.Report, error) {
	t := cfg.Target
	if t == nil || t.Spec == nil {
		return nil, fmt.Errorf("%w: no target loaded", ErrConfig)
	}
	filter, err := parseLabelFilter(cfg.LabelFilter)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !cfg.NoPreflight {
		if err := Preflight(ctx, t); err != nil {
			return nil, err
		}
	}
	deadline := cfg.Deadline
	if deadline <= 0 {
		deadline = DefaultDeadline
	}
	runCtx, cancel := context.WithTimeoutCause(ctx, deadline, fmt.Errorf("the run's deadline (%s) passed", deadline))
	defer cancel()

	mu.Lock()
	defer mu.Unlock()
	globals.Reset()
	if err := suites.Register(runCtx, t.suiteTarget()); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	rep := &reports.Report{
		SchemaVersion: reports.SchemaVersion,
		Tool:          reports.Tool{Name: "authconform", Version: cfg.ToolVersion},
		Spec:          reports.Spec{Name: t.Spec.Name, Title: t.Spec.Title, Version: t.Spec.Version, File: t.Spec.File, SHA256: t.Spec.SHA256},
		Target:        reports.Target{BaseURL: t.BaseURL.String(), File: t.File},
		LabelFilter:   cfg.LabelFilter,
		Started:       time.Now().UTC(),
	}
	sawFailure := false
	ginkgo.ReportAfterEach(func(sr types.SpecReport) {
		if sr.LeafNodeType != types.NodeTypeIt {
			return
		}
		info, ok := suites.CheckOf(sr.FullText())
		if !ok {
			return
		}
		c := checkOf(sr, info, filter, cfg, sawFailure)
		sawFailure = sawFailure || c.Status == reports.Failed
		rep.Checks = append(rep.Checks, c)
		if cfg.Progress != nil {
			fmt.Fprintln(cfg.Progress, reports.CheckLine(c))
			if cfg.Verbose {
				for _, l := range strings.Split(strings.TrimSpace(suites.Redact(sr.CapturedGinkgoWriterOutput)), "\n") {
					if l != "" {
						fmt.Fprintln(cfg.Progress, "       | "+l)
					}
				}
			}
		}
	})
	gomega.RegisterFailHandler(suites.FailHandler)

	sc := types.NewDefaultSuiteConfig()
	sc.RandomSeed = 1 // the same order every run, so reports and logs compare
	sc.LabelFilter = cfg.LabelFilter
	sc.FailFast = cfg.FailFast
	sc.Timeout = deadline + time.Minute // the run's context ends first; this only backs it up
	rc := types.ReporterConfig{NoColor: true, Succinct: true}

	// Ginkgo's own console reporter writes to formatter.ColorableStdOut; our progress lines and
	// summary replace it.
	prev := formatter.ColorableStdOut
	formatter.ColorableStdOut = io.Discard
	defer func() { formatter.ColorableStdOut = prev }()

	ginkgo.RunSpecs(&failRecorder{}, "authconform "+t.Spec.Name, sc, rc)
	rep.Finished = time.Now().UTC()
	rep.Readings = readingsOf(t)
	rep.Interrupted = suites.Stopped()
	rep.Sort()
	if err := ctx.Err(); err != nil {
		return rep, err
	}
	return rep, nil
}

// checkOf turns what Ginkgo reports of one It into the report's check: its outcome from the spec
// state, the skip kind or warnings the check attached, its level and provenance from the suites,
// and a message redacted of every secret. A check the label filter left out, or that did not run
// because the run was cut short, is not run; one interrupted mid-flight too.
func checkOf(sr types.SpecReport, info suites.CheckInfo, filter types.LabelFilter, cfg Config, sawFailure bool) reports.Check {
	p := info.Provenance
	c := reports.Check{ID: info.ID, Level: reports.Level(info.Level), Flow: info.Flow, Operation: info.Operation, Rule: info.Rule, Source: info.Source,
		Provenance: &reports.Provenance{Basis: string(p.Basis), Cite: suites.Redact(p.Cite), Quote: p.Quote, Decision: p.Decision, Declared: p.Declared}}
	if filter != nil && !filter(sr.Labels()) {
		// Not selected: listed as not run, so a certification sees what the filter left out.
		c.Status = reports.NotRun
		c.Message = fmt.Sprintf("not selected by --label-filter %q", cfg.LabelFilter)
		return c
	}
	var warnings []string
	kind := ""
	for _, e := range sr.ReportEntries {
		v, _ := e.GetRawValue().(string)
		switch e.Name {
		case suites.SkipKindEntryName:
			kind = v
		case suites.WarningEntryName:
			warnings = append(warnings, v)
		}
	}
	switch sr.State {
	case types.SpecStatePassed:
		c.Status = reports.Passed
		if len(warnings) > 0 {
			c.Status, c.Message = reports.Warning, strings.Join(warnings, "\n")
		}
	case types.SpecStateSkipped, types.SpecStatePending:
		c.Message = sr.Failure.Message
		switch kind {
		case suites.SkipNotApplicable:
			c.Status = reports.NotApplicable
		case suites.SkipNotRun:
			c.Status = reports.NotRun
		default:
			c.Status = reports.MissingInput
		}
		if c.Message == "" {
			// Ginkgo skipped it without our suites saying why: the run never reached it.
			c.Status = reports.NotRun
			c.Message = "the run ended before this check (deadline or interrupt)"
			if cfg.FailFast && sawFailure {
				c.Message = "the run stopped at the first failure (--fail-fast)"
			}
		}
	default:
		c.Status = reports.Failed
		if info.Level == suites.SHOULD {
			c.Status = reports.Warning
		}
		c.Message = failureMessage(sr)
		if why := suites.Ended(); why != "" {
			// Cut off mid-flight by the deadline or an interrupt: not a verdict.
			c.Status, c.Message = reports.NotRun, why+"; this check was cut off: "+headLine(c.Message)
		}
	}
	c.Message = suites.Redact(strings.TrimSpace(c.Message))
	for _, e := range sr.ReportEntries {
		if l, ok := e.GetRawValue().(suites.Lifetime); ok && e.Name == suites.LifetimeEntryName {
			c.Lifetime = &reports.Lifetime{Token: l.Token, Expected: l.Expected.Seconds(), Observed: l.Observed.Seconds(),
				Tolerance: l.Tolerance.Seconds(), Source: suites.Redact(l.Source), MeasuredFrom: l.MeasuredFrom}
		}
	}
	return c
}

func headLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// readingsOf lists the readings the run used: the target's declared ones, then those observed.
func readingsOf(t *Target) []reports.Reading {
	var out []reports.Reading
	means := func(id, choice string) string {
		if d, ok := t.Spec.Decision(id); ok {
			if rd, ok := d.Reading(choice); ok {
				return rd.Means
			}
		}
		return ""
	}
	for _, id := range slices.Sorted(maps.Keys(t.Readings)) {
		out = append(out, reports.Reading{Decision: id, Choice: t.Readings[id], How: reports.Declared, Means: means(id, t.Readings[id])})
	}
	obs := suites.Observed()
	for _, id := range slices.Sorted(maps.Keys(obs)) {
		out = append(out, reports.Reading{Decision: id, Choice: obs[id], How: reports.Observed, Means: means(id, obs[id])})
	}
	return out
}

// CheckLabelFilter reports whether expr is a valid label filter, as an ErrConfig error.
func CheckLabelFilter(expr string) error {
	_, err := parseLabelFilter(expr)
	return err
}

var ansi = regexp.MustCompile(`\x1b\[[0-9;]*m|\{\{[a-z/]*\}\}`)

func parseLabelFilter(expr string) (types.LabelFilter, error) {
	if expr == "" {
		return nil, nil
	}
	f, err := types.ParseLabelFilter(expr)
	if err != nil {
		msg := err.Error()
		var ge types.GinkgoError
		if errors.As(err, &ge) {
			msg = ge.Message
		}
		msg = strings.Join(strings.Fields(ansi.ReplaceAllString(msg, "")), " ")
		return nil, fmt.Errorf("%w: --label-filter %q: %s", ErrConfig, expr, msg)
	}
	return f, nil
}

func failureMessage(sr types.SpecReport) string {
	msg := sr.Failure.Message
	switch sr.State {
	case types.SpecStatePanicked:
		msg = "the check panicked: " + sr.Failure.ForwardedPanic + "\n" + msg
	case types.SpecStateTimedout:
		msg = "the check timed out: " + msg
	case types.SpecStateInterrupted:
		msg = "interrupted: " + msg
	}
	if msg == "" {
		msg = "failed (" + sr.State.String() + ")"
	}
	return msg
}

// suiteTarget is what the suites read from the target file.
func (t *Target) suiteTarget() *suites.Target {
	st := &suites.Target{
		Spec:                t.Spec,
		BaseURL:             t.BaseURL,
		Accounts:            t.Accounts,
		AccessLifetime:      t.Expect.AccessTokenLifetime,
		RefreshLifetime:     t.Expect.RefreshTokenLifetime,
		AccessTokenPointer:  t.Fields.AccessToken,
		RefreshTokenPointer: t.Fields.RefreshToken,
		Readings:            t.Readings,
		ClockControl:        t.ClockControl != ClockOff,
		InsecureSkipVerify:  t.InsecureSkipVerify,
		Timeout:             t.Timeout,
		MaxResponseBytes:    t.MaxResponseBytes,
		Secrets:             t.Secrets,
		Client:              t.Client,
		AdminURL:            t.AdminURL,
	}
	if t.Probe != nil {
		if op, ok := t.ProbeOperation(); ok {
			st.Probe = op
		}
	}
	return st
}
