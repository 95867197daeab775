package cli

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

// hostile serves h until the test ends; stop runs before the server closes, so blocked handlers
// return.
func hostile(t *testing.T, h func(w http.ResponseWriter, r *http.Request, stop <-chan struct{})) *httptest.Server {
	stop := make(chan struct{})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h(w, r, stop) }))
	t.Cleanup(ts.Close)
	t.Cleanup(func() { close(stop) })
	return ts
}

func wait(r *http.Request, stop <-chan struct{}, d time.Duration) bool {
	select {
	case <-r.Context().Done():
		return false
	case <-stop:
		return false
	case <-time.After(d):
		return true
	}
}

// With the default flags and no timeout in the target file, `authconform test` judges a target
// that never answers, or answers a byte a second, within 60 s: the preflight gives up at the
// default 10 s per-request timeout and says what it asked and what to check (exit 2, no checks).
func TestTestCommandAgainstSilentTargetsWithDefaults(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the default 10 s timeout")
	}
	tests := []struct {
		name string
		h    func(w http.ResponseWriter, r *http.Request, stop <-chan struct{})
	}{
		{"hangs", func(_ http.ResponseWriter, r *http.Request, stop <-chan struct{}) { wait(r, stop, time.Hour) }},
		{"drips one byte a second", func(w http.ResponseWriter, r *http.Request, stop <-chan struct{}) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			for range 3600 {
				if _, err := w.Write([]byte(" ")); err != nil {
					return
				}
				w.(http.Flusher).Flush()
				if !wait(r, stop, time.Second) {
					return
				}
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ts := hostile(t, tt.h)
			start := time.Now()
			code, stdout, stderr := runCLI(t, "test", "--target", writeTarget(t, "precrime", ts.URL, ""))
			took := time.Since(start)
			if code != exitUsage || !strings.Contains(stderr, "did not answer within 10s") || !strings.Contains(stderr, "POST "+ts.URL+"/user/login") {
				t.Errorf("exit %d, want %d and a diagnosis naming the request and the timeout\nstdout:\n%s\nstderr:\n%s", code, exitUsage, stdout, stderr)
			}
			if took > 60*time.Second {
				t.Errorf("judged in %s, want within 60 s", took.Round(time.Second))
			}
			if strings.Contains(stdout, "PASSED") || strings.Contains(stdout, "FAILED") {
				t.Errorf("checks ran against a target the preflight refused:\n%s", stdout)
			}
		})
	}
}

// A target that answers its login (so the preflight passes) and then stops answering ends in
// bounded time too: after three requests in a row time out, the rest of the checks are not run,
// the reports say why, and the exit code is 1. It still writes a valid JSON report.
func TestTestCommandAgainstATargetThatStopsAnswering(t *testing.T) {
	ts := hostile(t, func(w http.ResponseWriter, r *http.Request, stop <-chan struct{}) {
		if r.URL.Path == "/user/login" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"message":"Incorrect credentials"}`))
			return
		}
		wait(r, stop, time.Hour)
	})
	jsonPath := filepath.Join(t.TempDir(), "r.json")
	junitPath := filepath.Join(t.TempDir(), "r.xml")
	start := time.Now()
	code, stdout, stderr := runCLI(t, "test", "--target", writeTarget(t, "precrime", ts.URL, "timeout: 200ms\n"), "--json", jsonPath, "--junit", junitPath)
	took := time.Since(start)
	if code != exitFailed {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitFailed, stdout, stderr)
	}
	if took > 30*time.Second {
		t.Errorf("the run took %s against a target that stopped answering", took.Round(time.Second))
	}
	data, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := reports.ReadJSON(strings.NewReader(string(data)))
	if err != nil {
		t.Fatalf("the JSON report does not read back: %v", err)
	}
	notRun := 0
	for _, c := range rep.Checks {
		if c.Outcome() == reports.NotRun && strings.Contains(c.Message, "the target stopped answering") {
			notRun++
		}
	}
	if !strings.Contains(rep.Interrupted, "the target stopped answering") || notRun == 0 || rep.Passed() {
		t.Errorf("interrupted %q, %d checks not run for it, passed %v", rep.Interrupted, notRun, rep.Passed())
	}
	for _, want := range []string{"Verdict: FAIL", "The run was cut short", "no response within the 200ms timeout"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout+stderr+string(data), "SecurePass123!") {
		t.Error("the password reached an output")
	}
}
