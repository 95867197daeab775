package cli

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/authconform/authconform/reports"
	"github.com/authconform/authconform/runner"
)

// testOptions are the flags of test.
type testOptions struct {
	target      string
	labelFilter string
	jsonFile    string
	junitFile   string
	htmlFile    string
	certify     bool
	signKey     string
	failFast    bool
	verbose     bool
	insecure    bool
	deadline    time.Duration
	sandbox     string // auto, off, or a sandbox id
}

func newTestCmd(e *env) *cobra.Command {
	var o testOptions
	cmd := &cobra.Command{
		Use:   "test --target FILE [--label-filter EXPR] [--json FILE] [--junit FILE] [--html FILE] [--certify --sign-key KEY] [--fail-fast] [-v]",
		Short: "Check an implementation against its spec: status codes, lifetimes, headers, schemas, security",
		Long: `Run the conformance checks against the server a target file names.

Every check is one rule with a requirement ID, a level and a provenance. Only what the vendor's
document states (or implies), what the target file states, and the readings of the document's
gaps the target file declares (readings:) are MUST: a failure fails the run. Our own readings and
RFC or OWASP practice are SHOULD: a warning. Readings the target file does not declare are found
out where a request can tell, and printed ("observed: DECISION = CHOICE").

Before any check, a preflight confirms the target serves the spec (its login answers something
other than 404 or 405); otherwise the run stops with exit 2 and a diagnosis. A check whose inputs
are missing (no disabled account in the target file) is "missing input", one that has nothing to
judge "not applicable", never passed. One line per check is printed as it finishes, then a summary
per flow and level. The run is bounded: a per-request timeout (the target file's timeout), a
breaker that stops after 3 requests in a row get no answer, and --deadline for the whole run;
Ctrl-C ends it within a second, and the reports written say interrupted.

Labels for --label-filter: each requirement ID (LOG-01), its level (MUST, SHOULD) and its flow
(login, refresh, logout, apikey, resource), e.g. --label-filter 'MUST && !apikey'.

Reports: --json (schema: reports/schema.json), --junit (for CI servers), --html (one
self-contained page: verdict, counts, every check, token lifetimes). Checks a label filter leaves
out are listed in them as "not run". 'authconform report render' rebuilds the HTML from the JSON.

Certification: with --certify --sign-key KEY, the JSON report is signed (Ed25519) when every MUST
check passed or does not apply to the spec; it is refused (exit 1, with the reasons) when a MUST
check failed, was skipped for a missing input in the target file, or did not run (a label filter,
--fail-fast). 'authconform report verify' checks the signature; 'authconform report keygen' makes
a key pair.`,
		Example: `  authconform test --target examples/targets/pixfile.yaml
  authconform test --target staging.yaml --junit results.xml --json results.json --html results.html
  authconform test --target staging.yaml --label-filter 'login || resource' -v
  authconform report keygen --out vendor && authconform test --target product.yaml --certify --sign-key vendor.key --json certified.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return conform(e, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.target, "target", "", "target file: spec, base URL, accounts (required)")
	f.StringVar(&o.labelFilter, "label-filter", "", "run only the checks whose labels match this Ginkgo label filter")
	f.StringVar(&o.jsonFile, "json", "", "write the JSON report to this file")
	f.StringVar(&o.junitFile, "junit", "", "write a JUnit XML report to this file")
	f.StringVar(&o.htmlFile, "html", "", "write a self-contained HTML report to this file")
	f.BoolVar(&o.certify, "certify", false, "certify: sign the JSON report (--json) with --sign-key, or refuse and say why")
	f.StringVar(&o.signKey, "sign-key", "", "Ed25519 private key (PEM) for --certify, from 'authconform report keygen'")
	f.BoolVar(&o.failFast, "fail-fast", false, "stop at the first failed check")
	f.BoolVarP(&o.verbose, "verbose", "v", false, "print each check's requests under its verdict")
	f.BoolVar(&o.insecure, "insecure-skip-verify", false, "do not verify the target's TLS certificate")
	f.DurationVar(&o.deadline, "deadline", runner.DefaultDeadline, "end the whole run after this long; checks not reached are reported as not run")
	f.StringVar(&o.sandbox, "sandbox", runner.SandboxAuto, "auto: when the target is an authconform mock, run in a fresh sandbox of it (its own clock and state; deleted after), so parallel runs and other users of the mock are undisturbed; off: the mock's default world; ID: that sandbox, kept")
	_ = cmd.MarkFlagRequired("target")
	setExitCodes(cmd,
		exitCode{exitOK, "every MUST check passed (and, with --certify, the report is signed)"},
		exitCode{exitFailed, "a MUST check failed, the run was interrupted or cut short by --deadline, or certification was refused"},
		exitCode{exitUsage, "a usage or target-file error, a report file that cannot be written, no check matched --label-filter, or a target that is not the spec's server (preflight)"})
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
	signKey, err := certifyKey(o)
	if err != nil {
		return err
	}
	// Open the report files first: a path that cannot be written is a usage error, found before
	// a long run rather than after it.
	var outputs []reportFile
	for _, rf := range []reportFile{{path: o.jsonFile, write: reports.WriteJSON}, {path: o.junitFile, write: reports.WriteJUnit}, {path: o.htmlFile, write: reports.WriteHTML}} {
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

	note, release, err := runner.UseSandbox(e.ctx, tg, o.sandbox)
	if err != nil {
		return exitWith(exitUsage, "%v", err)
	}
	defer release()
	fmt.Fprintf(e.stdout, "authconform %s: testing %s (spec %s) from %s\n", Version, tg.BaseURL, tg.Spec.Name, o.target)
	if note != "" {
		fmt.Fprintf(e.stdout, "  %s\n", note)
	}
	fmt.Fprintln(e.stdout)
	rep, err := runner.Run(e.ctx, runner.Config{
		Target:      tg,
		LabelFilter: o.labelFilter,
		FailFast:    o.failFast,
		Verbose:     o.verbose,
		ToolVersion: Version,
		Progress:    e.stdout,
		Deadline:    o.deadline,
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
	var refused []string
	if o.certify {
		required, rerr := runner.RequiredIDs(tg)
		if rerr != nil {
			return exitWith(exitInternal, "%v", rerr)
		}
		refused = reports.CertificationProblems(rep, required)
		if err != nil {
			refused = append(refused, "the run was interrupted: "+err.Error())
		}
		if len(refused) == 0 {
			if serr := reports.Sign(rep, signKey); serr != nil {
				return exitWith(exitInternal, "%v", serr)
			}
			fmt.Fprintf(e.stdout, "\nCertified: the JSON report %s is signed with Ed25519 key %s.\nCheck it with: authconform report verify %s --key PUBLIC-KEY\n", o.jsonFile, rep.Signature.KeyID, o.jsonFile)
		} else {
			fmt.Fprintf(e.stdout, "\nCertification refused: %d required checks did not pass:\n  - %s\n", len(refused), strings.Join(refused, "\n  - "))
		}
	}
	if len(outputs) > 0 {
		fmt.Fprintln(e.stdout)
	}
	for _, rf := range outputs {
		if err := rf.write(rf.f, rep); err != nil {
			return exitWith(exitUsage, "writing %s: %v", rf.path, err)
		}
		if err := rf.f.Close(); err != nil {
			return exitWith(exitUsage, "writing %s: %v", rf.path, err)
		}
		note := ""
		if o.certify && rf.path == o.jsonFile {
			note = " (signed)"
			if rep.Signature == nil {
				note = " (not certified, unsigned)"
			}
		}
		fmt.Fprintf(e.stdout, "Wrote %s%s\n", rf.path, note)
	}
	if err != nil {
		return exitWith(exitFailed, "the run was interrupted (%v): the checks it did not reach are reported as not run", err)
	}
	if rep.Ran() == 0 {
		return exitWith(exitUsage, "no check matched --label-filter %q", o.labelFilter)
	}
	if !rep.Passed() {
		return exitWith(exitFailed, "")
	}
	if rep.Interrupted != "" {
		return exitWith(exitFailed, "the run was cut short (%s): the checks it did not reach are reported as not run", rep.Interrupted)
	}
	if len(refused) > 0 {
		return exitWith(exitFailed, "certification refused: %d required checks failed, were skipped for a missing input, or did not run", len(refused))
	}
	return nil
}

// certifyKey checks the certification flags and reads the signing key before the run, so a
// missing key is a usage error found in a second, not after a long run.
func certifyKey(o testOptions) (ed25519.PrivateKey, error) {
	switch {
	case !o.certify && o.signKey == "":
		return nil, nil
	case !o.certify:
		return nil, exitWith(exitUsage, "--sign-key is used with --certify only")
	case o.signKey == "":
		return nil, exitWith(exitUsage, "--certify needs --sign-key KEY (make a key pair with 'authconform report keygen')")
	case o.jsonFile == "":
		return nil, exitWith(exitUsage, "--certify needs --json FILE: the signed report is written there")
	}
	kb, err := os.ReadFile(o.signKey)
	if err != nil {
		return nil, exitWith(exitUsage, "cannot read the signing key: %v", err)
	}
	k, err := reports.ParsePrivateKey(kb)
	if err != nil {
		return nil, exitWith(exitUsage, "%s: %v", o.signKey, err)
	}
	return k, nil
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
