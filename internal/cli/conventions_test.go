package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// commandConventions says, for every command of the tree, what TestConventions needs to know that
// the tree cannot tell: whether it prints a listing (it must then take --output text|json, and is
// run with --output json and these arguments), and the error cases it is run with, each of which
// must exit with a code its help lists. A command missing here fails the test, so a new command
// is checked from the day it is added. cobra's own commands (help, completion) need no entry.
var commandConventions = map[string]struct {
	listing []string // nil: not a listing; else the arguments to run it with --output json
	errors  []errorCase
}{
	"authconform": {errors: []errorCase{
		{[]string{"frobnicate"}, exitUsage, "unknown command"},
		{[]string{"--nope"}, exitUsage, "unknown flag"},
	}},
	"authconform serve": {listing: []string{"serve", "--list-defects"}, errors: []errorCase{
		{[]string{"serve", "--addr", "127.0.0.1:0", "--spec", "nosuch"}, exitUsage, "no bundled spec"},
		{[]string{"serve", "--addr", "127.0.0.1:0", "--log-format", "xml"}, exitUsage, `invalid argument "xml" for "--log-format" flag: want text, json`},
		{[]string{"serve", "--list-defects", "--output", "yaml"}, exitUsage, "want text, json"},
	}},
	"authconform test": {errors: []errorCase{
		{[]string{"test"}, exitUsage, `required flag(s) "target" not set`},
		{[]string{"test", "--target", "{tmp}/missing.yaml"}, exitUsage, "no such file"},
		{[]string{"test", "--target", "examples/targets/pixfile.yaml", "--label-filter", "MUST &&"}, exitUsage, ""},
	}},
	"authconform specs": {errors: []errorCase{
		{[]string{"specs"}, exitUsage, "needs a subcommand"},
		{[]string{"specs", "nosuch"}, exitUsage, ""},
	}},
	"authconform specs list": {listing: []string{"specs", "list"}, errors: []errorCase{
		{[]string{"specs", "list", "pixfile"}, exitUsage, "unknown command"},
		{[]string{"specs", "list", "-o", "yaml"}, exitUsage, "want text, json"},
	}},
	"authconform specs show": {listing: []string{"specs", "show", "pixfile"}, errors: []errorCase{
		{[]string{"specs", "show", "nosuch"}, exitUsage, "no bundled spec"},
		{[]string{"specs", "show", "{tmp}/missing.yaml"}, exitUsage, ""},
		{[]string{"specs", "show", "pixfile", "-o", "yaml"}, exitUsage, "want text, json"},
	}},
	"authconform specs validate": {errors: []errorCase{
		{[]string{"specs", "validate", "specs/testdata/bad-duration.yaml"}, exitUsage, "not valid"},
		{[]string{"specs", "validate"}, exitUsage, "requires at least 1 arg"},
	}},
	"authconform specs catalog": {listing: []string{"specs", "catalog", "pixfile"}, errors: []errorCase{
		{[]string{"specs", "catalog", "nosuch"}, exitUsage, "no bundled spec"},
		{[]string{"specs", "catalog", "-o", "yaml"}, exitUsage, "want text, json, markdown"},
	}},
	"authconform report": {errors: []errorCase{
		{[]string{"report"}, exitUsage, "needs a subcommand"},
	}},
	"authconform report render": {errors: []errorCase{
		{[]string{"report", "render", "{tmp}/missing.json"}, exitUsage, "no such file"},
		{[]string{"report", "render", "{notreport}"}, exitUsage, "not a valid report"},
	}},
	"authconform report verify": {errors: []errorCase{
		{[]string{"report", "verify", "{tmp}/missing.json", "--key", "{pub}"}, exitUsage, "no such file"},
		{[]string{"report", "verify", "reports/testdata/report.json.golden", "--key", "{tmp}/missing.pub"}, exitUsage, "cannot read the public key"},
		{[]string{"report", "verify", "reports/testdata/report.json.golden", "--key", "{pub}"}, exitFailed, "not signed"},
		{[]string{"report", "verify", "{notreport}", "--key", "{pub}"}, exitFailed, ""},
		{[]string{"report", "verify", "reports/testdata/report.signed.golden", "--key", "{pub}"}, exitFailed, "signed with another key"},
	}},
	"authconform report keygen": {errors: []errorCase{
		{[]string{"report", "keygen", "--out", "{keys}"}, exitUsage, "exists"},
	}},
	"authconform report schema": {errors: []errorCase{
		{[]string{"report", "schema", "extra"}, exitUsage, "unknown command"},
	}},
	"authconform version": {errors: []errorCase{
		{[]string{"version", "extra"}, exitUsage, "unknown command"},
	}},
}

// errorCase is a command line that must fail with code, which the command's help must list, and
// print want on stderr ("" matches anything).
type errorCase struct {
	args []string
	code int
	want string
}

// commandTree returns every command of authconform, the root first, as a user reaches them.
func commandTree(t *testing.T) []*cobra.Command {
	t.Helper()
	var out, errb bytes.Buffer
	root := newRootCmd(&env{ctx: context.Background(), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }})
	var all []*cobra.Command
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		all = append(all, c)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	return all
}

// cobraOwn reports whether cobra made the command (help, completion and its shells).
func cobraOwn(c *cobra.Command) bool {
	for p := c; p != nil; p = p.Parent() {
		if p.Parent() != nil && p.Parent().Parent() == nil && (p.Name() == "help" || p.Name() == "completion") {
			return true
		}
	}
	return false
}

// args is a command line without the program name.
func cmdArgs(c *cobra.Command) []string { return strings.Fields(c.CommandPath())[1:] }

var exitLine = regexp.MustCompile(`(?m)^  (\d)  \S`)

// helpExitCodes runs the command's --help, which must exit 0, and returns the codes listed under
// its "Exit codes:", the last section of every help.
func helpExitCodes(t *testing.T, c *cobra.Command) []int {
	t.Helper()
	code, stdout, stderr := runCLI(t, append(cmdArgs(c), "--help")...)
	if code != exitOK || stderr != "" {
		t.Errorf("--help: exit %d, stderr %q", code, stderr)
	}
	_, section, ok := strings.Cut(stdout, "\nExit codes:\n")
	if !ok {
		t.Errorf("--help documents no exit codes:\n%s", stdout)
		return nil
	}
	var codes []int
	for _, m := range exitLine.FindAllStringSubmatch(section, -1) {
		n, _ := strconv.Atoi(m[1])
		codes = append(codes, n)
	}
	if !slices.Contains(codes, exitOK) {
		t.Errorf("--help lists no exit code 0:\n%s", section)
	}
	return codes
}

// TestConventions walks the whole command tree, so a new command is held to the conventions of
// docs/cli.md without anyone remembering to add it: its help answers and lists its exit codes;
// -v, wherever it exists, is --verbose; a listing takes --output text|json (-o) and prints valid
// JSON with json; no flag but the request log's names another output format; and the error cases
// above exit with a code the command's help lists.
func TestConventions(t *testing.T) {
	dir := t.TempDir()
	_, pub := keygen(t)
	keys := filepath.Join(dir, "keys")
	if code, _, errb := runCLI(t, "report", "keygen", "--out", keys); code != exitOK {
		t.Fatal(errb)
	}
	notReport := filepath.Join(dir, "x.json")
	if err := os.WriteFile(notReport, []byte(`{"schemaVersion": 2, "checks": "no"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	expand := strings.NewReplacer("{tmp}", dir, "{pub}", pub, "{keys}", keys, "{notreport}", notReport)

	seen := map[string]bool{}
	for _, c := range commandTree(t) {
		path := c.CommandPath()
		seen[path] = true
		t.Run(strings.ReplaceAll(path, " ", "_"), func(t *testing.T) {
			codes := helpExitCodes(t, c)

			c.Flags().AddFlagSet(c.InheritedFlags())
			c.Flags().VisitAll(func(f *pflag.Flag) {
				if f.Shorthand == "v" && f.ShorthandDeprecated == "" && f.Name != "verbose" {
					t.Errorf("-v is --%s here; it means --verbose wherever it exists", f.Name)
				}
				if f.Name == "verbose" && f.Shorthand != "v" {
					t.Errorf("--verbose has no -v")
				}
				if f.Name == "output" && (f.Shorthand != "o" || !strings.HasPrefix(f.Value.Type(), "text|json")) {
					t.Errorf("--output is -%s, %s; want -o, text|json[|...]", f.Shorthand, f.Value.Type())
				}
				if strings.HasSuffix(f.Name, "format") && f.Name != "log-format" && f.Deprecated == "" {
					t.Errorf("--%s: what a command prints is chosen by --output", f.Name)
				}
			})

			if cobraOwn(c) {
				return
			}
			conv, ok := commandConventions[path]
			if !ok {
				t.Fatalf("%q is not in commandConventions: say whether it is a listing and give its error cases", path)
			}
			hasOutput := c.Flags().Lookup("output") != nil
			switch {
			case conv.listing == nil && hasOutput:
				t.Errorf("has --output but is not a listing in commandConventions")
			case conv.listing != nil && !hasOutput:
				t.Errorf("a listing without --output text|json")
			case conv.listing != nil:
				code, text, stderr := runCLI(t, conv.listing...)
				if code != exitOK || text == "" {
					t.Errorf("%v: exit %d, stderr %q", conv.listing, code, stderr)
				}
				if code, same, _ := runCLI(t, append(slices.Clone(conv.listing), "--output", "text")...); code != exitOK || same != text {
					t.Errorf("--output text is not the default: exit %d", code)
				}
				for _, flag := range []string{"--output", "-o"} {
					code, stdout, stderr := runCLI(t, append(slices.Clone(conv.listing), flag, "json")...)
					if code != exitOK || stderr != "" {
						t.Errorf("%s json: exit %d, stderr %q", flag, code, stderr)
					}
					var v any
					if err := json.Unmarshal([]byte(stdout), &v); err != nil || v == nil {
						t.Errorf("%s json prints no JSON value (%v):\n%.300s", flag, err, stdout)
					}
				}
			}
			if len(conv.errors) == 0 {
				t.Errorf("no error case in commandConventions")
			}
			for _, ec := range conv.errors {
				args := make([]string, len(ec.args))
				for i, a := range ec.args {
					args[i] = expand.Replace(a)
				}
				code, stdout, stderr := runCLI(t, args...)
				if code != ec.code {
					t.Errorf("%v: exit %d, want %d\nstdout: %s\nstderr: %s", args, code, ec.code, stdout, stderr)
				}
				if !slices.Contains(codes, ec.code) {
					t.Errorf("%v exits %d, which its help does not list (%v)", args, ec.code, codes)
				}
				if !strings.Contains(stderr, ec.want) {
					t.Errorf("%v: stderr lacks %q:\n%s", args, ec.want, stderr)
				}
			}
		})
	}
	for path := range commandConventions {
		if !seen[path] {
			t.Errorf("commandConventions names %q, which is no command", path)
		}
	}
}

// TestVersionAndV: the version is --version or 'version'; the root's -v, once cobra's shorthand
// for --version, still prints it (so scripts do not break) with a notice that -v means --verbose.
func TestVersionAndV(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"version"}, {"-v"}} {
		code, stdout, stderr := runCLI(t, args...)
		if code != exitOK || stdout != "authconform "+Version+"\n" {
			t.Errorf("%v: exit %d, stdout %q", args, code, stdout)
		}
		deprecated := strings.Contains(stderr, "-v has been deprecated, -v means --verbose")
		if deprecated != (args[0] == "-v") {
			t.Errorf("%v: stderr %q", args, stderr)
		}
	}
	// Under test, -v is --verbose: it parses, and the run fails for the missing target only.
	code, _, stderr := runCLI(t, "test", "-v")
	if code != exitUsage || !strings.Contains(stderr, `"target" not set`) || strings.Contains(stderr, "deprecated") {
		t.Errorf("test -v: exit %d, stderr %q", code, stderr)
	}
}
