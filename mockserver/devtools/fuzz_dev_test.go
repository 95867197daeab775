package devtools

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/authconform/authconform/mockserver"
)

// FuzzPrefer sends arbitrary Prefer and Origin headers to operations of every bundled spec: never
// a panic, and any answer has one of the operation's documented statuses, or is the mock's own
// refusal of the Prefer header (400 application/problem+json). A request's context ends after a
// few milliseconds, so provoked delays end early.
func FuzzPrefer(f *testing.F) {
	for _, s := range []struct{ path, prefer, origin string }{
		{"/workey/api/auth/token", "status=555", "http://localhost:3000"},
		{"/api/v2/login", "status=418, delay=1ms", "null"},
		{"/api/v2/customers", "auth=expired", "http://127.0.0.1:1"},
		{"/companies/me", `status="401";x=y, delay=99999999999999999999`, ""},
		{"/user/login", "delay=1h,auth=EXPIRED,,,=,status=", "http://[::1"},
	} {
		f.Add(s.path, s.prefer, s.origin)
	}
	h := newHarness(f)
	f.Fuzz(func(t *testing.T, path, prefer, origin string) {
		r, err := http.NewRequest(http.MethodPost, "http://127.0.0.1/", strings.NewReader(`{}`))
		if err != nil {
			return
		}
		r.URL.Path = "/" + strings.TrimPrefix(path, "/")
		r.Header.Set("Prefer", prefer)
		r.Header.Set("Origin", origin)
		r.Header.Set("Content-Type", "application/json")
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			r.Method = method
			if strings.HasPrefix(r.URL.Path, mockserver.AdminPrefix) {
				return
			}
			op := h.s.Route(r)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
			rec := httptest.NewRecorder()
			h.s.ServeHTTP(rec, r.Clone(ctx))
			cancel()
			refused := rec.Code == http.StatusBadRequest && rec.Header().Get("Content-Type") == "application/problem+json"
			if op != nil && rec.Code != http.StatusOK && !op.Op().Documents(rec.Code) && !refused {
				t.Fatalf("%s %s with Prefer %q: undocumented status %d (%s)", method, r.URL.Path, prefer, rec.Code, rec.Header().Get(mockserver.MessageHeader))
			}
		}
	})
}

// FuzzAdmin sends arbitrary requests to the admin API, which faces the same clients as the specs'
// operations: it never panics and never answers a 5xx; any bad request gets a 4xx with a message.
// After a reset, a good login works.
func FuzzAdmin(f *testing.F) {
	for _, s := range []struct{ method, path, body string }{
		{"POST", "clock", `{"advance":"-99999999999d"}`},
		{"POST", "clock", `{"set":"99999-01-01T00:00:00Z"}`},
		{"POST", "clock", `{"advance":"1h","set":"2026-01-01T00:00:00Z"}`},
		{"POST", "clock", `{"advance":`},
		{"POST", "accounts?spec=pixfile", `{"username":"` + strings.Repeat("u", 1000) + `","password":null}`},
		{"POST", "accounts/pixfile/../../reset/disable", ``},
		{"POST", "accounts/nosuch/x/expire-password", ``},
		{"POST", "sessions/%00/revoke?spec=pixfile", ``},
		{"GET", "journal?limit=-1", ``},
		{"GET", "journal?limit=99999999999999999999", ``},
		{"POST", "faults", `{"operation":"POST /api/v2/login","count":-5,"status":99999}`},
		{"POST", "faults", `{"operation":"nosuch","delay":"-1s","drop":true,"status":"x"}`},
		{"DELETE", "faults", `[]`},
		{"BREW", "", ``},
		{"GET", "../../api/v2/customers", ``},
	} {
		f.Add(s.method, s.path, s.body)
	}
	h := newHarness(f)
	f.Fuzz(func(t *testing.T, method, path, body string) {
		r, err := http.NewRequest(method, "http://127.0.0.1"+mockserver.AdminPrefix+path, strings.NewReader(body))
		if err != nil {
			return
		}
		r.Header.Set("Content-Type", "application/json")
		if strings.Contains(body, "delay") || strings.Contains(path, "faults") && method == http.MethodPost {
			return // a queued fault deliberately changes the next answers; tested with the faults
		}
		rec := httptest.NewRecorder()
		h.s.ServeHTTP(rec, r)
		if rec.Code >= 500 {
			t.Fatalf("%s %s%s with %q: %d %s", method, mockserver.AdminPrefix, path, body, rec.Code, rec.Body.String())
		}
		if rec.Code >= 400 && rec.Header().Get(mockserver.MessageHeader) == "" && !strings.Contains(rec.Body.String(), "message") {
			t.Errorf("%s %s%s: %d without a message", method, mockserver.AdminPrefix, path, rec.Code)
		}
		_ = h.s.Reset(context.Background()) // what the call changed on purpose (clock, accounts, sessions) goes back
		if rec := serve(h.s, h.req("POST", "/api/v2/login", `{"username":"user","password":"pass"}`)); rec.Code != 200 {
			t.Fatalf("after %s %s%s a good login gets %d", method, mockserver.AdminPrefix, path, rec.Code)
		}
	})
}
