package runner

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/authconform/authconform/mockserver/devtools"
	"github.com/authconform/authconform/reports"
	"github.com/authconform/authconform/specs"
)

// That every check can fail against a broken server is proven by one mechanism: the mock's
// defect catalog (mockserver/defects) and `make mutation`, which runs the suites against the mock
// with each defect and fails when a defect survives or a requirement has no defect that kills it.
// What a broken server cannot show is a target file that states what the target does not do: an
// expected lifetime, or a reading of a gap. Those are here.

// TestTargetStatementsAreHeld: what the target file states or declares is a MUST, so the correct
// mock fails it when the statement is wrong.
func TestTargetStatementsAreHeld(t *testing.T) {
	tests := []struct {
		name, spec string
		target     func(*Target)
		wantFailed []string
	}{
		{"an access lifetime other than the target's", "efalia",
			func(t *Target) { d := 2 * time.Hour; t.Expect.AccessTokenLifetime = &d }, []string{"LIF-02"}},
		{"a refresh lifetime other than the target's", "elyssa",
			func(t *Target) { d := 30 * 24 * time.Hour; t.Expect.RefreshTokenLifetime = &d }, []string{"LIF-16"}},
		{"a used refresh token declared to stay valid", "efalia",
			declare(map[string]string{"efalia-refresh-rotation": "accepted-until-expiry"}), []string{"LIF-12"}},
		{"a logout declared to leave the refresh token", "efalia",
			declare(map[string]string{"efalia-logout-refresh": "no"}), []string{"OUT-03"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sp, _ := specs.Load(tc.spec)
			ts := startMock(t, sp, nil)
			tg := exampleTarget(t, tc.spec, ts.URL)
			tc.target(tg)
			rep := runAgainst(t, tg, "")
			failed := map[string]reports.Check{}
			for _, c := range rep.Checks {
				if c.Outcome() == reports.Failed {
					failed[c.ID] = c
				}
			}
			for _, id := range tc.wantFailed {
				c, ok := failed[id]
				if !ok || c.Level != reports.MUST {
					t.Errorf("%s did not fail as a MUST against a statement the mock does not meet", id)
					continue
				}
				if !strings.Contains(c.Message, "expected") {
					t.Errorf("%s failed without saying what was expected: %q", id, c.Message)
				}
			}
		})
	}
}

// declare is a target that declares readings of the spec's gaps, as a target file's readings: do.
func declare(readings map[string]string) func(*Target) {
	return func(t *Target) {
		t.Readings = readings
		sp, err := t.Spec.WithReadings(readings)
		if err != nil {
			panic(err)
		}
		t.Spec = sp
	}
}

// TestLifetimeFromDateHeaderWhenNoIat guards the fallback of LIF-02: a token without iat is
// measured from the response's Date header, and still conforms.
func TestLifetimeFromDateHeaderWhenNoIat(t *testing.T) {
	sp, _ := specs.Load("pixfile")
	m, err := devtools.New([]*specs.Spec{sp})
	if err != nil {
		t.Fatal(err)
	}
	stripIat := func(tok string) string {
		p := strings.Split(tok, ".")
		if len(p) != 3 {
			return tok
		}
		pb, _ := base64.RawURLEncoding.DecodeString(p[1])
		var claims map[string]any
		_ = json.Unmarshal(pb, &claims)
		delete(claims, "iat")
		nb, _ := json.Marshal(claims)
		return p[0] + "." + base64.RawURLEncoding.EncodeToString(nb) + "." + p[2]
	}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := forward(m, r)
		if r.URL.Path == "/api/v2/login" && rec.Code == 200 {
			tok := stripIat(rec.Header().Get("X-Auth-Token"))
			rec.Header().Set("X-Auth-Token", tok)
			var body map[string]any
			_ = json.Unmarshal(rec.Body.Bytes(), &body)
			body["X-Auth-Token"] = tok
			b, _ := json.Marshal(body)
			setBody(rec, string(b))
		}
		send(w, rec)
	}))
	defer ts.Close()
	rep := runAgainst(t, exampleTarget(t, "pixfile", ts.URL), "LIF-02")
	found := false
	for _, c := range rep.Checks {
		if c.ID == "LIF-02" && c.Operation == "POST /api/v2/login" {
			found = true
			if c.Status != reports.Passed || c.Lifetime == nil || c.Lifetime.MeasuredFrom != "the Date header" {
				t.Errorf("LIF-02 without iat: %s %q %+v", c.Status, c.Message, c.Lifetime)
			}
		}
	}
	if !found {
		t.Error("LIF-02 did not run")
	}
}

// readBody returns the request body and puts it back for the next handler.
func readBody(r *http.Request) []byte {
	if r.Body == nil {
		return nil
	}
	b, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(b))
	r.ContentLength = int64(len(b))
	return b
}

// forward serves r through next into a recorder a test may change before it is sent.
func forward(next http.Handler, r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	next.ServeHTTP(rec, r)
	return rec
}

func send(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.Header().Del("Content-Length")
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

func setBody(rec *httptest.ResponseRecorder, body string) {
	rec.Body.Reset()
	rec.Body.WriteString(body)
}

// TestSignInExample: an API unlike the bundled four (examples/specs/signin.yaml: an email, a
// secret PIN and a tenant bound to X-Tenant-ID, error codes per refusal, a locked state, a 204
// sign-out) is served by the mock and passes the suites with no Go written for it.
// TestExampleSpecs runs the suites of each example spec (examples/specs: APIs unlike the bundled
// four, described by YAML alone) against its own mock with its example target: no failure, no
// warning, and the rules each example exists to show pass rather than skip.
func TestExampleSpecs(t *testing.T) {
	for _, tc := range []struct {
		name    string
		secrets map[string]bool // account fields and whether the spec declares them secret
		pass    []string        // checks that must pass
		hidden  []string        // values no summary may show
	}{
		{name: "signin", secrets: map[string]bool{"pin": true, "tenant": false},
			pass:   []string{"HDR-05", "HDR-12", "LOG-05", "LOG-13", "LOG-17", "LIF-02", "JWT-02", "OUT-01", "OUT-02"},
			hidden: []string{"0123"}},
		{name: "oauth2", secrets: map[string]bool{"password": true, "username": false},
			pass:   []string{"LOG-01", "LOG-05", "LOG-13", "LOG-14", "GRT-01", "GRT-02", "CLI-01", "CLI-02", "CLI-03", "CLI-04", "REF-01", "REF-03", "REF-04", "LIF-12", "LIF-02", "LIF-11", "JWT-02", "JWT-04", "JWT-05", "JWT-06", "JWT-07"},
			hidden: []string{"alice-password", "web-app-secret"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sp, err := specs.Load("../examples/specs/" + tc.name + ".yaml")
			if err != nil {
				t.Fatal(err)
			}
			for field, secret := range tc.secrets {
				if sp.Secret(field) != secret {
					t.Errorf("field %s: secret %v, want %v", field, sp.Secret(field), secret)
				}
			}
			ts := startMock(t, sp, nil)
			rep := runAgainst(t, exampleTarget(t, tc.name, ts.URL), "")
			for _, c := range rep.Checks {
				if o := c.Outcome(); o == reports.Failed || o == reports.Warning {
					t.Errorf("%s: %s", c.Name(), c.Message)
				}
			}
			for _, id := range tc.pass {
				for _, c := range rep.Checks {
					if c.ID == id && c.Outcome() != reports.Passed {
						t.Errorf("%s did not pass against the %s example: %s: %s", c.Name(), tc.name, c.Outcome(), c.Message)
					}
				}
				if findCheck(rep, id) == nil {
					t.Errorf("%s is not in the report", id)
				}
			}
			var sum bytes.Buffer
			_ = reports.WriteSummary(&sum, rep)
			for _, h := range tc.hidden {
				if strings.Contains(sum.String(), h) {
					t.Errorf("the secret %q reached the summary", h)
				}
			}
		})
	}
}
