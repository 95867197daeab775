package reports

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func sample() *Report {
	start := time.Date(2026, 11, 22, 13, 0, 0, 0, time.FixedZone("CET", 3600))
	return &Report{
		SchemaVersion: SchemaVersion,
		Tool:          Tool{Name: "authconform", Version: "1.2.3"},
		Spec:          Spec{Name: "demo", Title: "Demo API", Version: "1.0", File: "bundled:demo.yaml", SHA256: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
		Target:        Target{BaseURL: "http://127.0.0.1:9000", File: "demo.yaml"},
		Started:       start,
		Finished:      start.Add(1500 * time.Millisecond),
		LabelFilter:   "login || logout || refresh",
		Readings:      []Reading{{Decision: "demo-authorization", Choice: "bare", How: Observed, Means: "the raw token"}, {Decision: "demo-rotation", Choice: "refused", How: Declared}},
		// deliberately unsorted: renderers must order them
		Checks: []Check{
			{ID: "OUT-01", Level: MUST, Flow: "logout", Operation: "POST /logout", Rule: "logout with a valid token answers the documented status", Status: Passed},
			{ID: "LOG-05", Level: MUST, Flow: "login", Operation: "POST /login", Rule: "wrong password is refused with the documented status", Status: Failed, Message: "expected status 401 (documented for badCredentials)\ngot 200 <with & \"quotes\">",
				Provenance: &Provenance{Basis: "documented", Cite: "paths./login.post.responses.401 (badCredentials)", Quote: "Incorrect credentials"}},
			{ID: "LOG-03", Level: SHOULD, Flow: "login", Operation: "POST /login", Rule: "token responses carry Cache-Control: no-store", Status: Warning, Message: "Cache-Control was \"\"",
				Provenance: &Provenance{Basis: "practice", Cite: "RFC 6749 5.1"}},
			{ID: "LOG-13", Level: MUST, Flow: "login", Operation: "POST /login", Rule: "an unknown account is refused", Status: Warning, Message: "SHOULD (reading demo-401): expected 401 for unknownAccount; got 403 from POST http://127.0.0.1:9000/login",
				Provenance: &Provenance{Basis: "documented", Cite: "paths./login.post refuses unknownAccount; its status 401 is decision demo-401", Decision: "demo-401"}},
			{ID: "LOG-01", Level: MUST, Flow: "login", Operation: "POST /login", Rule: "valid credentials get the documented status and tokens", Status: Passed},
			{ID: "LOG-14", Level: MUST, Flow: "login", Operation: "POST /login", Rule: "a disabled account is refused with the documented status and error body", Status: MissingInput,
				Message: `the target file has no "disabled" account (accounts.disabled)`},
			{ID: "LIF-02", Level: MUST, Flow: "login", Operation: "POST /login", Rule: "the access token lives as documented", Status: Passed,
				Lifetime: &Lifetime{Token: "access", Expected: 86400, Observed: 86400, Tolerance: 60, Source: "the spec", MeasuredFrom: "iat"}},
			{ID: "LIF-16", Level: MUST, Flow: "refresh", Operation: "POST /refresh", Rule: "the refresh token lives as long as documented or expected, within 60 s", Status: Failed,
				Message:  "expected a lifetime of 30d (the spec), within 1m\ngot 1h",
				Lifetime: &Lifetime{Token: "refresh", Expected: 30 * 86400, Observed: 3600, Tolerance: 60, Source: "the spec", MeasuredFrom: "the Date header"}},
			{ID: "REF-01", Level: MUST, Flow: "refresh", Rule: "a refresh token gets a working access token", Status: NotApplicable, Message: "the spec documents no refresh flow"},
			{ID: "KEY-01", Level: MUST, Flow: "apikey", Operation: "POST /keys", Rule: "creating an API key answers the documented status and returns the key", Status: NotRun, Message: `not selected by --label-filter "login || logout || refresh"`},
		},
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./reports -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output (run go test ./reports -update if the change is intended)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestRenderers(t *testing.T) {
	tests := []struct {
		name   string
		golden string
		write  func(*bytes.Buffer, *Report) error
	}{
		{"json", "report.json.golden", func(b *bytes.Buffer, r *Report) error { return WriteJSON(b, r) }},
		{"junit", "report.junit.golden", func(b *bytes.Buffer, r *Report) error { return WriteJUnit(b, r) }},
		{"console", "report.console.golden", func(b *bytes.Buffer, r *Report) error { return WriteSummary(b, r) }},
		{"html", "report.html.golden", func(b *bytes.Buffer, r *Report) error { return WriteHTML(b, r) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var a, b bytes.Buffer
			if err := tt.write(&a, sample()); err != nil {
				t.Fatal(err)
			}
			// deterministic: the same data in another order renders the same bytes
			r := sample()
			for i, j := 0, len(r.Checks)-1; i < j; i, j = i+1, j-1 {
				r.Checks[i], r.Checks[j] = r.Checks[j], r.Checks[i]
			}
			if err := tt.write(&b, r); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a.Bytes(), b.Bytes()) {
				t.Errorf("output depends on the order of checks")
			}
			golden(t, tt.golden, a.Bytes())
		})
	}
}

func TestJSONHasTheIssueFields(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJSON(&b, sample()); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"tool", "spec", "target", "started", "finished", "checks"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON report has no %q", k)
		}
	}
	checks := m["checks"].([]any)
	for _, c := range checks {
		for _, k := range []string{"id", "level", "flow", "status"} {
			if _, ok := c.(map[string]any)[k]; !ok {
				t.Errorf("check %v has no %q", c, k)
			}
		}
	}
}

func TestJUnitParses(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJUnit(&b, sample()); err != nil {
		t.Fatal(err)
	}
	var s junitSuites
	if err := xml.Unmarshal(b.Bytes(), &s); err != nil {
		t.Fatal(err)
	}
	// Only the two failed MUST checks are failures: warnings stay green on a CI server.
	if s.Tests != 10 || s.Failures != 2 || s.Skipped != 3 {
		t.Errorf("tests/failures/skipped = %d/%d/%d, want 10/2/3", s.Tests, s.Failures, s.Skipped)
	}
	if got := s.Suites[0].Cases[0].Name; got[:8] != "[KEY-01]" {
		t.Errorf("testcase name %q does not start with the requirement ID", got)
	}
}

func TestPassed(t *testing.T) {
	r := sample()
	if r.Passed() {
		t.Error("a failed MUST check must fail the report")
	}
	for i := range r.Checks {
		if r.Checks[i].ID == "LOG-05" || r.Checks[i].ID == "LIF-16" {
			r.Checks[i].Status = Passed
		}
	}
	if !r.Passed() {
		t.Error("a failed SHOULD check alone must not fail the report")
	}
}
