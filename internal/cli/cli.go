// Package cli is the authconform command: Run is the whole program, and main only calls it. Each
// command lives in its own file (serve.go, conform.go for test, specs.go, report.go) and stays
// thin: it parses flags and calls the packages (specs, mockserver, runner, reports); what it
// prints for people is in its own files (banner.go, catalog.go, show.go).
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

// Version is set at build time with
// -ldflags "-X github.com/authconform/authconform/internal/cli.Version=..."; "dev" otherwise.
var Version = "dev"

// Exit codes (STYLE.md rule 20).
const (
	exitOK       = 0 // everything passed
	exitFailed   = 1 // a MUST check failed, a certification was refused, a report does not verify
	exitUsage    = 2 // a usage, config or spec error
	exitInternal = 3 // a bug of ours; never expected
)

// exitError carries an exit code out of a command. Commands return it after printing their own
// message; a plain error from a command is a usage or config error (exit 2).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func exitWith(code int, format string, args ...any) error {
	return &exitError{code: code, err: fmt.Errorf(format, args...)}
}

// env is what every command may use: the streams and the process context.
type env struct {
	ctx    context.Context
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
}

// Run is the whole program, testable without a process: args without the program name, the
// standard streams, and getenv for ${VAR} references. It returns the exit code: 0 success, 1 a
// MUST check failed (or a certification was refused, a report does not verify), 2 a usage,
// config or spec error, 3 a bug of ours.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	return run(ctx, args, stdout, stderr, getenv)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "authconform: internal error: %v\nPlease report it with the command you ran.\n", r)
			code = exitInternal
		}
	}()
	e := &env{ctx: ctx, stdout: stdout, stderr: stderr, getenv: getenv}
	root := newRootCmd(e)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && ee.err.Error() != "" {
			fmt.Fprintf(stderr, "authconform: %v\n", ee.err)
		}
		return ee.code
	}
	// Usage errors (unknown flag or command, wrong arguments: typed where cobra reports them) and
	// config errors.
	fmt.Fprintf(stderr, "authconform: %v\n", err)
	var u usageError
	if cmd, _, ferr := root.Find(args); errors.As(err, &u) && cmd != nil && (ferr == nil || cmd == root) {
		fmt.Fprintln(stderr)
		fmt.Fprint(stderr, cmd.UsageString())
	}
	return exitUsage
}

func newRootCmd(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:   "authconform",
		Short: "Conformance harness and mock server for authentication APIs",
		Long: `authconform checks authentication APIs against their vendors' documents and mocks them.

One OpenAPI document per vendor (bundled: see 'authconform specs list') drives both halves:
  serve   a mock auth server that implements every documented flow for real
  test    conformance suites that verify any implementation of a document
  specs   list, show and validate spec documents
  report  render a stored report, verify a certified one, make a signing key

Conventions (docs/cli.md): -v is --verbose wherever a command has it; the version is --version
or 'authconform version'. Every listing takes --output text|json (-o). Every command's help ends
with its exit codes, which keep one meaning throughout: 0 success, 1 a verdict (a MUST check
failed, certification refused, a report that does not verify), 2 a usage, configuration or input
error, 3 a bug of ours.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       Version,
		Args:          noCommand,
		RunE:          func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	root.SetVersionTemplate("authconform {{.Version}}\n")
	root.SetHelpTemplate(helpTemplate)
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error { return usageError{err} })
	// -v is --verbose wherever it exists; at the root it was --version, and still is, deprecated.
	root.Flags().BoolP("version", "v", false, "print the version, as 'authconform version' does")
	_ = root.Flags().MarkShorthandDeprecated("version", "-v means --verbose; use --version or 'authconform version'")
	setExitCodes(root,
		exitCode{exitOK, "success; with no command, the help was printed"},
		exitCode{exitFailed, "a verdict: a MUST check failed, a certification was refused, a report does not verify"},
		exitCode{exitUsage, "a usage, configuration or input error: a flag, a target or config file, a spec, a file that cannot be read"},
		exitCode{exitInternal, "a bug of ours; never expected"})
	root.AddCommand(newServeCmd(e), newTestCmd(e), newSpecsCmd(e), newReportCmd(e), newVersionCmd(e))
	// cobra's own commands, added now rather than when the command runs, so they document their
	// exit codes like every other and the tests that walk the tree see them.
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() == "help" || c.Name() == "completion" {
			setCobraExitCodes(c)
		}
	}
	deprecationsTo(root, e.stderr)
	// Every argument check is typed, so the usage follows its error without reading its text.
	var typeArgs func(*cobra.Command)
	typeArgs = func(c *cobra.Command) {
		if c.Args != nil {
			c.Args = typed(c.Args)
		}
		for _, sub := range c.Commands() {
			typeArgs(sub)
		}
	}
	typeArgs(root)
	return root
}

// usageError marks errors after which the command's usage is printed.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

// typed makes a command's argument check return usageError.
func typed(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			var u usageError
			if errors.As(err, &u) {
				return err
			}
			return usageError{err}
		}
		return nil
	}
}

// noCommand is the root's argument check: an argument there names no command.
func noCommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	var names []string
	for _, c := range cmd.Commands() {
		if c.IsAvailableCommand() {
			names = append(names, c.Name())
		}
	}
	return usageError{fmt.Errorf("unknown command %q for %q; the commands are %s", args[0], cmd.CommandPath(), strings.Join(names, ", "))}
}

// setCobraExitCodes documents the exit codes of cobra's help and completion commands.
func setCobraExitCodes(c *cobra.Command) {
	setExitCodes(c, exitCode{exitOK, "printed"}, codeUsage)
	for _, sub := range c.Commands() {
		setCobraExitCodes(sub)
	}
}

func newVersionCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version of authconform",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fmt.Fprintf(e.stdout, "authconform %s\n", Version)
			return nil
		},
	}
	setExitCodes(cmd, exitCode{exitOK, "printed"}, codeUsage)
	return cmd
}
