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
