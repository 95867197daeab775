package suites

import (
	"strings"
	"testing"
)

// TestRedactEncodedForms guards the leak of a password that a target echoes back escaped: from a
// legacy login's query string (URL-encoded) or inside a JSON string (escaped).
func TestRedactEncodedForms(t *testing.T) {
	const secret = `Pa+ss/w"rd<&>=`
	r := &redactor{}
	r.add(secret)
	for _, in := range []string{
		"password=Pa%2Bss%2Fw%22rd%3C%26%3E%3D&username=u", // url.QueryEscape
		"/login/Pa+ss%2Fw%22rd%3C&%3E=",                    // url.PathEscape
		`{"echo":"Pa+ss/w\"rd\u003c\u0026\u003e="}`,        // encoding/json
		`{"echo":"Pa+ss/w\"rd<&>="}`,                       // a JSON encoder that leaves <, > and & alone
		"raw " + secret,
	} {
		got := r.redact(in)
		if !strings.Contains(got, "[redacted") || strings.Contains(got, "Pa+ss") || strings.Contains(got, "Pa%2Bss") {
			t.Errorf("redact(%q) = %q: the secret is still readable", in, got)
		}
	}
}
