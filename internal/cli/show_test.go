package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/authconform/authconform/specs"
)

// specs show marks every addition: operations, schemes and statuses in their tables, and each
// addition with its reason in ADDITIONS.
func TestShowMarksAdditions(t *testing.T) {
	s, err := specs.Load("pixfile")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	showSpec(&b, s)
	out := b.String()
	for _, want := range []string{
		"GET /api/v2/customers (added)",
		"XAuthToken (added)",
		"200 400* 401 403 404",
		"\nADDITIONS ",
		"  operation paths./api/v2/customers.get\n",
		"  schema    components.schemas.ErrorMessage\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("specs show pixfile lacks %q:\n%s", want, out)
		}
	}
	for _, a := range s.Additions {
		if !strings.Contains(out, a.Where+"\n            "+a.Why+"\n") {
			t.Errorf("ADDITIONS lacks %s with its reason", a.Where)
		}
	}
}

// specs show prints the vocabulary a team's own spec uses: opaque tokens, fixed values, client
// authentication, family revocation, bound values, declared states and clients.
func TestShowVocabulary(t *testing.T) {
	for file, wants := range map[string][]string{
		"examples/specs/oauth2.yaml": {"(opaque: a random string the server remembers)", "body /grant_type=password",
			"body /grant_type=refresh_token", "client<-body /client_id,body /client_secret or Basic", "reuse revokes the family",
			"\nCLIENTS ", "  web-app: confidential", "GET /jwks      jwks"},
		"examples/specs/signin.yaml": {"body /tenant=account's tenant", "\nACCOUNT STATES ", "  locked: login refused as accountLocked"},
	} {
		s, err := specs.Load(file)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		showSpec(&b, s)
		for _, want := range wants {
			if !strings.Contains(b.String(), want) {
				t.Errorf("specs show %s lacks %q:\n%s", file, want, b.String())
			}
		}
	}
}

// specs show --output json carries the same vocabulary.
func TestShowJSONVocabulary(t *testing.T) {
	s, err := specs.Load("examples/specs/oauth2.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := showSpecJSON(&b, s); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"format": "opaque"`, `"onReuse": "revokeFamily"`, `"value": "refresh_token"`, `"failure": "unsupportedGrant"`, `"basic": true`, `"clients": [`} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("specs show -o json lacks %s:\n%s", want, b.String())
		}
	}
	if strings.Contains(b.String(), "web-app-secret") {
		t.Error("the JSON shows the client's secret")
	}
}
