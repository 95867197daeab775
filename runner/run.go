package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
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
	FailFast    bool      // stop at the first failed check; the rest are reported as skipped
	Verbose     bool      // print each check's requests under its progress line
	ToolVersion string    // written into the report
	Progress    io.Writer // one line per check as it finishes; nil: none
	// SuiteTimeout bounds the whole run (default 30m); each check has its own SpecTimeout.
	SuiteTimeout time.Duration
}

// mu serialises runs: Ginkgo keeps its suite in globals.
var mu sync.Mutex

// failRecorder is the GinkgoTestingT RunSpecs needs: anything with Fail().
type failRecorder struct{ failed bool }

func (f *failRecorder) Fail() { f.failed = true }

// Run runs the suites against cfg.Target and returns the report. It is the only caller of
// ginkgo.RunSpecs (STYLE.md rule 18). An error wrapping ErrConfig means the configuration is
// unusable (exit 2); failed checks are not errors, they are in the report.
//
// Ginkgo runs a suite once per process; Run resets Ginkgo's globals first, so a process (a test)
// may call it several times, one after the other.
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
	mu.Lock()
	defer mu.Unlock()

	globals.Reset()
	if err := suites.Register(t.suiteTarget()); err != nil {
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
		c := reports.Check{ID: info.ID, Level: reports.Level(info.Level), Flow: info.Flow, Operation: info.Operation, Rule: info.Rule, Source: info.Source}
		if filter != nil && !filter(sr.Labels()) {
			// Not selected: listed as not run, so a certification sees what the filter left out.
			c.Status = reports.NotRun
			c.Message = fmt.Sprintf("not selected by --label-filter %q", cfg.LabelFilter)
			rep.Checks = append(rep.Checks, c)
			return
		}
		switch sr.State {
		case types.SpecStatePassed:
			c.Status = reports.Passed
		case types.SpecStateSkipped, types.SpecStatePending:
			c.Status = reports.Skipped
			c.Message = sr.Failure.Message
			for _, e := range sr.ReportEntries {
				if k, ok := e.GetRawValue().(string); ok && e.Name == suites.SkipKindEntryName {
					c.SkipKind = reports.SkipKind(k)
				}
			}
			if c.Message == "" {
				// Ginkgo skipped it without our suites saying why: the run never reached it.
				c.Status = reports.NotRun
				c.SkipKind = ""
				c.Message = "the run ended before this check (suite timeout or interrupt)"
				if cfg.FailFast && sawFailure {
					c.Message = "the run stopped at the first failure (--fail-fast)"
				}
			} else if c.SkipKind == "" {
				c.SkipKind = reports.MissingInput
			}
		default:
			c.Status = reports.Failed
			c.Message = failureMessage(sr)
			sawFailure = true
		}
		c.Message = suites.Redact(strings.TrimSpace(c.Message))
		for _, e := range sr.ReportEntries {
			if l, ok := e.GetRawValue().(suites.Lifetime); ok && e.Name == suites.LifetimeEntryName {
				c.Lifetime = &reports.Lifetime{Token: l.Token, Expected: l.Expected.Seconds(), Observed: l.Observed.Seconds(),
					Tolerance: l.Tolerance.Seconds(), Source: suites.Redact(l.Source), MeasuredFrom: l.MeasuredFrom}
			}
		}
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
	sc.Timeout = cfg.SuiteTimeout
	if sc.Timeout <= 0 {
		sc.Timeout = 30 * time.Minute
	}
	rc := types.ReporterConfig{NoColor: true, Succinct: true}

	// Ginkgo's own console reporter writes to formatter.ColorableStdOut; our progress lines and
	// summary replace it.
	prev := formatter.ColorableStdOut
	formatter.ColorableStdOut = io.Discard
	defer func() { formatter.ColorableStdOut = prev }()

	ginkgo.RunSpecs(&failRecorder{}, "authconform "+t.Spec.Name, sc, rc)
	rep.Finished = time.Now().UTC()
	rep.Sort()
	if err := ctx.Err(); err != nil && !errors.Is(err, context.Canceled) {
		return rep, err
	}
	return rep, nil
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
		ClockControl:        t.ClockControl != ClockOff,
		InsecureSkipVerify:  t.InsecureSkipVerify,
		Timeout:             t.Timeout,
		MaxResponseBytes:    t.MaxResponseBytes,
		Secrets:             t.Secrets,
	}
	if t.Probe != nil {
		if op, ok := t.ProbeOperation(); ok {
			st.Probe = op
		}
	}
	return st
}
