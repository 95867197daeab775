// Command authconform is a conformance harness and mock server for authentication APIs.
//
// main only calls run; every command lives in its own cmd_*.go file and stays thin: it parses
// flags and calls the packages (specs, mockserver, runner, reports).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=..."; "dev" otherwise.
var version = "dev"

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

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// run is the whole program, testable without a process.
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
	// Cobra's own errors (unknown flag or command, wrong arguments) and config errors.
	fmt.Fprintf(stderr, "authconform: %v\n", err)
	if cmd, _, ferr := root.Find(args); ferr == nil && cmd != nil && isUsageError(err) {
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

Exit codes: 0 success, 1 a MUST check failed (or a report does not verify), 2 usage or config error.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version,
	}
	root.SetVersionTemplate("authconform {{.Version}}\n")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(newVersionCmd(e), newSpecsCmd(e))
	for _, add := range extraCommands {
		root.AddCommand(add(e))
	}
	return root
}

// extraCommands holds the commands defined in other cmd_*.go files (serve, test, report); each
// file appends its constructor in an init function, so adding a command touches one file.
var extraCommands []func(*env) *cobra.Command

// usageError marks errors after which the command's usage is printed.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

func isUsageError(err error) bool {
	var u usageError
	if errors.As(err, &u) {
		return true
	}
	// Cobra reports unknown commands and argument-count errors as plain errors.
	msg := err.Error()
	for _, s := range []string{"unknown command", "accepts ", "requires at least", "requires at most", "unknown flag", "unknown shorthand"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

func newVersionCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of authconform",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fmt.Fprintf(e.stdout, "authconform %s\n", version)
			return nil
		},
	}
}
