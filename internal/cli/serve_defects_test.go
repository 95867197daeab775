package cli

import (
	"regexp"
	"strings"
	"testing"
)

func TestServeMutationFlags(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout []string // regular expressions the output must match
		stderr string
	}{
		{name: "list", args: []string{"serve", "--list-defects"}, code: 0,
			stdout: []string{`DEFECTS \(--defect NAME\)`, "logout-not-revoking", "caught by OUT-02,OUT-03", `VARIANTS \(--variant NAME\)`, "opaque-refresh"}},
		{name: "list for one spec", args: []string{"serve", "--spec", "pixfile", "--list-defects"}, code: 0,
			stdout: []string{`\(none served\)`, `disabled-account-let-in\s+pixfile`}},
		{name: "list as JSON for one spec", args: []string{"serve", "--spec", "pixfile", "--list-defects", "-o", "json"}, code: 0,
			stdout: []string{`"name": "disabled-account-let-in",\s+"kind": "defect",\s+"flow": "\w+",\s+"specs": \[\s+"pixfile"\s+\]`, `"kind": "variant"`}},
		{name: "--output is for --list-defects", args: []string{"serve", "--addr", "127.0.0.1:0", "--output", "json"}, code: exitUsage,
			stderr: "--output json applies to --list-defects; the request log's format is --log-format"},
		{name: "unknown defect", args: []string{"serve", "--addr", "127.0.0.1:0", "--defect", "nope"}, code: exitUsage,
			stderr: `unknown defect "nope"; the defects are: login-refusal-200`},
		{name: "unknown variant", args: []string{"serve", "--addr", "127.0.0.1:0", "--variant", "login-status-201"}, code: exitUsage,
			stderr: `unknown variant "login-status-201"; the variants are:`},
		{name: "defect not applicable", args: []string{"serve", "--addr", "127.0.0.1:0", "--spec", "pixfile", "--defect", "logout-not-revoking"}, code: exitUsage,
			stderr: "needs a logout flow, which none of the served specs (pixfile) has"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.stderr) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, tc.code, tc.stderr)
			}
			for _, want := range tc.stdout {
				if !regexp.MustCompile(want).MatchString(stdout) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout)
				}
			}
		})
	}
}
