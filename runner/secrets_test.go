package runner

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/authconform/authconform/mockserver"
	"github.com/authconform/authconform/mockserver/devtools"
	"github.com/authconform/authconform/reports"
	"github.com/authconform/authconform/specs"
)

// TestNoSecretInAnyOutputAgainstAnEchoingTarget: the harness holds real credentials, and a broken
// target may echo them back (in error bodies, debug headers, fields the spec does not name). None
// of them may reach any output channel of a run: the progress lines (verbose, with each check's
// requests), the report's messages, the JSON, JUnit, HTML and console renderings. The scan looks
// for every form a secret travels in: raw, URL-encoded, base64, and Basic's base64 of
// user:password; and for every token and key the target issued.
func TestNoSecretInAnyOutputAgainstAnEchoingTarget(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the suites")
	}
	// Passwords and keys whose URL-encoded and base64 forms differ from the raw one.
	const (
		pixPass  = "Pix+S3cret/pass=word"
		alicePw  = "Al1ce+S3cret/pass=word"
		aliceKey = "efalia+Key/0123456789="
		johnPass = "J0hn+S3cret/pass=word"
	)
	cases := []struct {
		spec, config, target string
		secrets              []string
		basic                [][2]string
	}{
		{spec: "pixfile",
			config:  "specs:\n  pixfile:\n    accounts:\n      - {username: user, password: \"" + pixPass + "\", profile: {userId: 5}}\n",
			target:  "  valid: {username: user, password: \"" + pixPass + "\"}\n",
			secrets: []string{pixPass}},
		{spec: "efalia",
			config:  "specs:\n  efalia:\n    accounts:\n      - {username: alice, password: \"" + alicePw + "\", apiKeys: [\"" + aliceKey + "\"]}\n",
			target:  "  valid: {username: alice, password: \"" + alicePw + "\", apiKey: \"" + aliceKey + "\"}\n",
			secrets: []string{alicePw, aliceKey}, basic: [][2]string{{"alice", alicePw}}},
		{spec: "precrime",
			config: "specs:\n  precrime:\n    accounts:\n      - {id: 12345678-1234-1234-1234-123456789abc, username: john.doe, password: \"" + johnPass + "\"," +
				" profile: {created: '2023-01-15T10:30:42Z', email: j@example.com, firstname: J, lastname: D, passwordExpiration: '2030-06-15T18:30:00Z'}}\n",
			target:  "  valid: {username: john.doe, password: \"" + johnPass + "\"}\n",
			secrets: []string{johnPass, "john.doe"}},
	}
	for _, tc := range cases {
		t.Run(tc.spec, func(t *testing.T) {
			sp, err := specs.Load(tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := mockserver.ParseConfig("mock.yaml", []byte(tc.config))
			if err != nil {
				t.Fatal(err)
			}
			m, err := devtools.New([]*specs.Spec{sp}, mockserver.WithConfig(cfg))
			if err != nil {
				t.Fatal(err)
			}
			echo := &echoTarget{next: m, issued: map[string]bool{}}
			ts := httptest.NewServer(echo)
			defer ts.Close()
			base := ts.URL
			if tc.spec == "efalia" {
				base += "/workey/api"
			}
			path := filepath.Join(t.TempDir(), "target.yaml")
			doc := "spec: " + tc.spec + "\nbaseURL: " + base + "\naccounts:\n" + tc.target + "timeout: 5s\n"
			if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
				t.Fatal(err)
			}
			tg, err := LoadTarget(path, nil)
			if err != nil {
				t.Fatal(err)
			}
			var progress bytes.Buffer
			rep, err := Run(context.Background(), Config{Target: tg, ToolVersion: "test", Progress: &progress, Verbose: true})
			if err != nil {
				t.Fatal(err)
			}
			failed := 0
			for _, c := range rep.Checks {
				if o := c.Outcome(); o == reports.Failed || o == reports.Warning {
					failed++
				}
			}
			if failed == 0 {
				t.Fatal("no check failed against an echoing target: no failure message was scanned")
			}
			outputs := map[string][]byte{"progress": progress.Bytes()}
			var messages strings.Builder
			for _, c := range rep.Checks {
				messages.WriteString(c.Message + "\n")
				if c.Lifetime != nil {
					messages.WriteString(c.Lifetime.Source + "\n")
				}
			}
			outputs["messages"] = []byte(messages.String())
			for name, write := range map[string]func(*bytes.Buffer) error{
				"json":    func(b *bytes.Buffer) error { return reports.WriteJSON(b, rep) },
				"junit":   func(b *bytes.Buffer) error { return reports.WriteJUnit(b, rep) },
				"html":    func(b *bytes.Buffer) error { return reports.WriteHTML(b, rep) },
				"console": func(b *bytes.Buffer) error { return reports.WriteSummary(b, rep) },
			} {
				var b bytes.Buffer
				if err := write(&b); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				outputs[name] = b.Bytes()
			}
			forms := map[string]string{}
			for _, s := range tc.secrets {
				for _, f := range secretForms(s) {
					forms[f] = s
				}
			}
			// Every password holds the fragment S3cret, found nowhere else: a secret mangled on its
			// way out (a format verb inside it, a cut) is still caught by it.
			forms["S3cret"] = "a fragment of a password"
			for _, up := range tc.basic {
				forms[base64.StdEncoding.EncodeToString([]byte(up[0]+":"+up[1]))] = "Basic credentials"
			}
			echo.mu.Lock()
			for tok := range echo.issued {
				forms[tok] = "a token or key the target issued"
			}
			echo.mu.Unlock()
			if len(echo.issued) == 0 {
				t.Fatal("the target issued no token: the scan would prove little")
			}
			for where, out := range outputs {
				for form, what := range forms {
					if bytes.Contains(out, []byte(form)) {
						t.Errorf("%s contains %s (as %.12q...)", where, what, form)
					}
				}
			}
			t.Logf("%d checks, %d failed, %d secret forms scanned in %d outputs", len(rep.Checks), failed, len(forms), len(outputs))
		})
	}
}

// secretForms are the ways a secret appears on the wire and in encoded text.
func secretForms(s string) []string {
	return []string{s, url.QueryEscape(s), url.PathEscape(s), base64.StdEncoding.EncodeToString([]byte(s)), base64.RawURLEncoding.EncodeToString([]byte(s))}
}

// echoTarget is the mock with a careless debug mode: every response carries what the request
// presented (credential headers, raw query, body) in an X-Debug-Echo header and, for JSON objects,
// a "debug" member; and every refusal answers 418, so the checks of refusals fail and their
// messages quote the echoing responses. It remembers every token and key the mock issued.
type echoTarget struct {
	next   http.Handler
	mu     sync.Mutex
	issued map[string]bool
}

func (e *echoTarget) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body := readBody(r)
	echo := strings.Join([]string{r.Header.Get("Authorization"), r.Header.Get("X-Auth-Token"), r.Header.Get("X-API-KEY"), r.URL.RawQuery, string(body)}, " | ")
	rec := forward(e.next, r)
	e.remember(rec)
	rec.Header().Set("X-Debug-Echo", strings.NewReplacer("\r", " ", "\n", " ").Replace(echo))
	var m map[string]any
	if json.Unmarshal(rec.Body.Bytes(), &m) == nil && m != nil {
		m["debug"] = echo
		m["detail"] = "request was: " + echo
		b, _ := json.Marshal(m)
		setBody(rec, string(b))
	} else if rec.Code >= 400 {
		setBody(rec, "error; you sent: "+echo)
	}
	if rec.Code >= 400 {
		rec.Code = http.StatusTeapot
	}
	send(w, rec)
}

// remember collects tokens and keys from a response: credential headers and string members.
func (e *echoTarget) remember(rec *httptest.ResponseRecorder) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if v := rec.Header().Get("X-Auth-Token"); v != "" {
		e.issued[v] = true
	}
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, y := range x {
				if s, ok := y.(string); ok && len(s) >= 16 && credentialField(k) {
					e.issued[s] = true
				}
				walk(y)
			}
		case []any:
			for _, y := range x {
				walk(y)
			}
		}
	}
	var v any
	if json.Unmarshal(rec.Body.Bytes(), &v) == nil {
		walk(v)
	}
}

func credentialField(k string) bool {
	l := strings.ToLower(k)
	return strings.Contains(l, "token") || strings.Contains(l, "key")
}

// TestNoRealPasswordInAURL: checks about credentials in the query string probe with a decoy
// account, so a real password never lands in a target's access log. Only an operation that
// documents its credentials in the query (pixfile's deprecated v1 login) gets them there, as its
// vendor says.
func TestNoRealPasswordInAURL(t *testing.T) {
	for _, name := range []string{"pixfile", "precrime", "efalia"} {
		t.Run(name, func(t *testing.T) {
			sp, _ := specs.Load(name)
			var mu sync.Mutex
			var urls []string
			ts := startMock(t, sp, func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					mu.Lock()
					urls = append(urls, r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery)
					mu.Unlock()
					next.ServeHTTP(w, r)
				})
			})
			tg := exampleTarget(t, name, ts.URL)
			rep := runAgainst(t, tg, "")
			if c := findCheck(rep, "LOG-11"); c == nil || c.Outcome() == reports.NotRun {
				t.Fatal("LOG-11 did not run")
			}
			decoys := 0
			for _, u := range urls {
				if strings.Contains(u, "authconform-decoy-") {
					decoys++
				}
				if strings.HasPrefix(u, "GET /api/v1/login") {
					continue // documents username and password as query parameters
				}
				_, raw, _ := strings.Cut(u, "?")
				q, _ := url.ParseQuery(raw)
				for _, acct := range tg.Accounts {
					for _, vs := range q {
						if p := acct["password"]; p != "" && slices.Contains(vs, p) {
							t.Errorf("a real password was sent in a URL: %s", u)
						}
					}
				}
			}
			if decoys == 0 {
				t.Error("no request carried the decoy account in its URL: LOG-11 probed nothing")
			}
		})
	}
}

func findCheck(rep *reports.Report, id string) *reports.Check {
	for i := range rep.Checks {
		if rep.Checks[i].ID == id {
			return &rep.Checks[i]
		}
	}
	return nil
}
