package devtools

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/authconform/authconform/mockserver"
	"github.com/authconform/authconform/specs"
)

// serve runs a request through the mock without the harness's spec check (preflights and admin
// calls reach no operation).
func serve(s http.Handler, r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, r)
	return rec
}

func preflight(path, origin, method, headers string) *http.Request {
	r := httptest.NewRequest(http.MethodOptions, path, nil)
	if strings.HasPrefix(path, mockserver.AdminPrefix) {
		r.Host = adminHost
	}
	r.Header.Set("Origin", origin)
	r.Header.Set("Access-Control-Request-Method", method)
	if headers != "" {
		r.Header.Set("Access-Control-Request-Headers", headers)
	}
	return r
}

// hasToken reports whether a comma-separated header value lists want, case-insensitively.
func hasToken(list, want string) bool {
	for _, v := range strings.Split(list, ",") {
		if strings.EqualFold(strings.TrimSpace(v), want) {
			return true
		}
	}
	return false
}

func TestCORSPreflight(t *testing.T) {
	h := newHarness(t)
	cases := []struct {
		name        string
		path        string
		origin      string
		method      string
		wantStatus  int
		wantMethods []string
		wantHeaders []string
	}{
		{name: "pixfile login from a dev server", path: "/api/v2/login", origin: "http://localhost:3000", method: "POST",
			wantStatus: 204, wantMethods: []string{"POST"}, wantHeaders: []string{"Content-Type", "Authorization", "Prefer"}},
		{name: "pixfile protected call takes X-Auth-Token", path: "/api/v2/customers", origin: "http://127.0.0.1:5173", method: "GET",
			wantStatus: 204, wantMethods: []string{"GET"}, wantHeaders: []string{"X-Auth-Token"}},
		{name: "elyssa protected call takes x-company-id", path: "/companies/me", origin: "https://localhost:8443", method: "GET",
			wantStatus: 204, wantMethods: []string{"GET"}, wantHeaders: []string{"x-company-id", "Authorization"}},
		{name: "efalia takes X-API-KEY", path: "/workey/api/processes", origin: "http://[::1]:3000", method: "GET",
			wantStatus: 204, wantMethods: []string{"GET"}, wantHeaders: []string{"X-API-KEY", "X-API-KEY-IMPERSONATE"}},
		{name: "admin API", path: mockserver.AdminPrefix + "faults", origin: "http://localhost:3000", method: "DELETE",
			wantStatus: 204, wantMethods: []string{"GET", "POST", "DELETE"}, wantHeaders: []string{"Authorization", "Content-Type"}},
		{name: "unknown path", path: "/nowhere", origin: "http://localhost:3000", method: "GET", wantStatus: 404},
		{name: "foreign origin", path: "/api/v2/login", origin: "http://evil.example", method: "POST", wantStatus: 403},
		{name: "lookalike origin", path: "/api/v2/login", origin: "http://localhost.evil.example", method: "POST", wantStatus: 403},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := serve(h.s, preflight(tc.path, tc.origin, tc.method, "content-type"))
			if rec.Code != tc.wantStatus {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.wantStatus, rec.Body.String())
			}
			got := rec.Header()
			if tc.wantStatus == 403 {
				if got.Get("Access-Control-Allow-Origin") != "" {
					t.Errorf("a foreign origin got Access-Control-Allow-Origin %q", got.Get("Access-Control-Allow-Origin"))
				}
				return
			}
			if got.Get("Access-Control-Allow-Origin") != tc.origin || got.Get("Access-Control-Allow-Credentials") != "true" {
				t.Errorf("allow origin %q credentials %q; want %q and true", got.Get("Access-Control-Allow-Origin"), got.Get("Access-Control-Allow-Credentials"), tc.origin)
			}
			if !hasToken(strings.Join(got.Values("Vary"), ","), "Origin") {
				t.Errorf("Vary %q lacks Origin", got.Values("Vary"))
			}
			for _, m := range tc.wantMethods {
				if !hasToken(got.Get("Access-Control-Allow-Methods"), m) {
					t.Errorf("Access-Control-Allow-Methods %q lacks %s", got.Get("Access-Control-Allow-Methods"), m)
				}
			}
			for _, hd := range tc.wantHeaders {
				if !hasToken(got.Get("Access-Control-Allow-Headers"), hd) {
					t.Errorf("Access-Control-Allow-Headers %q lacks %s", got.Get("Access-Control-Allow-Headers"), hd)
				}
			}
		})
	}
}

func TestCORSActualRequest(t *testing.T) {
	cases := []struct {
		name      string
		origins   []string
		origin    string
		allowed   bool
		wantCode  int
		wantToken bool
	}{
		{name: "default allows localhost", origin: "http://localhost:3000", allowed: true, wantCode: 200, wantToken: true},
		{name: "default refuses a foreign origin but serves", origin: "http://evil.example", allowed: false, wantCode: 200, wantToken: true},
		{name: "configured origin", origins: []string{"http://app.test:8080"}, origin: "http://app.test:8080", allowed: true, wantCode: 200, wantToken: true},
		{name: "configured list replaces localhost", origins: []string{"http://app.test:8080"}, origin: "http://localhost:3000", allowed: false, wantCode: 200, wantToken: true},
		{name: "star allows any", origins: []string{"*"}, origin: "https://anything.example", allowed: true, wantCode: 200, wantToken: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, _, err := newMock([]*specs.Spec{loadSpec(t, "pixfile")}, mockserver.WithClock(mockserver.NewClockAt(t0)), mockserver.WithConfig(&mockserver.Config{CORS: mockserver.CORSConfig{Origins: tc.origins}}))
			if err != nil {
				t.Fatal(err)
			}
			r := httptest.NewRequest("POST", "/api/v2/login", strings.NewReader(`{"username":"user","password":"pass"}`))
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("Origin", tc.origin)
			rec := serve(s, r)
			if rec.Code != tc.wantCode {
				t.Fatalf("status %d, want %d", rec.Code, tc.wantCode)
			}
			if (rec.Header().Get("X-Auth-Token") != "") != tc.wantToken {
				t.Errorf("X-Auth-Token present %v, want %v", rec.Header().Get("X-Auth-Token") != "", tc.wantToken)
			}
			acao := rec.Header().Get("Access-Control-Allow-Origin")
			if tc.allowed {
				if acao != tc.origin {
					t.Errorf("Access-Control-Allow-Origin %q, want %q", acao, tc.origin)
				}
				exp := rec.Header().Get("Access-Control-Expose-Headers")
				for _, want := range []string{"X-Auth-Token", mockserver.MessageHeader} {
					if !hasToken(exp, want) {
						t.Errorf("Access-Control-Expose-Headers %q lacks %s", exp, want)
					}
				}
			} else if acao != "" || rec.Header().Get("Access-Control-Expose-Headers") != "" {
				t.Errorf("a disallowed origin got CORS headers: %v", rec.Header())
			}
		})
	}
}

func TestIsLocalOrigin(t *testing.T) {
	cases := []struct {
		name   string
		origin string
		want   bool
	}{
		{name: "localhost with port", origin: "http://localhost:3000", want: true},
		{name: "localhost without port", origin: "http://localhost", want: true},
		{name: "https loopback", origin: "https://127.0.0.1:8443", want: true},
		{name: "ipv6 loopback", origin: "http://[::1]:3000", want: true},
		{name: "upper case host", origin: "http://LOCALHOST:3000", want: true},
		{name: "lookalike suffix", origin: "http://localhost.evil.com", want: false},
		{name: "lookalike ip", origin: "http://127.0.0.1.nip.io", want: false},
		{name: "other scheme", origin: "ftp://localhost", want: false},
		{name: "null", origin: "null", want: false},
		{name: "with path", origin: "http://localhost:3000/x", want: false},
		{name: "with user", origin: "http://a@localhost", want: false},
		{name: "bad port", origin: "http://localhost:99999", want: false},
		{name: "garbage", origin: "%%%", want: false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := isLocalOrigin(tc.origin); got != tc.want {
				t.Errorf("isLocalOrigin(%q) = %v, want %v", tc.origin, got, tc.want)
			}
		})
	}
}

// TestCORSPreflightEveryRoute: every operation of every bundled spec answers a preflight from a
// localhost origin, allowing its method and every header its security schemes read.
func TestCORSPreflightEveryRoute(t *testing.T) {
	h := newHarness(t)
	for _, sp := range h.s.Specs() {
		for _, op := range sp.Operations {
			t.Run(sp.Name+" "+op.Key(), func(t *testing.T) {
				path := sp.BasePath + paramPattern.ReplaceAllString(op.Path, "x")
				rec := serve(h.s, preflight(path, "http://localhost:3000", op.Method, ""))
				if rec.Code != 204 {
					t.Fatalf("status %d: %s", rec.Code, rec.Body.String())
				}
				if !hasToken(rec.Header().Get("Access-Control-Allow-Methods"), op.Method) {
					t.Errorf("methods %q lack %s", rec.Header().Get("Access-Control-Allow-Methods"), op.Method)
				}
				for _, alt := range op.Security {
					for _, sc := range alt {
						if sc.In != specs.InQuery && !hasToken(rec.Header().Get("Access-Control-Allow-Headers"), sc.Header) {
							t.Errorf("headers %q lack %s", rec.Header().Get("Access-Control-Allow-Headers"), sc.Header)
						}
					}
				}
			})
		}
	}
}

// TestCORSReflectsRequestedHeaders: a preflight of an allowed origin is allowed every header it
// asks for, but those no page may set; on the specs' routes and the admin API alike. Before, a
// call with one header no spec names (traceparent, which tracing libraries add) failed CORS.
func TestCORSReflectsRequestedHeaders(t *testing.T) {
	h := newHarness(t)
	cases := []struct {
		name, path, origin, requested string
		want, notWant                 []string
		status                        int
	}{
		{name: "tracing headers", path: "/api/v2/customers", origin: "http://localhost:3000", requested: "traceparent, tracestate, x-auth-token",
			want: []string{"traceparent", "tracestate", "X-Auth-Token"}, status: 204},
		{name: "an app's own header", path: "/workey/api/auth/token", origin: "http://localhost:3000", requested: "x-request-id,content-type",
			want: []string{"x-request-id", "Content-Type"}, status: 204},
		{name: "forbidden headers are not reflected", path: "/api/v2/login", origin: "http://localhost:3000",
			requested: "cookie, host, sec-fetch-mode, proxy-authorization, content-length, origin, x-ok",
			want:      []string{"x-ok"}, notWant: []string{"cookie", "host", "sec-fetch-mode", "proxy-authorization", "content-length", "origin"}, status: 204},
		{name: "not header names", path: "/api/v2/login", origin: "http://localhost:3000", requested: "bad header, x\x7fy, " + strings.Repeat("x", 200),
			notWant: []string{"bad header", "x\x7fy", strings.Repeat("x", 200)}, status: 204},
		{name: "the admin API", path: mockserver.AdminPrefix + "clock", origin: "http://localhost:3000", requested: "traceparent, content-type",
			want: []string{"traceparent", "Content-Type"}, status: 204},
		{name: "a refused origin gets nothing", path: "/api/v2/customers", origin: "http://evil.example", requested: "traceparent",
			notWant: []string{"traceparent"}, status: 403},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := serve(h.s, preflight(tc.path, tc.origin, "GET", tc.requested))
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body.String())
			}
			got := rec.Header().Get("Access-Control-Allow-Headers")
			for _, w := range tc.want {
				if !hasToken(got, w) {
					t.Errorf("Access-Control-Allow-Headers %q lacks %s", got, w)
				}
			}
			for _, w := range tc.notWant {
				if hasToken(got, w) {
					t.Errorf("Access-Control-Allow-Headers %q allows %q", got, w)
				}
			}
		})
	}
}

// TestCORSConfiguredHeaders: cors.headers adds request headers to every preflight answer, asked
// for or not; names that are no header, or that no page may set, are refused in the config.
func TestCORSConfiguredHeaders(t *testing.T) {
	cfg, err := mockserver.ParseConfig("mock.yaml", []byte("cors:\n  headers: [traceparent, X-Request-Id]\n"))
	if err != nil {
		t.Fatal(err)
	}
	s, _, err := newMock([]*specs.Spec{loadSpec(t, "pixfile")}, mockserver.WithConfig(cfg))
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/api/v2/customers", mockserver.AdminPrefix + "faults"} {
		got := serve(s, preflight(path, "http://localhost:3000", "GET", "")).Header().Get("Access-Control-Allow-Headers")
		if !hasToken(got, "Traceparent") || !hasToken(got, "X-Request-Id") {
			t.Errorf("%s: Access-Control-Allow-Headers %q lacks the configured headers", path, got)
		}
	}
	for _, tc := range []struct{ yaml, want string }{
		{"cors:\n  headers: [Cookie]\n", "cors.headers[0]: Cookie is a header no page may set"},
		{"cors:\n  headers: [ok, 'two words']\n", `cors.headers[1]: "two words" is not a header name`},
		{"cors:\n  headers: traceparent\n", "cors.headers: want a list"},
	} {
		if _, err := mockserver.ParseConfig("mock.yaml", []byte(tc.yaml)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.yaml, err, tc.want)
		}
	}
}

// TestCORSRefusedPreflightLogged: a preflight the browser will refuse is logged with the reason,
// since the page only learns "CORS error".
func TestCORSRefusedPreflightLogged(t *testing.T) {
	cases := []struct {
		name, path, origin, method, want string
	}{
		{name: "foreign origin", path: "/api/v2/login", origin: "http://evil.example", method: "POST", want: "list it under cors.origins"},
		{name: "no operation at the path", path: "/nowhere", origin: "http://localhost:3000", method: "GET", want: "no operation at /nowhere"},
		{name: "a method the path does not serve", path: "/api/v2/login", origin: "http://localhost:3000", method: "PUT", want: "asks for method PUT"},
		{name: "the admin API from a foreign origin", path: mockserver.AdminPrefix + "reset", origin: "http://evil.example", method: "POST", want: "may not call the admin API"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var logs strings.Builder
			s, _, err := newMock([]*specs.Spec{loadSpec(t, "pixfile")}, mockserver.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
			if err != nil {
				t.Fatal(err)
			}
			serve(s, preflight(tc.path, tc.origin, tc.method, "content-type"))
			if !strings.Contains(logs.String(), "CORS preflight refused") || !strings.Contains(logs.String(), tc.want) {
				t.Errorf("log %q lacks the reason %q", logs.String(), tc.want)
			}
		})
	}
	t.Run("an accepted preflight logs no refusal", func(t *testing.T) {
		var logs strings.Builder
		s, _, err := newMock([]*specs.Spec{loadSpec(t, "pixfile")}, mockserver.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
		if err != nil {
			t.Fatal(err)
		}
		serve(s, preflight("/api/v2/login", "http://localhost:3000", "POST", "content-type, traceparent"))
		if strings.Contains(logs.String(), "refused") {
			t.Errorf("log %q", logs.String())
		}
	})
}

// paramPattern matches a path parameter of an OpenAPI path.
var paramPattern = regexp.MustCompile(`\{[^}]*\}`)
