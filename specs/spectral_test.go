package specs

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// spectral returns the pinned Spectral CLI (tools/spectral, installed by npm ci), or skips the
// test where node or the package is missing; under CI=true a missing tool fails instead.
func spectral(t *testing.T) string {
	t.Helper()
	bin, _ := filepath.Abs(filepath.Join("..", "tools", "spectral", "node_modules", ".bin", "spectral"))
	_, errNode := exec.LookPath("node")
	_, errBin := os.Stat(bin)
	if errNode != nil || errBin != nil {
		msg := "Spectral is not installed: run (cd tools/spectral && npm ci)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return bin
}

// Every bundled spec, and every example spec, passes Spectral's spectral:oas ruleset as .spectral.yaml configures it: no
// error, no warning, no hint. A spec with known defects fails, so an empty ruleset cannot pass.
func TestSpectral(t *testing.T) {
	bin := spectral(t)
	lint := func(files ...string) (string, error) {
		args := append([]string{"lint", "--ruleset", filepath.Join("..", ".spectral.yaml"), "--fail-severity=hint"}, files...)
		out, err := exec.Command(bin, args...).CombinedOutput()
		return string(out), err
	}
	names := Names()
	files := make([]string, len(names))
	for i, n := range names {
		files[i] = n + ".yaml"
	}
	examples, _ := filepath.Glob(filepath.Join("..", "examples", "specs", "*.yaml"))
	if len(examples) == 0 {
		t.Fatal("no example specs under examples/specs")
	}
	if out, err := lint(append(files, examples...)...); err != nil {
		t.Errorf("spectral lint specs/*.yaml examples/specs/*.yaml: %v\n%s", err, out)
	}

	// minimal.yaml tags no operation, describes none, and its server URL is fine; a trailing
	// slash makes sure a warning the bundled specs avoid is still reported.
	base, err := os.ReadFile(filepath.Join("testdata", "minimal.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	defect := filepath.Join(t.TempDir(), "defect.yaml")
	doc := strings.Replace(string(base), "servers: [{url: /}]", "servers: [{url: 'https://example.com/api/'}]", 1)
	if err := os.WriteFile(defect, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := lint(defect)
	if err == nil {
		t.Fatalf("a spec with known defects passed Spectral:\n%s", out)
	}
	for _, rule := range []string{"oas3-server-trailing-slash", "operation-tags", "operation-description"} {
		if !strings.Contains(out, rule) {
			t.Errorf("Spectral did not report %s:\n%s", rule, out)
		}
	}
}
