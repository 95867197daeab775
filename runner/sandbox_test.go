package runner

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/authconform/authconform/mockserver/devtools"
	"github.com/authconform/authconform/reports"
	"github.com/authconform/authconform/specs"
)

// startSandboxedMock serves sp with sandboxes, as authconform serve does.
func startSandboxedMock(t *testing.T, sp *specs.Spec, o devtools.SandboxOptions) *httptest.Server {
	t.Helper()
	live, err := devtools.NewLive([]*specs.Spec{sp})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(devtools.NewSandboxes(live, live.Tools(), live.World, o))
	t.Cleanup(ts.Close)
	return ts
}

func getJSON(t *testing.T, u string) map[string]any {
	t.Helper()
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var v map[string]any
	_ = json.NewDecoder(res.Body).Decode(&v)
	return v
}

// TestRunInSandbox: against a mock with sandboxes, a run moves into a fresh sandbox, passes there
// with clock control (LIF-08 moves the sandbox's clock, never the default world's), and the
// sandbox is gone after release.
func TestRunInSandbox(t *testing.T) {
	sp, err := specs.Load("efalia")
	if err != nil {
		t.Fatal(err)
	}
	ts := startSandboxedMock(t, sp, devtools.SandboxOptions{})
	tg := exampleTarget(t, "efalia", ts.URL)
	note, release, err := UseSandbox(context.Background(), tg, SandboxAuto)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tg.BaseURL.Path, "/__sandbox/sb-") || !strings.HasSuffix(tg.BaseURL.Path, "/workey/api") || tg.AdminURL == nil || !strings.Contains(note, "fresh sandbox") {
		t.Fatalf("base %s, admin %v, note %q", tg.BaseURL, tg.AdminURL, note)
	}
	before := getJSON(t, ts.URL+"/__authconform/clock")["now"].(string)
	rep := runAgainst(t, tg, "")
	if !rep.Passed() {
		t.Error("the run failed in its sandbox")
	}
	if c := findCheck(rep, "LIF-08"); c == nil || c.Outcome() != reports.Passed {
		t.Errorf("LIF-08 did not pass in the sandbox: %+v", c)
	}
	after := getJSON(t, ts.URL+"/__authconform/clock")["now"].(string)
	b, _ := time.Parse(time.RFC3339Nano, before)
	a, _ := time.Parse(time.RFC3339Nano, after)
	if a.Sub(b) > time.Minute {
		t.Errorf("the run moved the default world's clock from %s to %s", before, after)
	}
	if list := getJSON(t, ts.URL+"/__authconform/sandboxes")["sandboxes"].([]any); len(list) != 1 {
		t.Errorf("sandboxes during the run: %v", list)
	}
	release()
	if list := getJSON(t, ts.URL+"/__authconform/sandboxes")["sandboxes"].([]any); len(list) != 0 {
		t.Errorf("the run's sandbox outlived it: %v", list)
	}
}

// TestUseSandboxModes: off changes nothing; a named sandbox is created when missing and kept;
// against a server without sandboxes auto changes nothing and a name is a configuration error.
func TestUseSandboxModes(t *testing.T) {
	sp, err := specs.Load("pixfile")
	if err != nil {
		t.Fatal(err)
	}
	ts := startSandboxedMock(t, sp, devtools.SandboxOptions{Explicit: true})
	tg := exampleTarget(t, "pixfile", ts.URL)
	if _, _, err := UseSandbox(context.Background(), tg, SandboxOff); err != nil || tg.BaseURL.Path != "" || tg.AdminURL != nil {
		t.Errorf("off: %v, base %s", err, tg.BaseURL)
	}
	_, release, err := UseSandbox(context.Background(), tg, "qa-7")
	if err != nil || tg.BaseURL.Path != "/__sandbox/qa-7" {
		t.Fatalf("named: %v, base %s", err, tg.BaseURL)
	}
	release()
	if list := getJSON(t, ts.URL+"/__authconform/sandboxes")["sandboxes"].([]any); len(list) != 1 {
		t.Errorf("a named sandbox was not kept: %v", list)
	}
	again := exampleTarget(t, "pixfile", ts.URL)
	if _, _, err := UseSandbox(context.Background(), again, "qa-7"); err != nil || again.BaseURL.Path != "/__sandbox/qa-7" {
		t.Errorf("an existing named sandbox: %v, base %s", err, again.BaseURL)
	}

	plain := startMock(t, sp, nil) // devtools without sandboxes: its list says off
	tg = exampleTarget(t, "pixfile", plain.URL)
	if note, _, err := UseSandbox(context.Background(), tg, SandboxAuto); err != nil || note != "" || tg.BaseURL.Path != "" {
		t.Errorf("auto without sandboxes: %v %q %s", err, note, tg.BaseURL)
	}
	if _, _, err := UseSandbox(context.Background(), tg, "qa-7"); !errors.Is(err, ErrConfig) {
		t.Errorf("a name without sandboxes: %v", err)
	}
}
