package mockserver

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// TestJSONBodyRefusals: a JSON request body is validated by kin-openapi (decoded once, the flow
// reads that value), and what kin-openapi's decoder lets through, data after the JSON value, is
// refused as a body that does not parse. Each refusal names what was wrong and is the
// operation's invalidRequest status.
func TestJSONBodyRefusals(t *testing.T) {
	h := newHarness(t, "pixfile")
	tests := []struct {
		name, contentType, body string
		status                  int
		message                 string // the start of X-Authconform-Message; "" for a success
	}{
		{"good", "application/json", `{"username":"user","password":"pass"}`, 200, ""},
		{"charset", "application/json; charset=utf-8", `{"username":"user","password":"pass"}`, 200, ""},
		{"white space after", "application/json", `{"username":"user","password":"pass"}  `, 200, ""},
		{"data after the value", "application/json", `{"username":"user","password":"pass"} trailing`, 400, "body: not valid JSON"},
		{"a second value", "application/json", `{"username":"user","password":"pass"}{}`, 400, "body: not valid JSON"},
		{"a second value and a schema error", "application/json", `{"username":12}{}`, 400, "body: not valid JSON"},
		{"cut short", "application/json", `{"username":"u",`, 400, "body: not valid JSON"},
		{"empty", "application/json", ``, 400, "body: a JSON body is required"},
		{"wrong types", "application/json", `{"username":12,"password":true}`, 400, "body /password: "},
		{"not an object", "application/json", `[]`, 400, "body /: "},
		{"text/plain", "text/plain", `{"username":"user","password":"pass"}`, 400, `header Content-Type: expected application/json, got "text/plain"`},
		{"no content type", "", `{"username":"user","password":"pass"}`, 400, `header Content-Type: expected application/json, got ""`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/api/v2/login", strings.NewReader(tc.body))
			if tc.contentType != "" {
				r.Header.Set("Content-Type", tc.contentType)
			}
			rec := httptest.NewRecorder()
			h.s.ServeHTTP(rec, r)
			msg := rec.Header().Get(MessageHeader)
			if rec.Code != tc.status || !strings.HasPrefix(msg, tc.message) || tc.message == "" && msg != "" {
				t.Errorf("%d %q; want %d %q", rec.Code, msg, tc.status, tc.message)
			}
		})
	}
}
