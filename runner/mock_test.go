package runner

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/authconform/authconform/mockserver/devtools"
	"github.com/authconform/authconform/reports"
	"github.com/authconform/authconform/specs"
	"github.com/authconform/authconform/suites"
)

// startMock serves one spec from the mock, wrapped by mw (nil: untouched), on 127.0.0.1.
func startMock(t *testing.T, sp *specs.Spec, mw func(http.Handler) http.Handler) *httptest.Server {
	t.Helper()
	m, err := devtools.New([]*specs.Spec{sp})
	if err != nil {
		t.Fatalf("devtools.New(%s): %v", sp.Name, err)
	}
	var h http.Handler = m
	if mw != nil {
		h = mw(m)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts
}

// exampleTarget loads examples/targets/NAME.yaml and points it at the server, keeping the path.
func exampleTarget(t *testing.T, name, serverURL string) *Target {
	t.Helper()
	tg, err := LoadTarget("../examples/targets/"+name+".yaml", func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(serverURL)
	tg.BaseURL.Host = u.Host
	return tg
}

func runAgainst(t *testing.T, tg *Target, filter string) *reports.Report {
	t.Helper()
	var progress bytes.Buffer
	rep, err := Run(context.Background(), Config{Target: tg, ToolVersion: "test", Progress: &progress, LabelFilter: filter})
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, progress.String())
	}
	if testing.Verbose() {
		t.Logf("progress:\n%s", progress.String())
	}
	return rep
}

// expectedSkips are the checks that skip against the mock with the bundled examples because the
// spec or its demo accounts lack what they need (a flow, a second token place, a disabled account).
// Anything else skipped is a defect of the suites, the mock or the example.
var expectedSkips = map[string][]string{
	"efalia": {
		"LOG-17",                                                             // no account states of its own
		"GRT-01", "GRT-02", "CLI-01", "CLI-02", "CLI-03", "CLI-04", "REF-04", // no fixed values, clients or families
		"JWT-05", "JWT-06", // no JWKS (HMAC-signed tokens)
		"KEY-01", "KEY-03", "KEY-04", "KEY-06", "KEY-07", "KEY-08", "KEY-09", // no API-key flows
		"LOG-02 POST /auth/token", "LOG-14 POST /auth/token", "LOG-15 POST /auth/token",
		"HDR-05 GET /processes", "HDR-12 GET /processes",
	},
	"pixfile": {
		"LOG-17",                                                             // no account states of its own
		"GRT-01", "GRT-02", "CLI-01", "CLI-02", "CLI-03", "CLI-04", "REF-04", // no fixed values, clients or families
		"JWT-05", "JWT-06", // no JWKS (HMAC-signed tokens)
		"KEY-01", "KEY-03", "KEY-04", "KEY-06", "KEY-07", "KEY-08", "KEY-09",
		"OUT-01", "OUT-02", "OUT-03", "OUT-05",
		"LIF-10", "LIF-11", "LIF-12", "LIF-13", "LIF-16", "LIF-17", "REF-01", "REF-02",
		"LOG-02 GET /api/v1/login", "LOG-15 GET /api/v1/login", "LOG-15 POST /api/v2/login",
		"HDR-05 GET /api/v2/customers", "HDR-12 GET /api/v2/customers", "HDR-13 GET /api/v2/customers",
		"HDR-01 GET /api/v2/customers", // X-Auth-Token has no scheme
		"REF-03",
	},
	"elyssa": {
		"LOG-17",                                                             // no account states of its own
		"GRT-01", "GRT-02", "CLI-01", "CLI-02", "CLI-03", "CLI-04", "REF-04", // no fixed values, clients or families
		"JWT-05", "JWT-06", // no JWKS (HMAC-signed tokens)
		"KEY-01", "KEY-03", "KEY-04", "KEY-06", "KEY-07", "KEY-08", "KEY-09",
		"OUT-01", "OUT-02", "OUT-03", "OUT-05",
		"LIF-12 POST /auth/refresh/", // no rotation documented
		"REF-03 POST /auth/refresh/", // refresh hands out no refresh token
		"HDR-13 GET /companies/me",
		"LOG-02 POST /auth/login/", "LOG-05 POST /auth/login/", "LOG-06 POST /auth/login/", "LOG-14 POST /auth/login/", "LOG-15 POST /auth/login/",
	},
	"precrime": {
		"LOG-17",                                                             // no account states of its own
		"GRT-01", "GRT-02", "CLI-01", "CLI-02", "CLI-03", "CLI-04", "REF-04", // no fixed values, clients or families
		"JWT-05", "JWT-06", // no JWKS (HMAC-signed tokens)
		"OUT-01", "OUT-02", "OUT-03", "OUT-05",
		"LIF-10", "LIF-11", "LIF-12", "LIF-13", "LIF-16", "LIF-17", "REF-01", "REF-02",
		"LOG-02 POST /user/login", "LOG-14 POST /user/login",
		"HDR-05 GET /authheader/list", "HDR-12 GET /authheader/list", "HDR-13 GET /authheader/list",
		"REF-03",
	},
}

// expectedWarnings are SHOULD checks that fail against the mock because the vendor documents the
// practice they warn about.
var expectedWarnings = map[string][]string{
	"pixfile": {"LOG-11 GET /api/v1/login"}, // v1 login takes the password in the query string
}

func checkKey(c reports.Check) string {
	if c.Operation == "" {
		return c.ID
	}
	return c.ID + " " + c.Operation
}

func TestMockPassesEveryCheck(t *testing.T) {
	for _, name := range specs.Names() {
		t.Run(name, func(t *testing.T) {
			sp, err := specs.Load(name)
			if err != nil {
				t.Fatal(err)
			}
			ts := startMock(t, sp, nil)
			start := time.Now()
			rep := runAgainst(t, exampleTarget(t, name, ts.URL), "")
			if d := time.Since(start); d > 20*time.Second {
				t.Errorf("the run took %s; it must take seconds (clock control, no sleeps)", d)
			}
			if len(rep.Checks) < len(suites.Requirements) {
				t.Fatalf("%d checks ran; every requirement should be reported at least once", len(rep.Checks))
			}
			if !rep.Passed() {
				t.Error("the report's verdict is FAIL")
			}
			seen := map[string]bool{}
			for _, c := range rep.Checks {
				seen[c.ID] = true
				key := checkKey(c)
				if (c.ID == "LIF-02" || c.ID == "LIF-16") && c.Status == reports.Passed && c.Lifetime == nil {
					t.Errorf("%s passed without recording the lifetime it measured", c.Name())
				}
				switch c.Outcome() {
				case reports.Failed:
					t.Errorf("%s failed against the mock:\n%s", c.Name(), c.Message)
				case reports.Warning:
					if !slices.Contains(expectedWarnings[name], key) {
						t.Errorf("%s warned against the mock:\n%s", c.Name(), c.Message)
					}
				case reports.NotRun:
					t.Errorf("%s did not run: %s", c.Name(), c.Message)
				case reports.NotApplicable, reports.MissingInput:
					if !slices.Contains(expectedSkips[name], key) && !slices.Contains(expectedSkips[name], c.ID) {
						t.Errorf("%s skipped against the mock, which supports it: %s", c.Name(), c.Message)
					}
				}
			}
			for _, r := range suites.Requirements {
				if !seen[r.ID] {
					t.Errorf("requirement %s is missing from the report", r.ID)
				}
			}
			var sum bytes.Buffer
			_ = reports.WriteSummary(&sum, rep)
			t.Log(strings.TrimSpace(sum.String()))
		})
	}
}
