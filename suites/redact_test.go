package suites

import (
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	r := &redactor{}
	r.add("pass", "Sup3r-Secret-Value", "ab")
	r.addBasic("user", "pass")
	tests := []struct {
		name, in, want string
		gone           []string
	}{
		{"short secret alone", `{"password":"pass"}`, `{"password":"[redacted 4 chars]"}`, nil},
		{"short secret inside a word stays", "the password field", "the password field", nil},
		{"long secret anywhere", "xSup3r-Secret-Valuex", "x[redacted 18 chars]x", []string{"Sup3r-Secret-Value"}},
		{"basic encoding", "Authorization: Basic dXNlcjpwYXNz", "Authorization: Basic [redacted 12 chars]", []string{"dXNlcjpwYXNz"}},
		{"too short to redact", "ab", "ab", nil},
		{"unknown JWT masked", "token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln end", "token [redacted 41 chars] end", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := r.redact(tt.in)
			if got != tt.want {
				t.Errorf("redact(%q) = %q, want %q", tt.in, got, tt.want)
			}
			for _, g := range tt.gone {
				if strings.Contains(got, g) {
					t.Errorf("%q still in %q", g, got)
				}
			}
		})
	}
}
