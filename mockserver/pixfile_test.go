package mockserver

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestPixfileLogin(t *testing.T) {
	login := func(body string) func(h *harness) *http.Request {
		return func(h *harness) *http.Request { return h.req("POST", "/api/v2/login", body) }
	}
	runCases(t, []flowCase{
		{name: "v2 good credentials: token in header and body, identical", want: 200,
			req: login(`{"username":"user","password":"pass"}`),
			check: func(t *testing.T, h *harness, rec *httptest.ResponseRecorder) {
				b := h.json(rec)
				if hdr := rec.Header().Get("X-Auth-Token"); hdr == "" || hdr != b["X-Auth-Token"] {
					t.Errorf("header token %q, body token %q: want equal and non-empty", hdr, b["X-Auth-Token"])
				}
				if b["userId"] != float64(5) || b["username"] != "user" {
					t.Errorf("body %v: want userId 5 and username user", b)
				}
				wantNoStore(t, rec)
			}},
		{name: "v2 wrong password", want: 401, req: login(`{"username":"user","password":"nope"}`),
			check: func(t *testing.T, h *harness, rec *httptest.ResponseRecorder) {
				if rec.Body.Len() != 0 {
					t.Errorf("401 is documented without content, got body %s", rec.Body.String())
				}
				wantMessage("wrong")(t, h, rec)
			}},
		{name: "v2 unknown user", want: 401, req: login(`{"username":"nobody","password":"pass"}`)},
		{name: "v2 disabled account", want: 403, req: login(`{"username":"dave","password":"dave-password"}`),
			check: wantMessage("disabled")},
		{name: "v2 disabled account with a wrong password is just wrong credentials", want: 401,
			req: login(`{"username":"dave","password":"nope"}`)},
		{name: "v2 body without password", want: 400, req: login(`{"username":"user"}`), check: wantMessage("password")},
		{name: "v2 password of the wrong type", want: 400, req: login(`{"username":"user","password":5}`), check: wantMessage("/password")},
		{name: "v2 body not JSON", want: 400, req: login(`{"username":`), check: wantMessage("body")},
		{name: "v2 without a body", want: 400, req: login(``), check: wantMessage("body")},
		{name: "v2 wrong content type", want: 400,
			req: func(h *harness) *http.Request {
				return h.req("POST", "/api/v2/login", `{"username":"user","password":"pass"}`, "Content-Type", "text/plain")
			}, check: wantMessage("Content-Type")},
		{name: "v1 GET with query credentials: token in x-auth-token", want: 200,
			req: func(h *harness) *http.Request { return h.req("GET", "/api/v1/login?username=user&password=pass", "") },
			check: func(t *testing.T, h *harness, rec *httptest.ResponseRecorder) {
				if rec.Header().Get("x-auth-token") == "" {
					t.Error("no x-auth-token header")
				}
				if b := h.json(rec); b["id"] != float64(5) {
					t.Errorf("body %v: want id 5", b)
				}
				wantNoStore(t, rec)
			}},
		{name: "v1 wrong password", want: 401,
			req: func(h *harness) *http.Request { return h.req("GET", "/api/v1/login?username=user&password=x", "") }},
		{name: "v1 disabled", want: 403,
			req: func(h *harness) *http.Request {
				return h.req("GET", "/api/v1/login?username=dave&password=dave-password", "")
			}},
		{name: "v1 missing password parameter", want: 400,
			req:   func(h *harness) *http.Request { return h.req("GET", "/api/v1/login?username=user", "") },
			check: wantMessage(`query parameter "password"`)},
	})
}

func TestPixfileCustomers(t *testing.T) {
	runCases(t, []flowCase{
		{name: "with the login token: the documented example", want: 200,
			req: func(h *harness) *http.Request {
				return h.req("GET", "/api/v2/customers", "", "X-Auth-Token", h.pixfileToken("user", "pass"))
			},
			check: func(t *testing.T, h *harness, rec *httptest.ResponseRecorder) {
				if l := h.list(rec); len(l) != 2 {
					t.Errorf("want the 2 documented customers, got %v", l)
				}
			}},
		{name: "header name in lower case", want: 200,
			req: func(h *harness) *http.Request {
				tok := h.pixfileToken("carol", "carol-password")
				r := h.req("GET", "/api/v2/customers", "")
				r.Header["x-auth-token"] = []string{tok} // as a client might send it, not canonicalised
				return r
			}},
		{name: "v1 token works too", want: 200,
			req: func(h *harness) *http.Request {
				rec := h.do(h.req("GET", "/api/v1/login?username=user&password=pass", ""))
				return h.req("GET", "/api/v2/customers", "", "X-Auth-Token", rec.Header().Get("X-Auth-Token"))
			}},
		{name: "no token", want: 401, req: func(h *harness) *http.Request { return h.req("GET", "/api/v2/customers", "") },
			check: wantMessage("X-Auth-Token")},
		{name: "garbage token", want: 401,
			req: func(h *harness) *http.Request {
				return h.req("GET", "/api/v2/customers", "", "X-Auth-Token", "garbage")
			}},
		{name: "tampered token", want: 401,
			req: func(h *harness) *http.Request {
				tok := h.pixfileToken("user", "pass")
				return h.req("GET", "/api/v2/customers", "", "X-Auth-Token", tok[:len(tok)-4]+"AAAA")
			}},
		{name: "token of another spec", want: 401,
			req: func(h *harness) *http.Request {
				a, _ := h.elyssaTokens(company1)
				return h.req("GET", "/api/v2/customers", "", "X-Auth-Token", a)
			}},
		{name: "expired token", want: 401,
			req: func(h *harness) *http.Request {
				tok := h.pixfileToken("user", "pass")
				h.clock.Advance(24*60*60e9 + 1e9)
				return h.req("GET", "/api/v2/customers", "", "X-Auth-Token", tok)
			}, check: wantMessage("expired")},
		{name: "still valid one second before expiry", want: 200,
			req: func(h *harness) *http.Request {
				tok := h.pixfileToken("user", "pass")
				h.clock.Advance(24*60*60e9 - 1e9)
				return h.req("GET", "/api/v2/customers", "", "X-Auth-Token", tok)
			}},
	})
}

// TestPixfileRestartExpiresTokens guards the pixfile-restart decision: a new mock (a restart)
// signs with a new key, so the old tokens are refused.
func TestPixfileRestartExpiresTokens(t *testing.T) {
	h := newHarness(t, "pixfile")
	tok := h.pixfileToken("user", "pass")
	h2 := newHarness(t, "pixfile")
	h2.expect(h2.do(h2.req("GET", "/api/v2/customers", "", "X-Auth-Token", tok)), 401)
	if !strings.HasPrefix(tok, "eyJ") {
		t.Errorf("token %q is not a JWT", tok)
	}
}
