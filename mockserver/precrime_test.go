package mockserver

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

const (
	john     = "john.doe"
	jane     = "jane.roe"
	johnPass = "SecurePass123!"
	janePass = "jane-password"
)

func TestPrecrimeLogin(t *testing.T) {
	login := func(body string) func(h *harness) *http.Request {
		return func(h *harness) *http.Request { return h.req("POST", "/user/login", body) }
	}
	runCases(t, []flowCase{
		{name: "good credentials: the full user object with Token", want: 200,
			req: login(`{"username":"john.doe","password":"SecurePass123!"}`),
			check: func(t *testing.T, h *harness, rec *httptest.ResponseRecorder) {
				b := h.json(rec)
				if b["Id"] != "12345678-1234-1234-1234-123456789abc" || b["Email"] != "john.doe@example.com" || str(b["Token"]) == "" {
					t.Errorf("body %v: want john's user object and a token", b)
				}
				wantNoStore(t, rec)
			}},
		{name: "wrong password: 401", want: 401, req: login(`{"username":"john.doe","password":"x"}`)},
		{name: "unknown user: 401", want: 401, req: login(`{"username":"nobody","password":"x"}`)},
		{name: "password expired: 403", want: 403, req: login(`{"username":"expired.user","password":"expired-password"}`),
			check: wantMessage("expired")},
		{name: "no password: 400", want: 400, req: login(`{"username":"john.doe"}`), check: wantMessage("password")},
	})
}

func TestPrecrimeAuthHeaders(t *testing.T) {
	bearer := func(tok string) []string { return []string{"Authorization", "Bearer " + tok} }
	runCases(t, []flowCase{
		{name: "add: the new key", want: 200,
			req: func(h *harness) *http.Request {
				return h.req("POST", "/authheader/add", `{"name":"ci"}`, bearer(h.precrimeToken(john, johnPass))...)
			},
			check: func(t *testing.T, h *harness, rec *httptest.ResponseRecorder) {
				b := h.json(rec)
				if b["name"] != "ci" || str(b["token"]) == "" || str(b["id"]) == "" || str(b["created"]) == "" {
					t.Errorf("body %v: want id, name, token, created", b)
				}
				wantNoStore(t, rec)
			}},
		{name: "add without name: 400", want: 400,
			req: func(h *harness) *http.Request {
				return h.req("POST", "/authheader/add", `{}`, bearer(h.precrimeToken(john, johnPass))...)
			}, check: wantMessage("name")},
		{name: "add without credential: 401", want: 401,
			req: func(h *harness) *http.Request { return h.req("POST", "/authheader/add", `{"name":"x"}`) }},
		{name: "list: only the caller's keys", want: 200,
			req: func(h *harness) *http.Request {
				jt := h.precrimeToken(john, johnPass)
				h.precrimeKey(jt, "one")
				h.precrimeKey(jt, "two")
				h.precrimeKey(h.precrimeToken(jane, janePass), "janes")
				return h.req("GET", "/authheader/list", "", bearer(jt)...)
			},
			check: func(t *testing.T, h *harness, rec *httptest.ResponseRecorder) {
				l := h.list(rec)
				if len(l) != 2 {
					t.Fatalf("list %v: want john's 2 keys", l)
				}
				for _, e := range l {
					if n := e.(map[string]any)["name"]; n == "janes" {
						t.Errorf("john sees jane's key")
					}
				}
			}},
		{name: "list with the raw token (no Bearer)", want: 200,
			req: func(h *harness) *http.Request {
				return h.req("GET", "/authheader/list", "", "Authorization", h.precrimeToken(john, johnPass))
			}},
		{name: "list with a created key, Bearer and raw", want: 200,
			req: func(h *harness) *http.Request {
				k := h.precrimeKey(h.precrimeToken(john, johnPass), "k")
				h.expect(h.do(h.req("GET", "/authheader/list", "", "Authorization", k)), 200)
				return h.req("GET", "/authheader/list", "", bearer(k)...)
			}},
		{name: "list without credential: 401", want: 401,
			req: func(h *harness) *http.Request { return h.req("GET", "/authheader/list", "") }},
		{name: "list with a garbage credential: 401", want: 401,
			req: func(h *harness) *http.Request { return h.req("GET", "/authheader/list", "", bearer("garbage")...) }},
		{name: "delete: Success, and the key no longer authenticates", want: 401,
			req: func(h *harness) *http.Request {
				jt := h.precrimeToken(john, johnPass)
				k := h.precrimeKey(jt, "k")
				rec := h.do(h.req("POST", "/authheader/delete", `{"text":"`+k+`"}`, bearer(jt)...))
				h.expect(rec, 200)
				if m := h.json(rec)["message"]; m != "Success" {
					h.t.Errorf("delete answered %v, want Success", m)
				}
				return h.req("GET", "/authheader/list", "", bearer(k)...)
			}, check: wantMessage("not a valid API key (unknown, or deleted)")},
		{name: "delete twice: 404", want: 404,
			req: func(h *harness) *http.Request {
				jt := h.precrimeToken(john, johnPass)
				k := h.precrimeKey(jt, "k")
				h.expect(h.do(h.req("POST", "/authheader/delete", `{"text":"`+k+`"}`, bearer(jt)...)), 200)
				return h.req("POST", "/authheader/delete", `{"text":"`+k+`"}`, bearer(jt)...)
			}},
		{name: "delete another user's key: 404, and it still works", want: 404,
			req: func(h *harness) *http.Request {
				janeKey := h.precrimeKey(h.precrimeToken(jane, janePass), "janes")
				h.t.Cleanup(func() { h.expect(h.do(h.req("GET", "/authheader/list", "", bearer(janeKey)...)), 200) })
				return h.req("POST", "/authheader/delete", `{"text":"`+janeKey+`"}`, bearer(h.precrimeToken(john, johnPass))...)
			}},
		{name: "delete without text: 400", want: 400,
			req: func(h *harness) *http.Request {
				return h.req("POST", "/authheader/delete", `{}`, bearer(h.precrimeToken(john, johnPass))...)
			}},
		{name: "delete without credential: 401", want: 401,
			req: func(h *harness) *http.Request { return h.req("POST", "/authheader/delete", `{"text":"x"}`) }},
	})
}
