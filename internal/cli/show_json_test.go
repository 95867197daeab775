package cli

import (
	"encoding/json"
	"testing"
)

// specs show --output json carries what the text shows: additions marked with their reason, the
// demo accounts with their fields, the readings and which one is followed.
func TestShowJSON(t *testing.T) {
	code, stdout, stderr := runCLI(t, "specs", "show", "pixfile", "--output", "json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var v specView
	if err := json.Unmarshal([]byte(stdout), &v); err != nil {
		t.Fatal(err)
	}
	if v.Name != "pixfile" || v.Tokens.Access.Seconds != 86400 || v.Tokens.Refresh != nil {
		t.Errorf("name %q, tokens %+v", v.Name, v.Tokens)
	}
	added := map[string]bool{}
	for _, op := range v.Operations {
		if op.Added != "" {
			added[op.Method+" "+op.Path] = true
		}
	}
	if !added["GET /api/v2/customers"] {
		t.Errorf("the added operation is not marked: %v", added)
	}
	if len(v.Additions) == 0 || len(v.Accounts) == 0 || len(v.Schemes) == 0 {
		t.Errorf("additions %d, accounts %d, schemes %d", len(v.Additions), len(v.Accounts), len(v.Schemes))
	}
	for _, a := range v.Accounts {
		if a.Fields["username"] == "" {
			t.Errorf("account %s has no username", a.ID)
		}
	}

	code, stdout, _ = runCLI(t, "specs", "show", "precrime", "-o", "json")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	var p specView
	if err := json.Unmarshal([]byte(stdout), &p); err != nil {
		t.Fatal(err)
	}
	followed := 0
	for _, d := range p.Decisions {
		for i, r := range d.Readings {
			if r.Followed {
				followed++
				if i != 0 {
					t.Errorf("%s follows %s, not its first reading", d.ID, r.Choice)
				}
			}
		}
	}
	if followed == 0 {
		t.Error("no reading is marked followed")
	}
}
