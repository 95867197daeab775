package mockserver

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestElyssaLogin(t *testing.T) {
	login := func(body string) func(h *harness) *http.Request {
		return func(h *harness) *http.Request { return h.req("POST", "/auth/login/", body) }
	}
	runCases(t, []flowCase{
		{name: "known company: access and refresh token, different", want: 200, req: login(`{"companyId":"` + company1 + `"}`),
			check: func(t *testing.T, h *harness, rec *httptest.ResponseRecorder) {
				b := h.json(rec)
				if str(b["accessToken"]) == "" || b["accessToken"] == b["refreshToken"] {
					t.Errorf("body %v: want two different tokens", b)
				}
				wantNoStore(t, rec)
			}},
		{name: "unknown company: 401", want: 401, req: login(`{"companyId":"33333333-3333-4333-8333-333333333333"}`), check: wantMessage("companyId")},
		{name: "no companyId: 400 naming it", want: 400, req: login(`{}`), check: wantMessage("companyId")},
		{name: "without the trailing slash: 404", want: 404,
			req: func(h *harness) *http.Request { return h.req("POST", "/auth/login", `{"companyId":"`+company1+`"}`) }},
	})
}

func TestElyssaRefresh(t *testing.T) {
	refresh := func(tok func(h *harness) string) func(h *harness) *http.Request {
		return func(h *harness) *http.Request { return h.req("POST", "/auth/refresh/", `{"refresh":"`+tok(h)+`"}`) }
	}
	good := func(h *harness) string { _, r := h.elyssaTokens(company1); return r }
	runCases(t, []flowCase{
		{name: "refresh token: a new access token", want: 200, req: refresh(good),
			check: func(t *testing.T, h *harness, rec *httptest.ResponseRecorder) {
				a := str(h.json(rec)["accessToken"])
				h.expect(h.do(h.req("GET", "/companies/me", "", "Authorization", "Bearer "+a, "x-company-id", company1)), 200)
				wantNoStore(t, rec)
			}},
		{name: "no rotation: the refresh token works again", want: 200,
			req: refresh(func(h *harness) string {
				r := good(h)
				h.expect(h.do(h.req("POST", "/auth/refresh/", `{"refresh":"`+r+`"}`)), 200)
				return r
			})},
		{name: "still valid after 359 days", want: 200,
			req: refresh(func(h *harness) string { r := good(h); h.clock.Advance(359 * 24 * 3600e9); return r })},
		{name: "expired after 360 days: 401", want: 401,
			req: refresh(func(h *harness) string { r := good(h); h.clock.Advance(360*24*3600e9 + 1e9); return r })},
		{name: "access token as refresh token: 401", want: 401,
			req: refresh(func(h *harness) string { a, _ := h.elyssaTokens(company1); return a })},
		{name: "garbage: 401", want: 401, req: refresh(func(*harness) string { return "x.y.z" })},
		{name: "no refresh field: 400", want: 400,
			req: func(h *harness) *http.Request { return h.req("POST", "/auth/refresh/", `{}`) }, check: wantMessage("refresh")},
	})
}

func TestElyssaCompany(t *testing.T) {
	me := func(kv func(h *harness) []string) func(h *harness) *http.Request {
		return func(h *harness) *http.Request { return h.req("GET", "/companies/me", "", kv(h)...) }
	}
	runCases(t, []flowCase{
		{name: "bearer and matching x-company-id: the company", want: 200,
			req: me(func(h *harness) []string {
				a, _ := h.elyssaTokens(company2)
				return []string{"Authorization", "Bearer " + a, "X-Company-Id", company2}
			}),
			check: func(t *testing.T, h *harness, rec *httptest.ResponseRecorder) {
				if b := h.json(rec); b["companyId"] != company2 || b["name"] != "Demo Company Two" {
					t.Errorf("body %v: want company two", b)
				}
			}},
		{name: "missing x-company-id: 401", want: 401,
			req: me(func(h *harness) []string {
				a, _ := h.elyssaTokens(company1)
				return []string{"Authorization", "Bearer " + a}
			}), check: wantMessage("x-company-id")},
		{name: "x-company-id of another company: 401", want: 401,
			req: me(func(h *harness) []string {
				a, _ := h.elyssaTokens(company1)
				return []string{"Authorization", "Bearer " + a, "x-company-id", company2}
			}), check: wantMessage("x-company-id")},
		{name: "no token: 401", want: 401,
			req: me(func(h *harness) []string { return []string{"x-company-id", company1} })},
		{name: "refresh token as access token: 401", want: 401,
			req: me(func(h *harness) []string {
				_, r := h.elyssaTokens(company1)
				return []string{"Authorization", "Bearer " + r, "x-company-id", company1}
			}), check: wantMessage("access")},
		{name: "expired after 24h: 401", want: 401,
			req: me(func(h *harness) []string {
				a, _ := h.elyssaTokens(company1)
				h.clock.Advance(24*3600e9 + 1e9)
				return []string{"Authorization", "Bearer " + a, "x-company-id", company1}
			})},
	})
}
