package cli

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/authconform/authconform/mockserver/devtools"
	"github.com/authconform/authconform/reports"
	"github.com/authconform/authconform/specs"
)

// tokenSpy records every credential-looking value the mock sends, so a test can prove none of
// them reaches the output.
type tokenSpy struct {
	mu   sync.Mutex
	seen map[string]bool
}

var credentialValue = regexp.MustCompile(`eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*|ak_[A-Za-z0-9]+`)

func (s *tokenSpy) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		s.mu.Lock()
		for _, m := range credentialValue.FindAllString(rec.Body.String(), -1) {
			s.seen[m] = true
		}
		for _, vs := range rec.Header() {
			for _, v := range vs {
				for _, m := range credentialValue.FindAllString(v, -1) {
					s.seen[m] = true
				}
			}
		}
		s.mu.Unlock()
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	})
}

func startMockFor(t *testing.T, name string) (*httptest.Server, *tokenSpy) {
	t.Helper()
	sp, err := specs.Load(name)
	if err != nil {
		t.Fatal(err)
	}
	m, err := devtools.New([]*specs.Spec{sp})
	if err != nil {
		t.Fatal(err)
	}
	spy := &tokenSpy{seen: map[string]bool{}}
	ts := httptest.NewServer(spy.wrap(m))
	t.Cleanup(ts.Close)
	return ts, spy
}

// writeTarget writes examples/targets/NAME.yaml with its base URL pointed at url.
func writeTarget(t *testing.T, name, url string, extra string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("examples", "targets", name+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	s := strings.ReplaceAll(string(b), "http://127.0.0.1:8080", url) + extra
	p := filepath.Join(t.TempDir(), name+".yaml")
	if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestTestCommandAgainstTheMock(t *testing.T) {
	for _, name := range specs.Names() {
		t.Run(name, func(t *testing.T) {
			ts, spy := startMockFor(t, name)
			dir := t.TempDir()
			jsonPath, junitPath, htmlPath := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.xml"), filepath.Join(dir, "r.html")
			code, stdout, stderr := runCLI(t, "test", "--target", writeTarget(t, name, ts.URL, ""), "--json", jsonPath, "--junit", junitPath, "--html", htmlPath, "-v")
			if code != exitOK {
				t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
			}
			for _, want := range []string{"PASSED         [LOG-01]", "Verdict: PASS", "Wrote " + jsonPath, "Wrote " + junitPath, "Wrote " + htmlPath} {
				if !strings.Contains(stdout, want) {
					t.Errorf("stdout lacks %q", want)
				}
			}
			jb, err := os.ReadFile(jsonPath)
			if err != nil {
				t.Fatal(err)
			}
			var rep struct {
				Spec struct {
					Name, SHA256 string
				}
				Checks []struct{ ID, Level, Flow, Status string }
			}
			if err := json.Unmarshal(jb, &rep); err != nil {
				t.Fatal(err)
			}
			sp, _ := specs.Load(name)
			if rep.Spec.Name != name || rep.Spec.SHA256 != sp.SHA256 || len(rep.Checks) == 0 {
				t.Errorf("JSON report: spec %q sha %q, %d checks", rep.Spec.Name, rep.Spec.SHA256, len(rep.Checks))
			}
			xb, err := os.ReadFile(junitPath)
			if err != nil {
				t.Fatal(err)
			}
			var x struct {
				Tests    int `xml:"tests,attr"`
				Failures int `xml:"failures,attr"`
			}
			if err := xml.Unmarshal(xb, &x); err != nil || x.Tests != len(rep.Checks) {
				t.Errorf("JUnit: %v, %d tests for %d checks", err, x.Tests, len(rep.Checks))
			}
			// A passing run is green on a CI server, warnings included (pixfile warns: its v1
			// login documents the password in the query string).
			warnings := 0
			for _, c := range rep.Checks {
				if c.Status == "warning" {
					warnings++
				}
			}
			if x.Failures != 0 || warnings > 0 != bytes.Contains(xb, []byte("<system-out>WARNING")) {
				t.Errorf("JUnit of a passing run: failures=%d; %d warnings, in system-out: %v", x.Failures, warnings, bytes.Contains(xb, []byte("<system-out>WARNING")))
			}
			if name == "pixfile" && warnings == 0 {
				t.Error("the pixfile run has no warning; the JUnit check above proves nothing")
			}
			if err := reports.ValidateJSON(jb); err != nil {
				t.Errorf("the JSON report does not validate against reports/schema.json: %v", err)
			}
			hb, err := os.ReadFile(htmlPath)
			if err != nil || !bytes.Contains(hb, []byte("Verdict: PASS")) {
				t.Errorf("HTML report: %v, verdict present: %v", err, bytes.Contains(hb, []byte("Verdict: PASS")))
			}
			// No token or key the mock handed out, and no password of the target, appears anywhere.
			outputs := map[string][]byte{"stdout": []byte(stdout), "stderr": []byte(stderr), "json": jb, "junit": xb, "html": hb}
			scanForSecrets(t, outputs, spy, []string{"alice-password", "SecurePass123!", "carol-password", "jane-password", "expired-password", "dave-password",
				"11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222", "john.doe", "jane.roe", "efalia-demo-key"})
		})
	}
}

func TestTestCommandTLS(t *testing.T) {
	sp, _ := specs.Load("elyssa")
	m, err := devtools.New([]*specs.Spec{sp})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewTLSServer(m)
	defer ts.Close()
	target := writeTarget(t, "elyssa", ts.URL, "")
	// The preflight meets the certificate first: exit 2, saying what to do about it.
	if code, _, stderr := runCLI(t, "test", "--target", target, "--label-filter", "LOG-01"); code != exitUsage || !strings.Contains(stderr, "certificate") || !strings.Contains(stderr, "insecureSkipVerify") {
		t.Errorf("an unverifiable certificate: exit %d, want %d and a message naming the certificate\n%s", code, exitUsage, stderr)
	}
	if code, stdout, _ := runCLI(t, "test", "--target", target, "--label-filter", "LOG-01", "--insecure-skip-verify"); code != exitOK {
		t.Errorf("--insecure-skip-verify: exit %d\n%s", code, stdout)
	}
}

func TestTestCommandExitCodes(t *testing.T) {
	ts, _ := startMockFor(t, "elyssa")
	good := writeTarget(t, "elyssa", ts.URL, "")
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
	}))
	defer broken.Close()
	dir := t.TempDir()
	badYAML := filepath.Join(dir, "bad.yaml")
	_ = os.WriteFile(badYAML, []byte("spec: elyssa\nbaseURL: http://127.0.0.1:1\naccounts: {valid: {companyId: x}}\ntypo: 1\n"), 0o600)
	tests := []cliCase{
		{"all MUST pass", []string{"test", "--target", good}, exitOK, "Verdict: PASS", ""},
		{"a MUST fails", []string{"test", "--target", writeTarget(t, "elyssa", broken.URL, "")}, exitFailed, "Verdict: FAIL", ""},
		{"nothing listens: preflight", []string{"test", "--target", writeTarget(t, "elyssa", "http://127.0.0.1:1", ""), "--label-filter", "LOG-01"}, exitUsage, "", "nothing listens on 127.0.0.1:1"},
		{"fail fast stops", []string{"test", "--target", writeTarget(t, "elyssa", broken.URL, ""), "--fail-fast"}, exitFailed, "--fail-fast", ""},
		{"label filter selects", []string{"test", "--target", good, "--label-filter", "LOG-01 || HDR-02"}, exitOK, "PASSED         [HDR-02]", ""},
		{"no target flag", []string{"test"}, exitUsage, "", `required flag(s) "target" not set`},
		{"missing target file", []string{"test", "--target", filepath.Join(dir, "nope.yaml")}, exitUsage, "", "cannot read the target file"},
		{"unknown field in target", []string{"test", "--target", badYAML}, exitUsage, "", `bad.yaml:4:1: typo: unknown field "typo"`},
		{"bad label filter", []string{"test", "--target", good, "--label-filter", "(("}, exitUsage, "", "--label-filter"},
		{"filter matching nothing", []string{"test", "--target", good, "--label-filter", "NOPE-99"}, exitUsage, "", "no check matched"},
		{"unwritable report", []string{"test", "--target", good, "--json", filepath.Join(dir, "no", "such", "dir.json")}, exitUsage, "", "cannot write the report"},
	}
	runCLICases(t, tests)
}
