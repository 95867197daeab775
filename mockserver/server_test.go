package mockserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/authconform/authconform/specs"
)

func TestNewRefuses(t *testing.T) {
	pix := loadSpec(t, "pixfile")
	renamed := *pix
	renamed.Name = "pixfile-copy"
	unknownKind := *pix
	unknownKind.Name = "odd"
	unknownKind.Operations = nil
	for _, op := range pix.Operations {
		cp := *op
		if cp.ID == "getCustomers" {
			cp.Flow.Kind = "teleport"
		}
		unknownKind.Operations = append(unknownKind.Operations, &cp)
	}
	admin := *pix
	admin.Name = "admin"
	admin.BasePath = "/__authconform"

	cases := []struct {
		name  string
		specs []*specs.Spec
		opts  []Option
		want  string
	}{
		{name: "no spec", want: "no spec"},
		{name: "same spec twice", specs: []*specs.Spec{pix, pix}, want: "given twice"},
		{name: "two specs claim a route", specs: []*specs.Spec{pix, &renamed}, want: "both serve GET /api/v1/login"},
		{name: "unknown flow kind", specs: []*specs.Spec{&unknownKind}, want: `flow kind "teleport"`},
		{name: "under the admin prefix", specs: []*specs.Spec{&admin}, want: "admin prefix"},
		{name: "config names a spec not served", specs: []*specs.Spec{pix},
			opts: []Option{WithConfig(&Config{File: "c.yaml", Specs: map[string]*SpecConfig{"pixfle": {}}})}, want: "c.yaml: specs.pixfle"},
		{name: "config account without id", specs: []*specs.Spec{pix},
			opts: []Option{WithConfig(&Config{Specs: map[string]*SpecConfig{"pixfile": {Accounts: []AccountConfig{{"password": "x"}}}}})},
			want: "specs.pixfile.accounts[0]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.specs, tc.opts...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New: %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestRouting(t *testing.T) {
	h := newHarness(t)
	h.s.maxBody = 1 << 10
	cases := []struct {
		name      string
		req       *http.Request
		want      int
		wantAllow string
	}{
		{name: "unknown path", req: h.req("GET", "/nowhere", ""), want: 404},
		{name: "base path without operation", req: h.req("GET", "/workey/api", ""), want: 404},
		{name: "efalia path at the root is not efalia", req: h.req("POST", "/auth/token", `{}`), want: 404},
		{name: "wrong method", req: h.req("DELETE", "/api/v2/login", ""), want: 405, wantAllow: "POST"},
		{name: "wrong method under a base path", req: h.req("GET", "/workey/api/auth/logout", ""), want: 405, wantAllow: "POST"},
		{name: "body too large", req: h.req("POST", "/api/v2/login", `{"username":"`+strings.Repeat("a", 2<<10)+`","password":"x"}`), want: 413},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := h.do(tc.req)
			h.expect(rec, tc.want)
			if got := rec.Header().Get("Allow"); got != tc.wantAllow {
				t.Errorf("Allow %q, want %q", got, tc.wantAllow)
			}
			if msg := str(h.json(rec)["message"]); msg == "" {
				t.Error("no message")
			}
		})
	}
}

// TestPanicIsRecovered guards the never-a-panic rule: a flow that panics answers a documented 5xx
// where the operation has one (efalia's 555), else 500, and the server keeps serving.
func TestPanicIsRecovered(t *testing.T) {
	var logs bytes.Buffer
	sp := loadSpec(t, "efalia")
	s, err := New([]*specs.Spec{sp}, WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range s.mounts {
		for _, op := range m.ops {
			op.handle = func(*Server, *call) error { panic("boom") }
		}
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/workey/api/processes", nil).WithContext(t.Context()))
	req := httptest.NewRequest("GET", "/workey/api/processes", nil)
	req.Header.Set("Authorization", basic("alice", "alice-password"))
	rec = httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != 555 {
		t.Fatalf("status %d, want the documented 555", rec.Code)
	}
	if err := conforms(s, req, rec.Code, rec.Header(), rec.Body.Bytes()); err != nil {
		t.Errorf("the panic's answer does not conform: %v", err)
	}
	if !strings.Contains(logs.String(), "boom") {
		t.Errorf("the panic is not logged: %s", logs.String())
	}
}

// TestLogsRedactSecrets guards rule 12: passwords, tokens and keys never reach the log.
func TestLogsRedactSecrets(t *testing.T) {
	var logs bytes.Buffer
	s, err := New([]*specs.Spec{loadSpec(t, "pixfile"), loadSpec(t, "efalia")}, WithLogger(slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, s: s}
	tok := h.pixfileToken("user", "pass")
	h.do(h.req("GET", "/api/v1/login?username=user&password=pass", ""))
	h.do(h.req("GET", "/api/v2/customers", "", "X-Auth-Token", tok))
	h.do(h.req("GET", "/workey/api/processes", "", "X-API-KEY", "efalia-demo-key"))
	h.do(h.req("GET", "/workey/api/processes", "", "Authorization", basic("alice", "alice-password")))
	h.do(h.req("POST", "/api/v2/login", `{"password":"hunter2-secret"}`))                       // invalid: no username
	h.do(h.req("POST", "/workey/api/auth/token", `{"username":7,"password":"hunter3-secret"}`)) // invalid: a number
	out := logs.String()
	for _, secret := range []string{"pass\"", "password=", tok, tok[20:40], "efalia-demo-key", "alice-password", "YWxpY2", "hunter2", "hunter3"} {
		if strings.Contains(out, secret) {
			t.Errorf("log contains secret %q:\n%s", secret, out)
		}
	}
	lines := strings.Count(out, `"msg":"request"`)
	if lines != 7 {
		t.Errorf("%d request lines, want 7:\n%s", lines, out)
	}
	var first map[string]any
	if err := json.Unmarshal([]byte(strings.SplitN(out, "\n", 2)[0]), &first); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"method", "path", "status", "duration"} {
		if _, ok := first[k]; !ok {
			t.Errorf("log line lacks %s: %v", k, first)
		}
	}
}

// TestRedact: a redacted secret shows its length and not one of its characters, short or long.
// Before, a secret of 16 characters or more showed its first six.
func TestRedact(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{name: "empty", in: "", want: "[redacted 0 chars]"},
		{name: "short secret", in: "pass", want: "[redacted 4 chars]"},
		{name: "long secret", in: "eyJhbGciOiJIUzUxMiJ9.payload", want: "[redacted 28 chars]"},
		{name: "a password of 16", in: "Carol-Passw0rd-1", want: "[redacted 16 chars]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := redact(tc.in); got != tc.want {
				t.Errorf("redact(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestFailureUnwrap(t *testing.T) {
	cause := errors.New("cause")
	f := failf(specs.FailInvalidCredential, cause, "msg")
	if !errors.Is(f, cause) {
		t.Error("failure does not unwrap to its cause")
	}
}

// TestResponseCheck: with WithResponseCheck, a response that breaks the spec is logged (without
// its values), and the flows' own responses are not.
func TestResponseCheck(t *testing.T) {
	cases := []struct {
		name    string
		handle  flowFunc // nil: the real flow
		wantLog bool
	}{
		{name: "real flow conforms", wantLog: false},
		{name: "undocumented status", handle: func(_ *Server, c *call) error { writeJSON(c.w, 418, map[string]any{}); return nil }, wantLog: true},
		{name: "body against the schema", handle: func(_ *Server, c *call) error {
			writeJSON(c.w, 200, map[string]any{"userId": true, "username": "secret-value"})
			return nil
		}, wantLog: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			s, err := New([]*specs.Spec{loadSpec(t, "pixfile")}, WithResponseCheck(true), WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
			if err != nil {
				t.Fatal(err)
			}
			if tc.handle != nil {
				for _, m := range s.mounts {
					for _, op := range m.ops {
						op.handle = tc.handle
					}
				}
			}
			rec := httptest.NewRecorder()
			req := httptest.NewRequest("POST", "/api/v2/login", strings.NewReader(`{"username":"user","password":"pass"}`))
			req.Header.Set("Content-Type", "application/json")
			s.ServeHTTP(rec, req)
			got := strings.Contains(logs.String(), "does not conform")
			if got != tc.wantLog {
				t.Errorf("logged a non-conforming response: %v, want %v\n%s", got, tc.wantLog, logs.String())
			}
			if strings.Contains(logs.String(), "secret-value") || strings.Contains(logs.String(), rec.Header().Get("X-Auth-Token")+`"`) && rec.Header().Get("X-Auth-Token") != "" {
				t.Errorf("the log quotes a response value:\n%s", logs.String())
			}
		})
	}
}

// TestRoutingNearMisses: a trailing slash, an escaped letter, another method route to no
// operation, as the router answers.
func TestRoutingNearMisses(t *testing.T) {
	h := newHarness(t)
	for _, tc := range []struct{ method, path string }{
		{"POST", "/api/v2/login/"}, {"POST", "/api/v2/log%69n"}, {"DELETE", "/api/v2/login"},
	} {
		op, _, _, _ := h.s.find(httptest.NewRequest(tc.method, tc.path, nil))
		if op != nil {
			t.Errorf("%s %s routed to %s; want no operation, as the router answers", tc.method, tc.path, op.op.ID)
		}
	}
}

// TestHeadAnsweredAsGet: HEAD on a GET operation is that operation without the body (RFC 9110,
// 9.3.2), over a real connection (net/http drops the body); the 405 of another method lists
// HEAD beside GET; HEAD where only POST is documented is still a 405.
func TestHeadAnsweredAsGet(t *testing.T) {
	h := newHarness(t, "pixfile")
	tok := h.pixfileToken("user", "pass")
	srv := httptest.NewServer(h.s)
	defer srv.Close()
	do := func(method, path string, kv ...string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		for i := 0; i+1 < len(kv); i += 2 {
			req.Header.Set(kv[i], kv[i+1])
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	get, getBody := do("GET", "/api/v2/customers", "X-Auth-Token", tok)
	head, headBody := do("HEAD", "/api/v2/customers", "X-Auth-Token", tok)
	if get.StatusCode != 200 || head.StatusCode != 200 || headBody != "" || getBody == "" {
		t.Fatalf("GET %d (%d bytes), HEAD %d %q: want 200 and 200 without a body", get.StatusCode, len(getBody), head.StatusCode, headBody)
	}
	if head.Header.Get("Content-Type") != get.Header.Get("Content-Type") {
		t.Errorf("HEAD Content-Type %q, GET %q", head.Header.Get("Content-Type"), get.Header.Get("Content-Type"))
	}
	if resp, _ := do("HEAD", "/api/v2/customers"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("HEAD without a token: %d, want the GET's 401", resp.StatusCode)
	}
	if resp, _ := do("DELETE", "/api/v2/customers", "X-Auth-Token", tok); resp.StatusCode != 405 || resp.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("DELETE: %d, Allow %q; want 405 with GET, HEAD", resp.StatusCode, resp.Header.Get("Allow"))
	}
	if resp, _ := do("HEAD", "/api/v2/login"); resp.StatusCode != 405 || resp.Header.Get("Allow") != "POST" {
		t.Errorf("HEAD on a POST operation: %d, Allow %q; want 405 with POST", resp.StatusCode, resp.Header.Get("Allow"))
	}
}
