package cli

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
)

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb, func(string) string { return "" })
	return code, out.String(), errb.String()
}

// cliCase is one command line and what it must print: each of stdout and stderr must contain
// its string ("" matches anything).
type cliCase struct {
	name   string
	args   []string
	code   int
	stdout string
	stderr string
}

// runCLICases runs each case as a subtest.
func runCLICases(t *testing.T, cases []cliCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, stdout, stderr)
			}
			if !strings.Contains(stdout, tt.stdout) {
				t.Errorf("stdout lacks %q:\n%s", tt.stdout, stdout)
			}
			if !strings.Contains(stderr, tt.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderr, stderr)
			}
		})
	}
}

func TestCLI(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		code      int
		stdout    []string
		stderr    []string
		notStdout []string
	}{
		{name: "version", args: []string{"version"}, stdout: []string{"authconform "}},
		{name: "specs list shows four specs", args: []string{"specs", "list"},
			stdout: []string{"efalia", "Efalia Process API", "6.36.1", "POST /auth/token", "pixfile", "elyssa", "precrime", "POST /authheader/delete"}},
		{name: "specs show by name", args: []string{"specs", "show", "elyssa"},
			stdout: []string{"access", "24h", "refresh", "360d", "CompanyId", "must equal the account's companyId", "elyssa-example-lifetime"}},
		{name: "specs show by file", args: []string{"specs", "show", "specs/pixfile.yaml"},
			stdout: []string{"header X-Auth-Token", "body /X-Auth-Token", "disabled"}},
		{name: "specs show unknown", args: []string{"specs", "show", "nosuch"}, code: 2,
			stderr: []string{"no bundled spec of that name"}},
		{name: "validate good files", args: []string{"specs", "validate", "specs/efalia.yaml", "specs/pixfile.yaml", "specs/elyssa.yaml", "specs/precrime.yaml"},
			stdout: []string{"specs/efalia.yaml: valid"}},
		{name: "validate a broken file", args: []string{"specs", "validate", "specs/efalia.yaml", "specs/testdata/bad-duration.yaml"}, code: 2,
			stdout: []string{"specs/efalia.yaml: valid"},
			stderr: []string{"specs/testdata/bad-duration.yaml:55:14: x-authconform.tokens.access.lifetime", "1 of 2 files are not valid"}},
		{name: "validate needs a file", args: []string{"specs", "validate"}, code: 2, stderr: []string{"requires at least 1 arg", "Usage:"}},
		{name: "wrong flag prints usage", args: []string{"specs", "list", "--nope"}, code: 2, stderr: []string{"unknown flag: --nope", "Usage:"}},
		{name: "unknown command", args: []string{"frobnicate"}, code: 2, stderr: []string{"unknown command"}},
		{name: "help answers", args: []string{"specs", "validate", "--help"}, stdout: []string{"Exit codes:\n  0  all files are valid"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, stdout, stderr)
			}
			for _, w := range tt.stdout {
				if !strings.Contains(stdout, w) {
					t.Errorf("stdout lacks %q:\n%s", w, stdout)
				}
			}
			for _, w := range tt.stderr {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
		})
	}
}

// TestMain runs the command's tests from the repository's root, where a user runs the binary:
// the examples, specs and docs they name are the paths a user types.
func TestMain(m *testing.M) {
	if os.Getenv(asCLI) == "1" { // a test's child process: be the command (parallel_test.go)
		os.Exit(Run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
	}
	if err := os.Chdir("../.."); err != nil {
		panic(err)
	}
	os.Exit(m.Run())
}
