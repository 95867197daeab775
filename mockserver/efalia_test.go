package mockserver

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

const efalia = "/workey/api"

func wantRestMessage(status int) func(t *testing.T, h *harness, rec *httptest.ResponseRecorder) {
	return func(t *testing.T, h *harness, rec *httptest.ResponseRecorder) {
		t.Helper()
		b := h.json(rec)
		if b["code"] != float64(status) || b["error"] != true || str(b["message"]) == "" {
			t.Errorf("body %v: want a RestMessage with code %d, error true and a message", b, status)
		}
	}
}

func TestEfaliaToken(t *testing.T) {
	token := func(body string) func(h *harness) *http.Request {
		return func(h *harness) *http.Request { return h.req("POST", efalia+"/auth/token", body) }
	}
	runCases(t, []flowCase{
		{name: "good credentials", want: 200, req: token(`{"username":"alice","password":"alice-password"}`),
			check: func(t *testing.T, h *harness, rec *httptest.ResponseRecorder) {
				b := h.json(rec)
				if b["type"] != "Bearer" || str(b["token"]) == "" || str(b["refreshToken"]) == "" || b["token"] == b["refreshToken"] {
					t.Errorf("body %v: want type Bearer and two different tokens", b)
				}
				wantNoStore(t, rec)
			}},
		{name: "wrong password: 555 RestMessage", want: 555, req: token(`{"username":"alice","password":"x"}`), check: wantRestMessage(555)},
		{name: "unknown user: 555", want: 555, req: token(`{"username":"mallory","password":"x"}`), check: wantRestMessage(555)},
		{name: "no username: 555 naming it", want: 555, req: token(`{"password":"x"}`), check: wantMessage("/username")},
		{name: "username of the wrong type: 555 naming it", want: 555, req: token(`{"username":1,"password":"x"}`), check: wantMessage("/username")},
		{name: "body not JSON: 555", want: 555, req: token(`not json`), check: wantRestMessage(555)},
	})
}

func TestEfaliaRefresh(t *testing.T) {
	refresh := func(tok func(h *harness) string) func(h *harness) *http.Request {
		return func(h *harness) *http.Request {
			return h.req("POST", efalia+"/auth/refresh", `{"refreshToken":"`+tok(h)+`"}`)
		}
	}
	good := func(h *harness) string { _, r := h.efaliaTokens("alice", "alice-password"); return r }
	runCases(t, []flowCase{
		{name: "good refresh token: new pair", want: 200, req: refresh(good),
			check: func(t *testing.T, h *harness, rec *httptest.ResponseRecorder) {
				b := h.json(rec)
				if str(b["token"]) == "" || str(b["refreshToken"]) == "" || b["type"] != "Bearer" {
					t.Errorf("body %v: want a new token pair", b)
				}
				wantNoStore(t, rec)
				h.expect(h.do(h.req("GET", efalia+"/processes", "", "Authorization", "Bearer "+str(b["token"]))), 200)
			}},
		{name: "used refresh token (rotation): 555", want: 555,
			req: refresh(func(h *harness) string {
				r := good(h)
				h.expect(h.do(h.req("POST", efalia+"/auth/refresh", `{"refreshToken":"`+r+`"}`)), 200)
				return r
			}), check: wantMessage("already been used")},
		{name: "access token as refresh token: 555", want: 555,
			req:   refresh(func(h *harness) string { a, _ := h.efaliaTokens("alice", "alice-password"); return a }),
			check: wantMessage("refresh")},
		{name: "garbage: 555", want: 555, req: refresh(func(*harness) string { return "garbage" })},
		{name: "expired: 555", want: 555,
			req:   refresh(func(h *harness) string { r := good(h); h.clock.Advance(24*3600e9 + 1e9); return r }),
			check: wantMessage("expired")},
		{name: "after logout: 555", want: 555,
			req: refresh(func(h *harness) string {
				a, r := h.efaliaTokens("alice", "alice-password")
				h.expect(h.do(h.req("POST", efalia+"/auth/logout", "", "Authorization", "Bearer "+a)), 200)
				return r
			})},
		{name: "missing field: 555", want: 555, req: func(h *harness) *http.Request { return h.req("POST", efalia+"/auth/refresh", `{}`) }},
	})
}

func TestEfaliaLogout(t *testing.T) {
	probe := func(h *harness, kv ...string) int { return h.do(h.req("GET", efalia+"/processes", "", kv...)).Code }
	runCases(t, []flowCase{
		{name: "bearer: that session ends, others stay", want: 200,
			req: func(h *harness) *http.Request {
				a, _ := h.efaliaTokens("alice", "alice-password")
				return h.req("POST", efalia+"/auth/logout", "", "Authorization", "Bearer "+a)
			},
			check: func(t *testing.T, h *harness, rec *httptest.ResponseRecorder) {
				if rec.Body.Len() != 0 {
					t.Errorf("200 is documented without content, got %s", rec.Body.String())
				}
			}},
		{name: "bearer: the token is refused afterwards", want: 401,
			req: func(h *harness) *http.Request {
				a, _ := h.efaliaTokens("alice", "alice-password")
				other, _ := h.efaliaTokens("alice", "alice-password")
				h.expect(h.do(h.req("POST", efalia+"/auth/logout", "", "Authorization", "Bearer "+a)), 200)
				if got := probe(h, "Authorization", "Bearer "+other); got != 200 {
					h.t.Errorf("another session of the same account: %d, want 200", got)
				}
				return h.req("GET", efalia+"/processes", "", "Authorization", "Bearer "+a)
			}, check: wantMessage("revoked")},
		{name: "basic: every session of the account ends", want: 200,
			req: func(h *harness) *http.Request {
				return h.req("POST", efalia+"/auth/logout", "", "Authorization", basic("alice", "alice-password"))
			}},
		{name: "basic: tokens issued before are refused afterwards", want: 401,
			req: func(h *harness) *http.Request {
				a, _ := h.efaliaTokens("alice", "alice-password")
				b, _ := h.efaliaTokens("bob", "bob-password")
				h.expect(h.do(h.req("POST", efalia+"/auth/logout", "", "Authorization", basic("alice", "alice-password"))), 200)
				if got := probe(h, "Authorization", "Bearer "+b); got != 200 {
					h.t.Errorf("bob's session after alice's logout: %d, want 200", got)
				}
				return h.req("GET", efalia+"/processes", "", "Authorization", "Bearer "+a)
			}},
		{name: "api key: ends the owner's sessions", want: 401,
			req: func(h *harness) *http.Request {
				a, _ := h.efaliaTokens("alice", "alice-password")
				h.expect(h.do(h.req("POST", efalia+"/auth/logout", "", "X-API-KEY", "efalia-demo-key")), 200)
				return h.req("GET", efalia+"/processes", "", "Authorization", "Bearer "+a)
			}},
		{name: "api key impersonating bob: ends bob's sessions, not alice's", want: 401,
			req: func(h *harness) *http.Request {
				a, _ := h.efaliaTokens("alice", "alice-password")
				b, _ := h.efaliaTokens("bob", "bob-password")
				h.expect(h.do(h.req("POST", efalia+"/auth/logout", "", "X-API-KEY", "efalia-demo-key", "X-API-KEY-IMPERSONATE", "bob")), 200)
				if got := probe(h, "Authorization", "Bearer "+a); got != 200 {
					h.t.Errorf("alice after impersonated logout of bob: %d, want 200", got)
				}
				return h.req("GET", efalia+"/processes", "", "Authorization", "Bearer "+b)
			}},
		{name: "no credentials: 401 RestMessage", want: 401,
			req: func(h *harness) *http.Request { return h.req("POST", efalia+"/auth/logout", "") }, check: wantRestMessage(401)},
		{name: "wrong basic password: 401", want: 401,
			req: func(h *harness) *http.Request {
				return h.req("POST", efalia+"/auth/logout", "", "Authorization", basic("alice", "nope"))
			}, check: wantRestMessage(401)},
		{name: "garbage bearer: 401", want: 401,
			req: func(h *harness) *http.Request {
				return h.req("POST", efalia+"/auth/logout", "", "Authorization", "Bearer garbage")
			}},
		{name: "refresh token as bearer: 401", want: 401,
			req: func(h *harness) *http.Request {
				_, r := h.efaliaTokens("alice", "alice-password")
				return h.req("POST", efalia+"/auth/logout", "", "Authorization", "Bearer "+r)
			}},
		{name: "unknown api key: 401", want: 401,
			req: func(h *harness) *http.Request { return h.req("POST", efalia+"/auth/logout", "", "X-API-KEY", "nope") }},
		{name: "impersonating nobody: 401", want: 401,
			req: func(h *harness) *http.Request {
				return h.req("POST", efalia+"/auth/logout", "", "X-API-KEY", "efalia-demo-key", "X-API-KEY-IMPERSONATE", "nobody")
			}},
	})
}

func TestEfaliaProcesses(t *testing.T) {
	runCases(t, []flowCase{
		{name: "bearer: the documented example", want: 200,
			req: func(h *harness) *http.Request {
				a, _ := h.efaliaTokens("bob", "bob-password")
				return h.req("GET", efalia+"/processes", "", "Authorization", "Bearer "+a)
			},
			check: func(t *testing.T, h *harness, rec *httptest.ResponseRecorder) {
				if l := h.list(rec); len(l) != 2 {
					t.Errorf("want the 2 documented processes, got %v", l)
				}
			}},
		{name: "bearer prefix in lower case", want: 200,
			req: func(h *harness) *http.Request {
				a, _ := h.efaliaTokens("bob", "bob-password")
				return h.req("GET", efalia+"/processes", "", "Authorization", "bearer "+a)
			}},
		{name: "basic", want: 200,
			req: func(h *harness) *http.Request {
				return h.req("GET", efalia+"/processes", "", "Authorization", basic("bob", "bob-password"))
			}},
		{name: "api key", want: 200,
			req: func(h *harness) *http.Request {
				return h.req("GET", efalia+"/processes", "", "x-api-key", "efalia-demo-key")
			}},
		{name: "raw token without Bearer: 401", want: 401,
			req: func(h *harness) *http.Request {
				a, _ := h.efaliaTokens("bob", "bob-password")
				return h.req("GET", efalia+"/processes", "", "Authorization", a)
			}},
		{name: "no credential: 401 naming the ways", want: 401,
			req:   func(h *harness) *http.Request { return h.req("GET", efalia+"/processes", "") },
			check: wantMessage("Basic", "Bearer", "X-API-KEY")},
		{name: "token of another spec: 401", want: 401,
			req: func(h *harness) *http.Request {
				tok := h.precrimeToken("john.doe", "SecurePass123!")
				return h.req("GET", efalia+"/processes", "", "Authorization", "Bearer "+tok)
			}},
	})
}
