package cli

import (
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/authconform/authconform/mockserver"
	"github.com/authconform/authconform/mockserver/devtools"
	"github.com/authconform/authconform/specs"
)

// certifiableMock serves precrime with the spec's demo accounts plus a disabled one, so every
// MUST check has its inputs, and returns the target file that names them.
func certifiableMock(t *testing.T) (target string, spy *tokenSpy) {
	t.Helper()
	sp, err := specs.Load("precrime")
	if err != nil {
		t.Fatal(err)
	}
	var accts []mockserver.AccountConfig
	for _, a := range sp.Accounts {
		ac := mockserver.AccountConfig{"id": a.ID, "state": string(a.State), "profile": a.Profile}
		for k, v := range a.Fields {
			ac[k] = v
		}
		accts = append(accts, ac)
	}
	accts = append(accts, mockserver.AccountConfig{"id": "42345678-1234-4234-8234-123456789abc", "username": "dora.off", "password": "dora-secret-pw", "state": "disabled"})
	m, err := devtools.New([]*specs.Spec{sp}, mockserver.WithConfig(&mockserver.Config{Specs: map[string]*mockserver.SpecConfig{"precrime": {Accounts: accts}}}))
	if err != nil {
		t.Fatal(err)
	}
	spy = &tokenSpy{seen: map[string]bool{}}
	ts := httptest.NewServer(spy.wrap(m))
	t.Cleanup(ts.Close)
	target = writeTarget(t, "precrime", ts.URL, "")
	b, _ := os.ReadFile(target)
	b = bytes.Replace(b, []byte("accounts:\n"), []byte("accounts:\n  disabled: {username: dora.off, password: dora-secret-pw}\n"), 1)
	if err := os.WriteFile(target, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return target, spy
}

func keygen(t *testing.T) (priv, pub string) {
	t.Helper()
	prefix := filepath.Join(t.TempDir(), "vendor")
	if code, out, errb := runCLI(t, "report", "keygen", "--out", prefix); code != exitOK {
		t.Fatalf("keygen: exit %d\n%s%s", code, out, errb)
	}
	return prefix + ".key", prefix + ".pub"
}

// TestCertifiedRunAgainstTheMock is the "done when": a run against the mock writes JSON,
// JUnit, HTML and a signed report that verifies; render rebuilds the same HTML from the JSON;
// an edited report names the field; and no secret appears in any byte written.
func TestCertifiedRunAgainstTheMock(t *testing.T) {
	target, spy := certifiableMock(t)
	priv, pub := keygen(t)
	dir := t.TempDir()
	jsonPath, junitPath, htmlPath := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.xml"), filepath.Join(dir, "r.html")
	code, stdout, stderr := runCLI(t, "test", "--target", target, "--certify", "--sign-key", priv, "--json", jsonPath, "--junit", junitPath, "--html", htmlPath, "-v")
	if code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"Verdict: PASS", "Certified: the JSON report", "Wrote " + jsonPath + " (signed)", "Wrote " + junitPath, "Wrote " + htmlPath} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	code, vout, verr := runCLI(t, "report", "verify", jsonPath, "--key", pub)
	if code != exitOK || !strings.Contains(vout, "valid: signed with key") {
		t.Fatalf("verify: exit %d\n%s%s", code, vout, verr)
	}

	// render rebuilds the same HTML from the stored JSON.
	html2 := filepath.Join(dir, "again.html")
	if code, out, errb := runCLI(t, "report", "render", jsonPath, "--html", html2); code != exitOK {
		t.Fatalf("render: exit %d\n%s%s", code, out, errb)
	}
	h1, _ := os.ReadFile(htmlPath)
	h2, _ := os.ReadFile(html2)
	if !bytes.Equal(h1, h2) {
		t.Error("report render writes other HTML than test --html for the same run")
	}
	if !bytes.Contains(h1, []byte("Verdict: PASS")) || !bytes.Contains(h1, []byte("Certified: signed with Ed25519 key")) {
		t.Error("the HTML report lacks the verdict or the certification")
	}
	for _, fetch := range []string{"src=\"http", "href=\"http", "url(http", "@import", "fetch(", "XMLHttpRequest"} {
		if bytes.Contains(h1, []byte(fetch)) {
			t.Errorf("the HTML report would fetch something: %q", fetch)
		}
	}

	// An edited report does not verify, and the message names the field.
	jb, _ := os.ReadFile(jsonPath)
	edited := bytes.Replace(jb, []byte(`"baseURL": "http://127.0.0.1:`), []byte(`"baseURL": "http://127.0.0.2:`), 1)
	editedPath := filepath.Join(dir, "edited.json")
	_ = os.WriteFile(editedPath, edited, 0o644)
	code, _, verr = runCLI(t, "report", "verify", editedPath, "--key", pub)
	if code != exitFailed || !strings.Contains(verr, "changed after signing: target.baseURL: signed \"http://127.0.0.1:") {
		t.Errorf("verify of an edited report: exit %d\n%s", code, verr)
	}

	// JUnit parses.
	xb, _ := os.ReadFile(junitPath)
	var x struct {
		Tests  int `xml:"tests,attr"`
		Suites []struct {
			Cases []struct {
				Name string `xml:"name,attr"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(xb, &x); err != nil || x.Tests == 0 || len(x.Suites) == 0 {
		t.Errorf("JUnit: %v, %d tests", err, x.Tests)
	}

	// No secret anywhere: not in the files, not in the signed payload inside the JWS.
	var signed struct {
		Signature struct{ JWS string }
	}
	if err := json.Unmarshal(jb, &signed); err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(signed.Signature.JWS, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil || len(parts) != 3 {
		t.Fatalf("JWS: %v", err)
	}
	outputs := map[string][]byte{"stdout": []byte(stdout), "stderr": []byte(stderr), "json": jb, "junit": xb, "html": h1,
		"jws payload": payload, "verify output": []byte(vout + verr)}
	scanForSecrets(t, outputs, spy, []string{"SecurePass123!", "jane-password", "expired-password", "dora-secret-pw", "john.doe", "jane.roe", "dora.off"})
}

func scanForSecrets(t *testing.T, outputs map[string][]byte, spy *tokenSpy, secrets []string) {
	t.Helper()
	spy.mu.Lock()
	defer spy.mu.Unlock()
	if len(spy.seen) == 0 {
		t.Fatal("the spy saw no token; the scan would prove nothing")
	}
	for where, out := range outputs {
		for tok := range spy.seen {
			if bytes.Contains(out, []byte(tok)) {
				t.Errorf("%s contains a token the target issued (%.10s...)", where, tok)
			}
		}
		for _, s := range secrets {
			if bytes.Contains(out, []byte(s)) {
				t.Errorf("%s contains the secret %q", where, s)
			}
		}
	}
}

func TestCertificationRefused(t *testing.T) {
	target, _ := certifiableMock(t)
	priv, _ := keygen(t)
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) }))
	defer broken.Close()
	dir := t.TempDir()
	tests := []cliCase{
		{"a MUST failed", []string{"test", "--target", writeTarget(t, "precrime", broken.URL, ""), "--certify", "--sign-key", priv, "--json", filepath.Join(dir, "a.json")},
			exitFailed, "Certification refused", ""},
		{"a MUST did not run (label filter)", []string{"test", "--target", target, "--label-filter", "login", "--certify", "--sign-key", priv, "--json", filepath.Join(dir, "b.json")},
			exitFailed, `HDR-02 (MUST, resource GET /authheader/list) did not run: not selected by --label-filter "login"`, "certification refused"},
		{"no key", []string{"test", "--target", target, "--certify", "--json", filepath.Join(dir, "d.json")}, exitUsage, "", "--certify needs --sign-key"},
		{"no json", []string{"test", "--target", target, "--certify", "--sign-key", priv}, exitUsage, "", "--certify needs --json FILE"},
		{"key without certify", []string{"test", "--target", target, "--sign-key", priv}, exitUsage, "", "--sign-key is used with --certify only"},
		{"a public key to sign", []string{"test", "--target", target, "--certify", "--sign-key", strings.TrimSuffix(priv, ".key") + ".pub", "--json", filepath.Join(dir, "e.json")}, exitUsage, "", "PRIVATE KEY"},
	}
	runCLICases(t, tests)
	t.Run("a MUST missing input", func(t *testing.T) {
		ts, _ := startMockFor(t, "precrime")
		// precrime documents password expiry (403 "Password expired"): a target without an
		// expired account cannot be certified. (It documents no disabled accounts: their absence
		// is not in the way.)
		target := filepath.Join(dir, "no-expired.yaml")
		_ = os.WriteFile(target, []byte("spec: precrime\nbaseURL: "+ts.URL+"\naccounts:\n  valid: {username: john.doe, password: \"SecurePass123!\"}\n  other: {username: jane.roe, password: jane-password}\n"), 0o600)
		out := filepath.Join(dir, "f.json")
		code, stdout, _ := runCLI(t, "test", "--target", target, "--certify", "--sign-key", priv, "--json", out)
		if code != exitFailed || !strings.Contains(stdout, `LOG-15 (MUST, login POST /user/login) is missing input: the target file has no "expired" account`) {
			t.Errorf("exit %d\n%s", code, stdout)
		}
		if strings.Contains(stdout, "LOG-14 (MUST") {
			t.Errorf("an undocumented account state stands in the way of certification:\n%s", stdout)
		}
		if !strings.Contains(stdout, "Wrote "+out+" (not certified, unsigned)") {
			t.Errorf("the unsigned report is not announced:\n%s", stdout)
		}
		b, _ := os.ReadFile(out)
		if bytes.Contains(b, []byte(`"signature"`)) {
			t.Error("a refused certification wrote a signature")
		}
	})
}

func TestReportCommands(t *testing.T) {
	priv, pub := keygen(t)
	info, err := os.Stat(priv)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("private key mode %v, want 0600 (%v)", info.Mode().Perm(), err)
	}
	dir := t.TempDir()
	notReport := filepath.Join(dir, "x.json")
	_ = os.WriteFile(notReport, []byte(`{"schemaVersion": 2, "checks": "no"}`), 0o644)
	golden := filepath.Join("reports", "testdata", "report.json.golden")
	signedGolden := filepath.Join("reports", "testdata", "report.signed.golden")
	tests := []cliCase{
		{"keygen never overwrites", []string{"report", "keygen", "--out", strings.TrimSuffix(priv, ".key")}, exitUsage, "", "exists"},
		{"render a report", []string{"report", "render", golden, "--html", filepath.Join(dir, "g.html"), "--junit", filepath.Join(dir, "g.xml")}, exitOK, "Wrote " + filepath.Join(dir, "g.html"), ""},
		{"render refuses what is not a report", []string{"report", "render", notReport, "--html", filepath.Join(dir, "n.html")}, exitUsage, "", "not a valid report"},
		{"render a missing file", []string{"report", "render", filepath.Join(dir, "none.json")}, exitUsage, "", "no such file"},
		{"verify an unsigned report", []string{"report", "verify", golden, "--key", pub}, exitFailed, "", "not signed"},
		{"verify with another key", []string{"report", "verify", signedGolden, "--key", pub}, exitFailed, "", "signed with another key"},
		{"verify needs a key", []string{"report", "verify", golden}, exitUsage, "", `required flag(s) "key" not set`},
		{"verify with a private key", []string{"report", "verify", golden, "--key", priv}, exitUsage, "", "PUBLIC KEY"},
		{"report alone", []string{"report"}, exitUsage, "", "render, verify, keygen or schema"},
		{"schema", []string{"report", "schema"}, exitOK, `"$id": "https://github.com/authconform/authconform/reports/schema.json#v3"`, ""},
	}
	runCLICases(t, tests)
	// The signed golden (reports/sign_test.go signs it with the key of seed 1) verifies; its spec
	// "demo" is no bundled spec, so there is no catalog to hold it against and no note.
	seed1 := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, ed25519.SeedSize)).Public()
	der, _ := x509.MarshalPKIXPublicKey(seed1)
	seedPub := filepath.Join(dir, "seed1.pub")
	_ = os.WriteFile(seedPub, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o644)
	code, stdout, stderr := runCLI(t, "report", "verify", signedGolden, "--key", seedPub)
	if code != exitOK || !strings.Contains(stdout, "valid: signed with key") || strings.Contains(stdout, "note: by the catalog") {
		t.Errorf("verify of the signed golden: exit %d\n%s%s", code, stdout, stderr)
	}

	want, _ := os.ReadFile(filepath.Join("reports", "testdata", "report.html.golden"))
	got, _ := os.ReadFile(filepath.Join(dir, "g.html"))
	if !bytes.Equal(got, want) {
		t.Errorf("render of the golden JSON differs from the golden HTML (%d vs %d bytes)", len(got), len(want))
	}
}
