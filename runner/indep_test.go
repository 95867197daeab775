package runner

// Independent servers (issue 13, "Done when"). Each indep_<vendor>_test.go holds one server
// written only from that vendor's published document, as the vendor's engineer would, with
// an option per reading of a documentation gap and a switch per realistic bug. Nothing in them
// comes from the mock. This file runs the suites against them with a target file that declares
// nothing but spec, base URL and accounts, and proves both halves of the issue:
//
//   - TestIndepCorrectServersPassEveryMUST: every correct configuration, whichever reading of a
//     gap it follows, gets no failed MUST check (exit 0).
//   - TestIndepBugsAreCaught: every bug fails at least one check (any level) that the same
//     configuration without the bug passes; the few no check can see are listed with the reason; a
//     bug the preflight refuses (a route the document does not have) counts as caught.
//   - TestIndepServersFollowTheirReadings: the configurations really differ as they claim, so the
//     first half cannot pass by accident.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authconform/authconform/reports"
)

// indepServer is one configuration of an independent server: the readings it follows and how to
// start it.
type indepServer struct {
	name     string            // vendor/choices, the subtest name
	spec     string            // bundled spec it claims to implement
	basePath string            // where the API hangs under the server's root ("" or /workey/api)
	accounts string            // the target file's accounts block, YAML indented by two spaces
	readings map[string]string // decision -> the choice this configuration follows
	handler  func() http.Handler
}

// indepDefaultReadings are the bundled specs' choices for each documentation gap of issue 13; a
// configuration that differs on any of them follows "the other reading".
var indepDefaultReadings = map[string]string{
	"precrime-authorization":     "bearer",
	"precrime-authheader-tokens": "yes",
	"efalia-impersonate":         "optional",
	"efalia-used-refresh":        "refused",
	"efalia-logout-ends-refresh": "yes",
}

// otherReadings lists the decisions where the configuration does not follow the bundled spec.
func (s indepServer) otherReadings() []string {
	var out []string
	for d, c := range s.readings {
		if indepDefaultReadings[d] != c {
			out = append(out, d+"="+c)
		}
	}
	sort.Strings(out)
	return out
}

// target is the target file for a server at url: spec, base URL and accounts, nothing else.
func (s indepServer) target(url string) string {
	return fmt.Sprintf("spec: %s\nbaseURL: %s%s\naccounts:\n%s", s.spec, url, s.basePath, s.accounts)
}

// indepBug is a correct configuration with one realistic bug switched on.
type indepBug struct {
	name   string      // vendor/bug
	server indepServer // the correct configuration; the broken one shares its target file
	broken func() http.Handler
	// gap, when set, says why no check can catch the bug today; the test then asserts that none
	// does, so the note is deleted the day one does.
	gap string
}

func indepServers() []indepServer {
	return slices.Concat(efaliaIndepServers(), pixfileIndepServers(), elyssaIndepServers(), precrimeIndepServers())
}

func indepBugs() []indepBug {
	return slices.Concat(efaliaIndepBugs(), pixfileIndepBugs(), elyssaIndepBugs(), precrimeIndepBugs())
}

// indepRun serves h, writes the server's target file and runs every check against it.
func indepRun(t *testing.T, s indepServer, h http.Handler) *reports.Report {
	t.Helper()
	rep, err := indepTry(t, s, h)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return rep
}

// indepTry is indepRun returning Run's error: a preflight that refuses the target is a verdict.
func indepTry(t *testing.T, s indepServer, h http.Handler) (*reports.Report, error) {
	t.Helper()
	ts := httptest.NewServer(h)
	defer ts.Close()
	file := filepath.Join(t.TempDir(), "target.yaml")
	if err := os.WriteFile(file, []byte(s.target(ts.URL)), 0o600); err != nil {
		t.Fatal(err)
	}
	tg, err := LoadTarget(file, func(string) string { return "" })
	if err != nil {
		t.Fatalf("LoadTarget: %v", err)
	}
	var progress bytes.Buffer
	rep, err := Run(context.Background(), Config{Target: tg, ToolVersion: "test", Progress: &progress})
	if err != nil {
		return nil, fmt.Errorf("%w\n%s", err, progress.String())
	}
	return rep, nil
}

// indepKey names one check instance: rule variants (one credential form) share ID and operation.
func indepKey(c reports.Check) string {
	return strings.TrimSpace(c.ID + " " + c.Operation + " " + variantOf(c.Rule))
}

func variantOf(rule string) string {
	if i := strings.LastIndex(rule, " ("); i >= 0 && strings.HasSuffix(rule, ")") {
		return rule[i+1:]
	}
	return ""
}

// indepFailed returns the failed checks of a report by key: the failed MUST checks when mustOnly,
// otherwise every check that failed or warned (a bug is caught at any level).
func indepFailed(rep *reports.Report, mustOnly bool) map[string]reports.Check {
	out := map[string]reports.Check{}
	for _, c := range rep.Checks {
		o := c.Outcome()
		if o == reports.Failed || !mustOnly && o == reports.Warning {
			out[indepKey(c)] = c
		}
	}
	return out
}

// indepVerdict renders failed checks one a line: key, level, the first line of the message and the
// line saying what came back.
func indepVerdict(failed map[string]reports.Check) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(failed)) {
		c := failed[k]
		lines := strings.Split(c.Message, "\n")
		fmt.Fprintf(&b, "  %s [%s]: %s", k, c.Level, lines[0])
		for _, l := range lines[1:] {
			if strings.HasPrefix(l, "got") || strings.HasPrefix(l, "expected") {
				fmt.Fprintf(&b, " | %s", l)
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

func TestIndepCorrectServersPassEveryMUST(t *testing.T) {
	for _, s := range indepServers() {
		t.Run(s.name, func(t *testing.T) {
			rep := indepRun(t, s, s.handler())
			failed := indepFailed(rep, true)
			if len(failed) == 0 {
				if !rep.Passed() {
					t.Error("no MUST check failed, yet the report's verdict is FAIL")
				}
				return
			}
			msg := fmt.Sprintf("%s (other readings: %v) follows its vendor's document, yet %d MUST checks failed:\n%s",
				s.name, s.otherReadings(), len(failed), indepVerdict(failed))
			t.Error(msg)
		})
	}
}

func TestIndepBugsAreCaught(t *testing.T) {
	type baseline struct {
		failed map[string]reports.Check
	}
	baselines := map[string]baseline{}
	for _, b := range indepBugs() {
		t.Run(b.name, func(t *testing.T) {
			base, ok := baselines[b.server.name]
			if !ok {
				rep := indepRun(t, b.server, b.server.handler())
				base = baseline{failed: indepFailed(rep, false)}
				baselines[b.server.name] = base
			}
			caught := map[string]reports.Check{}
			rep, err := indepTry(t, b.server, b.broken())
			var pe *PreflightError
			switch {
			case errors.As(err, &pe):
				// The preflight refuses the target before any check: caught, with a diagnosis.
				caught["preflight"] = reports.Check{ID: "preflight", Message: pe.Error()}
			case err != nil:
				t.Fatalf("Run: %v", err)
			default:
				for k, c := range indepFailed(rep, false) {
					if _, before := base.failed[k]; !before {
						caught[k] = c
					}
				}
			}
			switch {
			case b.gap != "" && len(caught) > 0:
				t.Errorf("listed as a gap (%s), but now caught; delete the gap note:\n%s", b.gap, indepVerdict(caught))
			case b.gap != "":
				t.Logf("known gap, not caught: %s", b.gap)
			case len(caught) > 0:
				t.Logf("caught by:\n%s", indepVerdict(caught))
			default:
				t.Errorf("no check that %s passes fails with this bug", b.server.name)
			}
		})
	}
}

// TestIndepServersFollowTheirReadings talks to the servers directly, without the suites: each
// configuration really behaves as its reading says, so a pass in the first half is not vacuous.
func TestIndepServersFollowTheirReadings(t *testing.T) {
	tests := slices.Concat(efaliaReadingTests(), precrimeReadingTests())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := httptest.NewServer(tt.server.handler())
			defer ts.Close()
			c := &indepClient{t: t, base: ts.URL + tt.server.basePath}
			tt.run(c)
		})
	}
}

type indepReadingTest struct {
	name   string
	server indepServer
	run    func(c *indepClient)
}

// indepClient sends JSON requests to a server in TestIndepServersFollowTheirReadings.
type indepClient struct {
	t    *testing.T
	base string
}

// do sends method path with headers (name, value pairs) and a JSON body (nil: none), and returns
// the status and the decoded body.
func (c *indepClient) do(method, path string, body any, headers ...string) (int, map[string]any) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	var m map[string]any
	data, _ := io.ReadAll(res.Body)
	_ = json.Unmarshal(data, &m)
	return res.StatusCode, m
}

// expect sends a request and fails unless it answers want; it returns the body.
func (c *indepClient) expect(want int, method, path string, body any, headers ...string) map[string]any {
	c.t.Helper()
	got, m := c.do(method, path, body, headers...)
	if got != want {
		c.t.Fatalf("%s %s answered %d, want %d (body %v)", method, path, got, want, m)
	}
	return m
}

// indepSigner signs and verifies one server's JWTs with a key drawn at start. Its switches are
// bugs a server may have; all are off in a correct one.
type indepSigner struct {
	method *jwt.SigningMethodHMAC
	key    []byte

	skipSignature bool // trusts the claims of any well-formed token
	allowNone     bool // a debug path accepts alg none
	skipExpiry    bool // accepts an expired token
}

func newIndepSigner(method *jwt.SigningMethodHMAC) *indepSigner {
	key := make([]byte, 64)
	_, _ = rand.Read(key)
	return &indepSigner{method: method, key: key}
}

// sign issues a token with claims plus iat, exp (now + lifetime) and a fresh jti.
func (s *indepSigner) sign(claims jwt.MapClaims, lifetime time.Duration) string {
	now := time.Now()
	claims["iat"] = jwt.NewNumericDate(now)
	claims["exp"] = jwt.NewNumericDate(now.Add(lifetime))
	if _, ok := claims["jti"]; !ok {
		claims["jti"] = indepID()
	}
	tok, err := jwt.NewWithClaims(s.method, claims).SignedString(s.key)
	if err != nil {
		panic(err) // an HMAC key of 64 bytes always signs
	}
	return tok
}

// verify returns the claims of a valid token: the pinned algorithm, a good signature, not expired.
func (s *indepSigner) verify(tok string) (jwt.MapClaims, bool) {
	c := jwt.MapClaims{}
	if s.skipSignature {
		if _, _, err := jwt.NewParser().ParseUnverified(tok, c); err != nil {
			return nil, false
		}
		exp, err := c.GetExpirationTime()
		return c, err == nil && exp != nil && time.Now().Before(exp.Time)
	}
	methods := []string{s.method.Alg()}
	if s.allowNone {
		methods = append(methods, jwt.SigningMethodNone.Alg())
	}
	opts := []jwt.ParserOption{jwt.WithValidMethods(methods), jwt.WithExpirationRequired()}
	if s.skipExpiry {
		opts = append(opts, jwt.WithoutClaimsValidation())
	}
	_, err := jwt.ParseWithClaims(tok, c, func(t *jwt.Token) (any, error) {
		if t.Method == jwt.SigningMethodNone {
			return jwt.UnsafeAllowNoneSignatureType, nil
		}
		return s.key, nil
	}, opts...)
	return c, err == nil
}

// claim returns a string claim, "" when absent.
func claim(c jwt.MapClaims, name string) string {
	s, _ := c[name].(string)
	return s
}

// indepExpiring is a set of ids each remembered until its expiry, never more than max at once:
// what a server keeps about revoked or used tokens. When full it forgets expired ids first, then
// the one that expires soonest.
type indepExpiring struct {
	mu  sync.Mutex
	max int
	m   map[string]time.Time
}

func newIndepExpiring(max int) *indepExpiring {
	return &indepExpiring{max: max, m: map[string]time.Time{}}
}

// add remembers id until then; it reports false when id was already there.
func (s *indepExpiring) add(id string, until time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	if t, ok := s.m[id]; ok && now.Before(t) {
		return false
	}
	if len(s.m) >= s.max {
		for k, t := range s.m {
			if !now.Before(t) {
				delete(s.m, k)
			}
		}
	}
	if len(s.m) >= s.max {
		var first string
		var ft time.Time
		for k, t := range s.m {
			if first == "" || t.Before(ft) {
				first, ft = k, t
			}
		}
		delete(s.m, first)
	}
	s.m[id] = until
	return true
}

func (s *indepExpiring) has(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.m[id]
	return ok && time.Now().Before(t)
}

func indepID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func indepUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// indepWriteJSON writes v as the JSON body of a status.
func indepWriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// indepReadJSON decodes a request body of at most 64 KiB into v.
func indepReadJSON(r *http.Request, v any) error {
	return json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(v)
}
