package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/authconform/authconform/reports"
)

// TestTestCommandAgainstAHangingTarget: `authconform test` against a target that never answers
// ends in bounded time with exit 1 (a MUST failed), not a crash, a hang or exit 2, and still
// writes a valid JSON report whose failures say why. The other hostile targets are in
// runner/hostile_test.go.
func TestTestCommandAgainstAHangingTarget(t *testing.T) {
	stop := make(chan struct{})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-stop:
		}
	}))
	defer ts.Close()
	defer close(stop) // runs first: the handlers return, then the server closes

	jsonPath := filepath.Join(t.TempDir(), "r.json")
	start := time.Now()
	code, stdout, stderr := runCLI(t, "test", "--target", writeTarget(t, "precrime", ts.URL, "timeout: 50ms\n"), "--json", jsonPath)
	took := time.Since(start)
	if code != exitFailed {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitFailed, stdout, stderr)
	}
	if took > 30*time.Second {
		t.Errorf("the run took %s against a target that never answers", took.Round(time.Second))
	}
	data, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := reports.ReadJSON(strings.NewReader(string(data)))
	if err != nil {
		t.Fatalf("the JSON report does not read back: %v", err)
	}
	timedOut := 0
	for _, c := range rep.Checks {
		if c.Status == reports.Failed && strings.Contains(c.Message, "no response within the 50ms timeout") {
			timedOut++
		}
	}
	if timedOut == 0 || !strings.Contains(stdout, "no response within the 50ms timeout") {
		t.Errorf("no failure says the target did not answer within the timeout:\n%s", stdout)
	}
	if strings.Contains(stdout+stderr+string(data), "SecurePass123!") {
		t.Error("the password reached an output")
	}
	t.Logf("exit %d in %s, %d checks failed on the timeout", code, took.Round(time.Millisecond), timedOut)
}
