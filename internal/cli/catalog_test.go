package cli

import (
	"bytes"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/authconform/authconform/suites"
)

var updateDocs = flag.Bool("update", false, "rewrite docs/conformance.md from the catalog")

// TestConformanceDoc fails when docs/conformance.md is not what the catalog generates;
// `go test ./internal/cli -run TestConformanceDoc -update` rewrites it.
func TestConformanceDoc(t *testing.T) {
	var b bytes.Buffer
	if err := writeCatalogMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	const path = "docs/conformance.md"
	if *updateDocs {
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	have, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/cli -run TestConformanceDoc -update)", err)
	}
	if !bytes.Equal(have, b.Bytes()) {
		t.Errorf("%s is stale: the catalog changed; run go test ./internal/cli -run TestConformanceDoc -update and commit the result", path)
	}
	for _, r := range suites.Requirements {
		if !bytes.Contains(have, []byte("| "+r.ID+" | "+string(r.Level())+" | "+string(r.Basis)+" |")) {
			t.Errorf("%s lacks the row of %s", path, r.ID)
		}
	}
}

func TestCatalogCommand(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout []string
		stderr string
	}{
		{"every rule", []string{"specs", "catalog"}, 0, []string{"LOG-01", "MUST", "source: the spec's login flow", "JWT-04"}, ""},
		{"for one spec", []string{"specs", "catalog", "pixfile"}, 0, []string{"Requirement catalog for pixfile", "MUST on POST /api/v2/login: documented", "SHOULD on POST /api/v2/login: reading: decision pixfile-400"}, ""},
		{"not applicable where a spec has no flow", []string{"specs", "catalog", "elyssa"}, 0, []string{"not applicable: elyssa documents no apikey flow"}, ""},
		{"json", []string{"specs", "catalog", "elyssa", "--output", "json"}, 0, []string{`"id": "LOG-01"`, `"applies": true`}, ""},
		{"json, short", []string{"specs", "catalog", "elyssa", "-o", "json"}, 0, []string{`"id": "LOG-01"`}, ""},
		{"the old --format still works, deprecated", []string{"specs", "catalog", "elyssa", "--format", "json"}, 0, []string{`"id": "LOG-01"`}, "--format has been deprecated, use --output"},
		{"markdown with a spec", []string{"specs", "catalog", "elyssa", "--output", "markdown"}, 2, nil, "give no spec"},
		{"unknown format", []string{"specs", "catalog", "--output", "yaml"}, 2, nil, "want text, json, markdown"},
		{"unknown format, old flag", []string{"specs", "catalog", "--format", "yaml"}, 2, nil, "want text, json, markdown"},
		{"unknown spec", []string{"specs", "catalog", "nosuch"}, 2, nil, "no bundled spec"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\n%s\n%s", code, tt.code, stdout, stderr)
			}
			for _, w := range tt.stdout {
				if !strings.Contains(stdout, w) {
					t.Errorf("stdout lacks %q:\n%s", w, stdout)
				}
			}
			if !strings.Contains(stderr, tt.stderr) {
				t.Errorf("stderr lacks %q: %s", tt.stderr, stderr)
			}
		})
	}
}
