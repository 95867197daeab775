package defects

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/authconform/authconform/mockserver"
	"github.com/authconform/authconform/specs"
)

func loadAll(t *testing.T) []*specs.Spec {
	t.Helper()
	var out []*specs.Spec
	for _, n := range specs.Names() {
		sp, err := specs.Load(n)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, sp)
	}
	return out
}

func TestMutationOptionsRefuse(t *testing.T) {
	all := loadAll(t)
	var noLogout []*specs.Spec
	for _, sp := range all {
		if len(sp.OperationsOf(specs.KindLogout)) == 0 {
			noLogout = append(noLogout, sp)
		}
	}
	tests := []struct {
		name string
		list []*specs.Spec
		set  *Set
		want string
	}{
		{"unknown defect", all, Choose([]string{"no-such-defect"}, nil), `unknown defect "no-such-defect"; the defects are: login-refusal-200`},
		{"variant given as defect", all, Choose([]string{"chunked"}, nil), `unknown defect "chunked"`},
		{"defect given as variant", all, Choose(nil, []string{"logout-not-revoking"}), `unknown variant "logout-not-revoking"; the variants are: extra-fields`},
		{"defect without its feature", noLogout, Choose([]string{"logout-not-revoking"}, nil), "needs a logout flow, which none of the served specs"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := mockserver.New(tc.list, mockserver.WithExtension(tc.set))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New: %v; want an error containing %q", err, tc.want)
			}
		})
	}
}

// snapshot renders what the mutations may change of a spec's operations.
func snapshot(sp *specs.Spec) string {
	var b strings.Builder
	for _, op := range sp.Operations {
		fmt.Fprintf(&b, "%s %d %v %v %+v|", op.ID, op.Flow.Status, op.Flow.Rotate, op.Flow.Failures, op.Flow.Tokens)
		for _, alt := range op.Security {
			for _, s := range alt {
				fmt.Fprintf(&b, "%s %v %s;", s.Name, s.Accepts, s.Binds)
			}
		}
	}
	return b.String()
}

// TestMutationsLeaveTheSpecAlone installs every defect and variant at once and checks the specs
// (which other servers may share) are unchanged, and that the mock still answers.
func TestMutationsLeaveTheSpecAlone(t *testing.T) {
	for _, sp := range loadAll(t) {
		t.Run(sp.Name, func(t *testing.T) {
			before := snapshot(sp)
			var defects, variants []string
			for _, m := range Defects() {
				if m.AppliesTo(sp) {
					defects = append(defects, m.Name)
				}
			}
			for _, m := range Variants() {
				if m.AppliesTo(sp) {
					variants = append(variants, m.Name)
				}
			}
			set := Choose([]string{strings.Join(defects, ",")}, variants)
			s, err := mockserver.New([]*specs.Spec{sp}, mockserver.WithExtension(set))
			if err != nil {
				t.Fatal(err)
			}
			if got := len(set.Active()); got != len(defects)+len(variants) {
				t.Errorf("%d mutations active, want %d", got, len(defects)+len(variants))
			}
			if after := snapshot(sp); after != before {
				t.Errorf("the spec changed:\nbefore %s\nafter  %s", before, after)
			}
			ts := httptest.NewUnstartedServer(s)
			ts.Listener = set.Listener(ts.Listener)
			ts.Start()
			defer ts.Close()
			resp, err := http.Get(ts.URL + sp.BasePath + "/no-such-path")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusNotFound {
				t.Errorf("unknown path: %d", resp.StatusCode)
			}
		})
	}
}

func TestSnakeName(t *testing.T) {
	for in, want := range map[string]string{"accessToken": "access_token", "X-Auth-Token": "x_auth_token", "Token": "token", "token": "access_token"} {
		if got := snakeName(in); got != want {
			t.Errorf("snakeName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBreakSignatureChangesTheFirstSignatureByte(t *testing.T) {
	for _, tok := range []string{"a.b.Axyz", "a.b.Qxyz", "opaque"} {
		if got := breakSignature(tok); got == tok || len(got) < len(tok) {
			t.Errorf("breakSignature(%q) = %q", tok, got)
		}
	}
}

// TestListenerOnlyWhenNeeded: a Set without a defect below HTTP leaves the listener alone, and one
// with it refuses, loudly, a request that did not come through its Listener.
func TestListenerOnlyWhenNeeded(t *testing.T) {
	sp, err := specs.Load("pixfile")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	plain := Choose([]string{"login-status-201"}, nil)
	if _, err := mockserver.New([]*specs.Spec{sp}, mockserver.WithExtension(plain)); err != nil {
		t.Fatal(err)
	}
	if plain.Listener(ln) != ln {
		t.Error("Listener changed the listener of a set without a defect below HTTP")
	}

	blind := Choose([]string{"header-names-case-sensitive"}, nil)
	mock, err := mockserver.New([]*specs.Spec{sp}, mockserver.WithExtension(blind))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		wrapped bool
		want    int
	}{
		{"listener not wrapped", false, http.StatusInternalServerError},
		{"listener wrapped", true, http.StatusNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts := httptest.NewUnstartedServer(mock)
			if tc.wrapped {
				ts.Listener = blind.Listener(ts.Listener)
			}
			ts.Start()
			defer ts.Close()
			resp, err := http.Get(ts.URL + sp.BasePath + "/no-such-path")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.want)
			}
		})
	}
}
