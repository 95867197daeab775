package mockserver

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
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
			if strings.HasPrefix(r.URL.Path, AdminPrefix) {
				return
			}
			op, _, _, _ := h.s.find(r)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
			rec := httptest.NewRecorder()
			h.s.ServeHTTP(rec, r.Clone(ctx))
			cancel()
			refused := rec.Code == http.StatusBadRequest && rec.Header().Get("Content-Type") == "application/problem+json"
			if op != nil && rec.Code != http.StatusOK && !op.op.Documents(rec.Code) && !refused {
				t.Fatalf("%s %s with Prefer %q: undocumented status %d (%s)", method, r.URL.Path, prefer, rec.Code, rec.Header().Get(MessageHeader))
			}
		}
	})
}

// FuzzJournalRedact: any body and header value is redacted without a panic, a JWT never shows
// whole, and a value equal to a configured secret shows as its length only, under any name, as
// a header or as a JSON member.
func FuzzJournalRedact(f *testing.F) {
	jwt := "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
	for _, s := range []string{`{"password":"p","nested":{"token":"` + jwt + `"}}`, `[1,"` + jwt + `"]`, `"x"`, `{`, `null`, "a=b&password=c"} {
		f.Add([]byte(s), "Bearer "+jwt)
	}
	f.Fuzz(func(t *testing.T, body []byte, value string) {
		red := &redactor{names: map[string]bool{"x-auth-token": true}}
		_ = red.body("body", body)
		if got := red.value("header", "Authorization", value); len(value) >= 16 && got == value {
			t.Fatalf("Authorization %q shown whole", value)
		}
		_ = red.value("header", "X-Other", value)
		_, _, _ = decodeJWT(value)
		if value == "" {
			return
		}
		red.secrets = red.secrets.with([]string{value})
		if got := red.value("header", "X-Other", value); got != redact(value) {
			t.Fatalf("a configured secret %q shown as %q", value, got)
		}
		doc, err := json.Marshal(map[string]any{"innocent": value, "list": []string{value}})
		if err != nil || !utf8.ValidString(value) {
			return // json.Marshal replaces invalid UTF-8: the body no longer holds the value
		}
		out, _ := red.body("body", doc).(map[string]any)
		if list, _ := out["list"].([]any); out["innocent"] != redact(value) || len(list) != 1 || list[0] != redact(value) {
			t.Fatalf("a configured secret %q in a body shown as %v", value, out)
		}
	})
}
