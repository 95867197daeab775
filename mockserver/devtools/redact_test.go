package devtools

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/authconform/authconform/mockserver"
	"github.com/authconform/authconform/specs"
)

// TestJournalRedactsConfiguredSecrets: a value equal to a secret the mock was configured with (an
// account's password or API key, the admin token, a signing key), or one added through the admin
// API, or an API key the mock created, is redacted wherever it appears in the journal, whatever
// the field is called: unknown JSON members (pass, pwd, note), custom headers, the query, the
// path, the claims of a JWT it did not issue; a long one also inside a longer value. Not one
// 8-character stretch of any of them shows. Before, only names the redactor knew were redacted
// and long secrets showed their first six characters.
func TestJournalRedactsConfiguredSecrets(t *testing.T) {
	const (
		password = "Qa-Secret-Passw0rd"
		short    = "pw12"
		apiKey   = "Zq9-Key-Wv8x7Kp0Lm"
		admin    = "Adm-Tok-Rr4Ww9Yy7Hh"
		signing  = "Sig-Key-Nn3Mm2Bb1Vv5Cc6"
		added    = "Erin-Added-Passw0rd"
	)
	cfg := &mockserver.Config{
		Specs: map[string]*mockserver.SpecConfig{
			"pixfile": {SigningKey: signing, Accounts: []mockserver.AccountConfig{{"username": "qa", "password": password}, {"username": "tiny", "password": short}}},
			"efalia":  {Accounts: []mockserver.AccountConfig{{"username": "alice", "password": "alice-password", "apiKeys": []any{apiKey}}}},
		},
		Admin: mockserver.AdminConfig{Token: admin},
	}
	var list []*specs.Spec
	for _, n := range []string{"pixfile", "efalia", "precrime"} {
		list = append(list, loadSpec(t, n))
	}
	s, d, err := newMock(list, mockserver.WithClock(mockserver.NewClockAt(t0)), mockserver.WithConfig(cfg))
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, s: s, d: d}
	adminAuth := []string{"Authorization", "Bearer " + admin}
	h.expect(serve(s, h.req("POST", mockserver.AdminPrefix+"accounts?spec=pixfile", `{"username":"erin","password":"`+added+`"}`, adminAuth...)), 201)
	created := h.precrimeKey(h.precrimeToken("john.doe", "SecurePass123!"), "ci")
	forged := "eyJhbGciOiJIUzI1NiJ9." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"x","note":"`+password+`"}`)) + ".c2ln"

	reqs := []struct{ method, path, body string }{
		{"POST", "/api/v2/login", `{"username":"qa","pass":"` + password + `"}`},
		{"POST", "/api/v2/login", `{"username":"tiny","pwd":"` + short + `","note":"` + password + `","list":["` + apiKey + `"]}`},
		{"GET", "/api/v2/customers?p=" + url.QueryEscape(password) + "&q=" + short + "&r=" + url.QueryEscape(created), ""},
		{"GET", "/api/v2/" + password + "/x", ""},
		{"GET", "/workey/api/processes?sig=" + signing, ""},
	}
	headers := []string{"X-Custom", admin, "X-Trace", "user qa: " + password, "X-Sig", signing, "X-Short", short,
		"X-Other", apiKey, "X-Added", added, "X-Mine", created, "X-Jwt", forged, "X-Bearer", "Bearer " + password}
	for _, r := range reqs {
		serve(s, h.req(r.method, r.path, r.body, headers...))
	}
	rec := serve(s, h.req("GET", mockserver.AdminPrefix+"journal", "", adminAuth...))
	h.expect(rec, 200)
	raw := rec.Body.String()
	var b journalBody
	if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil || len(b.Entries) < len(reqs) {
		t.Fatalf("journal %s (%v)", raw, err)
	}
	for _, secret := range []string{password, apiKey, admin, signing, added, created} {
		for i := 0; i+8 <= len(secret); i++ {
			if strings.Contains(raw, secret[i:i+8]) {
				t.Errorf("the journal shows %q of a secret", secret[i:i+8])
				break
			}
		}
	}
	for _, e := range b.Entries {
		for k, v := range e.Request.Headers {
			if v == short || strings.Contains(v, password) {
				t.Errorf("entry %d: header %s shown as %q", e.ID, k, v)
			}
		}
		for k, vs := range e.Query {
			for _, v := range vs {
				if v == short {
					t.Errorf("entry %d: query %s shown as %q", e.ID, k, v)
				}
			}
		}
		if body, ok := e.Request.Body.(map[string]any); ok && body["pwd"] == short {
			t.Errorf("entry %d: pwd shown", e.ID)
		}
	}
	if !strings.Contains(raw, `"[redacted 18 chars]"`) || !strings.Contains(raw, `"/api/v2/[redacted 18 chars]/x"`) {
		t.Errorf("the redacted forms are missing: %s", raw)
	}
}

// TestAccountsShowNoCharacterOfASecret: GET accounts shows passwords and API keys by length only.
func TestAccountsShowNoCharacterOfASecret(t *testing.T) {
	const password, key = "Qa-Secret-Passw0rd", "Zq9-Key-Wv8x7Kp0Lm"
	s, d, err := newMock([]*specs.Spec{loadSpec(t, "efalia")}, mockserver.WithConfig(&mockserver.Config{Specs: map[string]*mockserver.SpecConfig{
		"efalia": {Accounts: []mockserver.AccountConfig{{"username": "qa", "password": password, "apiKeys": []any{key}}}}}}))
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, s: s, d: d}
	rec := serve(s, h.req("GET", mockserver.AdminPrefix+"accounts", ""))
	h.expect(rec, 200)
	for _, secret := range []string{password, key} {
		if strings.Contains(rec.Body.String(), secret[:6]) {
			t.Errorf("accounts show %q: %s", secret[:6], rec.Body.String())
		}
	}
	if !strings.Contains(rec.Body.String(), `"password":"[redacted 18 chars]"`) || !strings.Contains(rec.Body.String(), `"apiKeys":["[redacted 18 chars]"]`) {
		t.Errorf("accounts %s", rec.Body.String())
	}
}
