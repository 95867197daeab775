package mockserver

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzServe sends arbitrary requests to the mock of every bundled spec: it must never panic, and
// a request that reaches an operation must get one of the operation's documented statuses.
func FuzzServe(f *testing.F) {
	seeds := []struct{ method, path, body, header, value string }{
		{"POST", "/workey/api/auth/token", `{"username":"alice","password":"alice-password"}`, "", ""},
		{"POST", "/workey/api/auth/logout", ``, "Authorization", "Basic !!!"},
		{"POST", "/workey/api/auth/logout", ``, "X-API-KEY-IMPERSONATE", "bob"},
		{"GET", "/api/v1/login?username=user&password=pass", ``, "", ""},
		{"POST", "/api/v2/login", `{"username":["x"],"password":{}}`, "", ""},
		{"GET", "/companies/me", ``, "Authorization", "Bearer eyJhbGciOiJub25lIn0.e30."},
		{"POST", "/authheader/delete", `{"text":null}`, "Authorization", "Bearer"},
		{"POST", "/auth/refresh/", `{"refresh":"a.b.c"}`, "", ""},
		{"GET", "/__authconform/clock", ``, "", ""},
		{"POST", "/__authconform/clock", `{"advance":"-99999999d"}`, "", ""},
	}
	for _, s := range seeds {
		f.Add(s.method, s.path, s.body, s.header, s.value)
	}
	h := newHarness(f)
	f.Fuzz(func(t *testing.T, method, path, body, header, value string) {
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		r, err := http.NewRequest(method, "http://127.0.0.1"+path, strings.NewReader(body))
		if err != nil {
			return // not a request net/http would ever hand a handler
		}
		r.Header.Set("Content-Type", "application/json")
		if strings.EqualFold(strings.TrimSpace(header), "Prefer") {
			return // provoked outcomes (delays up to 25 s) have their own target, FuzzPrefer
		}
		if header != "" {
			r.Header.Set(header, value)
		}
		if strings.HasPrefix(r.URL.Path, AdminPrefix) {
			return // the admin API moves the clock; it is tested on its own
		}
		op, _, _, _ := h.s.find(r)
		rec := httptest.NewRecorder()
		h.s.ServeHTTP(rec, r)
		if op == nil {
			if rec.Code != http.StatusNotFound && rec.Code != http.StatusMethodNotAllowed {
				t.Fatalf("%s %s outside any operation: %d", method, path, rec.Code)
			}
			return
		}
		if rec.Code != http.StatusRequestEntityTooLarge && !op.op.Documents(rec.Code) {
			t.Fatalf("%s %s: undocumented status %d (%s)", method, path, rec.Code, rec.Header().Get(MessageHeader))
		}
	})
}
