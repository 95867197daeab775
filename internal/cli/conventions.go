package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"
)

// The conventions every command follows (docs/cli.md), kept in one place so that a new command
// follows them by calling these helpers, and TestConventions (conventions_test.go) walks the whole
// command tree to check them:
//
//   - -v is --verbose wherever it exists; the version is --version or 'authconform version'
//     (the root's old -v for --version still works, with a deprecation notice).
//   - Every command that prints a listing takes --output text|json (-o); json is one JSON value
//     on stdout, for jq and scripts. Logs on stderr are chosen by --log-format (serve).
//   - Every command's help ends with its exit codes (setExitCodes); the codes are those of
//     cli.go: 0 success, 1 a verdict FAIL or a failed verification, 2 a usage, configuration or
//     input error, 3 a bug of ours.
//   - A renamed flag keeps its old spelling as a deprecated alias (deprecatedAlias): it works and
//     prints a notice on stderr.

// annotationExitCodes holds a command's exit codes, one "CODE  MEANING" line each.
const annotationExitCodes = "authconform/exit-codes"

// exitCode is one exit code of a command and what it means there.
type exitCode struct {
	code    int
	meaning string
}

// setExitCodes records a command's exit codes, which its help prints last under "Exit codes:".
func setExitCodes(cmd *cobra.Command, codes ...exitCode) {
	var b strings.Builder
	for _, c := range codes {
		fmt.Fprintf(&b, "  %d  %s\n", c.code, c.meaning)
	}
	if cmd.Annotations == nil {
		cmd.Annotations = map[string]string{}
	}
	cmd.Annotations[annotationExitCodes] = b.String()
}

// The meanings most commands share.
var (
	codeUsage = exitCode{exitUsage, "a usage error: an unknown flag or command, a wrong argument"}
	codeHelp  = exitCode{exitOK, "the help was printed (--help); each subcommand's help lists its own codes"}
	codeNoSub = exitCode{exitUsage, "no subcommand, or an unknown one"}
)

// helpTemplate is cobra's, with the command's exit codes after its usage.
const helpTemplate = `{{with (or .Long .Short)}}{{. | trimTrailingWhitespaces}}

{{end}}{{if or .Runnable .HasSubCommands}}{{.UsageString}}{{end}}{{with index .Annotations "` + annotationExitCodes + `"}}
Exit codes:
{{.}}{{end}}`

// outputFormat is the value of --output: one of a command's formats, checked as the flag is
// parsed, so a wrong one is a usage error (exit 2) that names the choices.
type outputFormat struct {
	value   string
	choices []string
}

func (o *outputFormat) String() string { return o.value }
func (o *outputFormat) Type() string   { return strings.Join(o.choices, "|") }
func (o *outputFormat) Set(s string) error {
	if !slices.Contains(o.choices, s) {
		return fmt.Errorf("want %s", strings.Join(o.choices, ", "))
	}
	o.value = s
	return nil
}

// addOutputFlag gives a listing command --output (-o): text by default, json always, and any
// other formats the command has. The command's help says which.
func addOutputFlag(cmd *cobra.Command, usage string, more ...string) *outputFormat {
	o := &outputFormat{value: "text", choices: append([]string{"text", "json"}, more...)}
	if usage == "" {
		usage = "text for people, json for tools (one JSON value on stdout)"
	}
	cmd.Flags().VarP(o, "output", "o", usage)
	return o
}

// deprecatedAlias adds old as another spelling of the flag now, bound to the same value: it
// still works, prints a deprecation notice on stderr, and is hidden from the help.
func deprecatedAlias(cmd *cobra.Command, old, now string) {
	f := cmd.Flags().Lookup(now)
	cmd.Flags().Var(f.Value, old, f.Usage)
	_ = cmd.Flags().MarkDeprecated(old, fmt.Sprintf("use --%s", now))
}

// deprecationsTo sends the notices pflag prints for deprecated flags to w (stderr), on every
// command of the tree: cobra would print them on the command's output, stdout here, in the middle
// of a listing a script reads.
func deprecationsTo(cmd *cobra.Command, w io.Writer) {
	cmd.Flags().SetOutput(w)
	for _, sub := range cmd.Commands() {
		deprecationsTo(sub, w)
	}
}

// writeJSON writes v as indented JSON and a newline: the --output json of every listing.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
