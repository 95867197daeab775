package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/authconform/authconform/reports"
	"github.com/authconform/authconform/runner"
)

func newReportCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Render, verify and sign reports: render, verify, keygen",
		Long: `Work with the JSON reports 'authconform test --json' writes.

  render   rebuild the HTML (or JUnit) report from a stored JSON report
  verify   check a certified report's Ed25519 signature and say exactly what does not match
  keygen   write an Ed25519 key pair for 'authconform test --certify --sign-key'
  schema   print the JSON Schema of the report

The JSON report's schema is reports/schema.json (schemaVersion 3; versions 1 and 2 still read and verify); every command validates a
report against it before reading it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return usageError{errors.New("report needs a subcommand: render, verify, keygen or schema")}
		},
	}
	setExitCodes(cmd, codeHelp, codeNoSub)
	schema := &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of the JSON report (reports/schema.json)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := e.stdout.Write(reports.SchemaJSON())
			return err
		},
	}
	setExitCodes(schema, exitCode{exitOK, "printed"}, codeUsage)
	cmd.AddCommand(newReportRenderCmd(e), newReportVerifyCmd(e), newReportKeygenCmd(e), schema)
	return cmd
}

func newReportRenderCmd(e *env) *cobra.Command {
	var htmlFile, junitFile string
	cmd := &cobra.Command{
		Use:   "render REPORT.json [--html FILE] [--junit FILE]",
		Short: "Rebuild the HTML or JUnit report, and print the summary, from a stored JSON report",
		Long: `Read a JSON report (validated against the report schema first), print its console summary,
and write the HTML and JUnit reports from it: the same bytes 'authconform test' writes for the same
run. A certified report renders too; render does not check its signature (use 'report verify').`,
		Example: `  authconform report render results.json --html results.html`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := os.Open(args[0])
			if err != nil {
				return exitWith(exitUsage, "%v", err)
			}
			defer f.Close()
			rep, err := reports.ReadJSON(f)
			if err != nil {
				return exitWith(exitUsage, "%s: %v", args[0], err)
			}
			if err := reports.WriteSummary(e.stdout, rep); err != nil {
				return exitWith(exitInternal, "%v", err)
			}
			for _, out := range []struct {
				path  string
				write func(io.Writer, *reports.Report) error
			}{{htmlFile, reports.WriteHTML}, {junitFile, reports.WriteJUnit}} {
				if out.path == "" {
					continue
				}
				if err := writeFileWith(out.path, 0o644, func(w io.Writer) error { return out.write(w, rep) }); err != nil {
					return exitWith(exitUsage, "cannot write the report: %v", err)
				}
				fmt.Fprintf(e.stdout, "Wrote %s\n", out.path)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&htmlFile, "html", "", "write the self-contained HTML report to this file")
	cmd.Flags().StringVar(&junitFile, "junit", "", "write a JUnit XML report to this file")
	setExitCodes(cmd, exitCode{exitOK, "rendered"},
		exitCode{exitUsage, "the file cannot be read or is not a valid report, an output cannot be written, or a usage error"})
	return cmd
}

func newReportVerifyCmd(e *env) *cobra.Command {
	var keyFile string
	cmd := &cobra.Command{
		Use:   "verify REPORT.json --key PUBKEY",
		Short: "Verify a certified report's signature; say valid, or exactly what does not match",
		Long: `Verify a report written by 'authconform test --certify': its Ed25519 signature (a JWS, alg EdDSA)
must verify with the given public key, and the file must be, byte for byte, the canonical report
that was signed with the signature as its last member. When it does not, every mismatch is
listed: another key, an altered signature, each field whose value differs from the signed one
(the signature carries the signed report, so the path and both values are shown), or the first
byte that differs from the canonical encoding.

A file that cannot be read at all (missing, a directory, no permission) is an input error (exit
2), as for every command; a file that is read but is not a signed report does not verify (exit 1).`,
		Example: `  authconform report verify certified.json --key vendor.pub`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			kb, err := os.ReadFile(keyFile)
			if err != nil {
				return exitWith(exitUsage, "cannot read the public key: %v", err)
			}
			pub, err := reports.ParsePublicKey(kb)
			if err != nil {
				return exitWith(exitUsage, "%s: %v", keyFile, err)
			}
			data, err := os.ReadFile(args[0])
			if err != nil {
				return exitWith(exitUsage, "%v", err)
			}
			rep, err := reports.Verify(data, pub)
			if err != nil {
				return exitWith(exitFailed, "%s: %v", args[0], err)
			}
			verdict := "FAIL"
			if rep.Passed() {
				verdict = "PASS"
			}
			fmt.Fprintf(e.stdout, "%s: valid: signed with key %s; spec %s (sha256 %s) against %s, run %s, verdict %s, %d checks\n",
				args[0], rep.Signature.KeyID, rep.Spec.Name, rep.Spec.SHA256, rep.Target.BaseURL, rep.Finished.UTC().Format("2006-01-02T15:04:05Z"), verdict, len(rep.Checks))
			// The signature is what counts; a catalog that grew since the signing is worth a note.
			required, known := runner.RequiredForReport(rep)
			if problems := reports.CertificationProblems(rep, required); known && len(problems) > 0 {
				fmt.Fprintf(e.stdout, "note: by the catalog of authconform %s (newer rules, or a report signed by another tool), this report would not be certified now:\n  - %s\n", Version, strings.Join(problems, "\n  - "))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&keyFile, "key", "", "the signer's public key, PEM (from 'authconform report keygen') (required)")
	_ = cmd.MarkFlagRequired("key")
	setExitCodes(cmd, exitCode{exitOK, "the report verifies"},
		exitCode{exitFailed, "the report does not verify: another key, an altered signature or field, an unsigned report, a file that is not a report"},
		exitCode{exitUsage, "the report or the key file cannot be read (missing, unreadable), the key is not an Ed25519 public key, or a usage error (no --key)"})
	return cmd
}

func newReportKeygenCmd(e *env) *cobra.Command {
	var prefix string
	cmd := &cobra.Command{
		Use:   "keygen [--out PREFIX]",
		Short: "Write an Ed25519 key pair: PREFIX.key (private, mode 0600) and PREFIX.pub",
		Long: `Write a new Ed25519 key pair for signing certified reports: PREFIX.key, the private key (PEM,
PKCS #8, mode 0600; keep it secret, pass it to 'authconform test --certify --sign-key'), and
PREFIX.pub, the public key (PEM, PKIX; hand it to whoever verifies your reports). Existing files
are never overwritten.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			privPEM, pubPEM, err := reports.GenerateKey()
			if err != nil {
				return exitWith(exitInternal, "generating the key: %v", err)
			}
			privPath, pubPath := prefix+".key", prefix+".pub"
			for _, p := range []string{privPath, pubPath} {
				if _, err := os.Stat(p); err == nil {
					return exitWith(exitUsage, "%s exists; choose another --out or remove it", p)
				}
			}
			if err := writeNewFile(privPath, privPEM, 0o600); err != nil {
				return exitWith(exitUsage, "%v", err)
			}
			if err := writeNewFile(pubPath, pubPEM, 0o644); err != nil {
				_ = os.Remove(privPath)
				return exitWith(exitUsage, "%v", err)
			}
			pub, _ := reports.ParsePublicKey(pubPEM)
			fmt.Fprintf(e.stdout, "Wrote %s (private key, keep it secret)\nWrote %s (public key, fingerprint %s)\n", privPath, pubPath, reports.Fingerprint(pub))
			return nil
		},
	}
	cmd.Flags().StringVar(&prefix, "out", "authconform-signing", "path prefix of the two files")
	setExitCodes(cmd, exitCode{exitOK, "both files written"},
		exitCode{exitUsage, "a file exists or cannot be written, or a usage error"})
	return cmd
}

// writeNewFile creates path (never overwriting) with mode perm and writes data.
func writeNewFile(path string, data []byte, perm os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// writeFileWith renders into memory, then writes the file, so a failed render leaves no half file.
func writeFileWith(path string, perm os.FileMode, render func(io.Writer) error) error {
	var b bytes.Buffer
	if err := render(&b); err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), perm)
}
