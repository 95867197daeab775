package journal

import (
	"encoding/json"
	"testing"
	"unicode/utf8"

	"github.com/authconform/authconform/mockserver"
)

func TestDecodeJWT(t *testing.T) {
	cases := []struct {
		name string
		in   string
		ok   bool
	}{
		{name: "a JWT", in: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", ok: true},
		{name: "two parts", in: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0", ok: false},
		{name: "header without alg", in: "eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiJ4In0.c2ln", ok: false},
		{name: "not base64", in: "a.b.c", ok: false},
		{name: "an email", in: "john.doe@example.com", ok: false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, ok := decodeJWT(tc.in); ok != tc.ok {
				t.Errorf("decodeJWT(%q) ok = %v, want %v", tc.in, ok, tc.ok)
			}
		})
	}
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
		if got := red.value("header", "X-Other", value); got != mockserver.Redact(value) {
			t.Fatalf("a configured secret %q shown as %q", value, got)
		}
		doc, err := json.Marshal(map[string]any{"innocent": value, "list": []string{value}})
		if err != nil || !utf8.ValidString(value) {
			return // json.Marshal replaces invalid UTF-8: the body no longer holds the value
		}
		out, _ := red.body("body", doc).(map[string]any)
		if list, _ := out["list"].([]any); out["innocent"] != mockserver.Redact(value) || len(list) != 1 || list[0] != mockserver.Redact(value) {
			t.Fatalf("a configured secret %q in a body shown as %v", value, out)
		}
	})
}
