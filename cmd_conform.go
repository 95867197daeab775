package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/authconform/authconform/reports"
	"github.com/authconform/authconform/runner"
)

func init() { extraCommands = append(extraCommands, newTestCmd) }

// testOptions are the flags of test.
type testOptions struct {
	target      string
	labelFilter string
	jsonFile    string
	junitFile   string
	failFast    bool
	verbose     bool
	insecure    bool
}

func newTestCmd(e *env) *cobra.Command {
	var o testOptions
	cmd := &cobra.Command{
		Use:   "test --target FILE [--label-filter EXPR] [--json FILE] [--junit FILE] [--fail-fast] [-v]",
		Short: "Check an implementation against its spec: status codes, lifetimes, headers, schemas, security",
		Long: `Run the conformance checks against the server a target file names.

Every check is one documented rule with a requirement ID and a level: MUST (a failure fails the
run) or SHOULD (a warning). A check whose inputs are missing (no disabled account in the target
file, no refresh flow in the spec) is skipped with the reason, never passed. One line per check is
printed as it finishes, then a summary per flow and level.

Labels for --label-filter: each requirement ID (LOG-01), its level (MUST, SHOULD) and its flow
(login, refresh, logout, apikey, resource), e.g. --label-filter 'MUST && !apikey'.

Exit codes: 0 every MUST check passed, 1 a MUST check failed, 2 a usage or target-file error.`,
		Example: `  authconform test --target examples/targets/pixfile.yaml
  authconform test --target staging.yaml --junit results.xml --json results.json
  authconform test --target staging.yaml --label-filter 'login || resource' -v`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return conform(e, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.target, "target", "", "target file: spec, base URL, accounts (required)")
	f.StringVar(&o.labelFilter, "label-filter", "", "run only the checks whose labels match this Ginkgo label filter")
	f.StringVar(&o.jsonFile, "json", "", "write the JSON report to this file")
	f.StringVar(&o.junitFile, "junit", "", "write a JUnit XML report to this file")
	f.BoolVar(&o.failFast, "fail-fast", false, "stop at the first failed check")
	f.BoolVarP(&o.verbose, "verbose", "v", false, "print each check's requests under its verdict")
	f.BoolVar(&o.insecure, "insecure-skip-verify", false, "do not verify the target's TLS certificate")
	_ = cmd.MarkFlagRequired("target")
	return cmd
}

func conform(e *env, o testOptions) error {
	tg, err := runner.LoadTarget(o.target, e.getenv)
	if err != nil {
		return exitWith(exitUsage, "%v", err)
	}
	if err := runner.CheckLabelFilter(o.labelFilter); err != nil {
		return exitWith(exitUsage, "%v", err)
	}
	if o.insecure {
		tg.InsecureSkipVerify = true
	}
	// Open the report files first: a path that cannot be written is a usage error, found before
	// a long run rather than after it.
	var outputs []reportFile
	for _, rf := range []reportFile{{path: o.jsonFile, write: reports.WriteJSON}, {path: o.junitFile, write: reports.WriteJUnit}} {
		if rf.path == "" {
			continue
		}
		f, err := os.Create(rf.path)
		if err != nil {
			closeAll(outputs)
			return exitWith(exitUsage, "cannot write the report: %v", err)
		}
		rf.f = f
		outputs = append(outputs, rf)
	}
	defer closeAll(outputs)

	fmt.Fprintf(e.stdout, "authconform %s: testing %s (spec %s) from %s\n\n", version, tg.BaseURL, tg.Spec.Name, o.target)
	rep, err := runner.Run(e.ctx, runner.Config{
		Target:      tg,
		LabelFilter: o.labelFilter,
		FailFast:    o.failFast,
		Verbose:     o.verbose,
		ToolVersion: version,
		Progress:    e.stdout,
	})
	if errors.Is(err, runner.ErrConfig) {
		return exitWith(exitUsage, "%v", err)
	}
	if rep == nil {
		return exitWith(exitInternal, "the run produced no report: %v", err)
	}
	if err := reports.WriteSummary(e.stdout, rep); err != nil {
		return exitWith(exitInternal, "writing the summary: %v", err)
	}
	for _, rf := range outputs {
		if err := rf.write(rf.f, rep); err != nil {
			return exitWith(exitUsage, "writing %s: %v", rf.path, err)
		}
		if err := rf.f.Close(); err != nil {
			return exitWith(exitUsage, "writing %s: %v", rf.path, err)
		}
		fmt.Fprintf(e.stdout, "Wrote %s\n", rf.path)
	}
	if err != nil {
		return exitWith(exitFailed, "the run was interrupted: %v", err)
	}
	if len(rep.Checks) == 0 {
		return exitWith(exitUsage, "no check matched --label-filter %q", o.labelFilter)
	}
	if !rep.Passed() {
		return exitWith(exitFailed, "")
	}
	return nil
}

type reportFile struct {
	path  string
	write func(io.Writer, *reports.Report) error
	f     *os.File
}

func closeAll(fs []reportFile) {
	for _, rf := range fs {
		_ = rf.f.Close()
	}
}
