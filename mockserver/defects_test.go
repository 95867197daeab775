package mockserver

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

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

// TestShippedMockHasNoMutationHooks guards the rule that the correct path is the one that ships:
// without WithDefects or WithVariants nothing is wrapped.
func TestShippedMockHasNoMutationHooks(t *testing.T) {
	s, err := New(loadAll(t))
	if err != nil {
		t.Fatal(err)
	}
	if s.mut != nil || s.Mutations() != nil {
		t.Error("a mock without mutations has a mutator")
	}
	for _, m := range s.mounts {
		if r, ok := m.tok.(*sessionRecorder); !ok || r.TokenIssuer != TokenIssuer(m.iss) {
			t.Errorf("%s: the issuer is decorated by more than the session registry: %T", m.spec.Name, m.tok)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if s.WrapListener(ln) != ln {
		t.Error("WrapListener changed the listener of a mock without mutations")
	}
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
		opt  Option
		want string
	}{
		{"unknown defect", all, WithDefects("no-such-defect"), `unknown defect "no-such-defect"; the defects are: login-refusal-200`},
		{"variant given as defect", all, WithDefects("chunked"), `unknown defect "chunked"`},
		{"defect given as variant", all, WithVariants("logout-not-revoking"), `unknown variant "logout-not-revoking"; the variants are: extra-fields`},
		{"defect without its feature", noLogout, WithDefects("logout-not-revoking"), "needs a logout flow, which none of the served specs"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.list, tc.opt)
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
			s, err := New([]*specs.Spec{sp}, WithDefects(strings.Join(defects, ",")), WithVariants(variants...))
			if err != nil {
				t.Fatal(err)
			}
			if got := len(s.Mutations()); got != len(defects)+len(variants) {
				t.Errorf("%d mutations active, want %d", got, len(defects)+len(variants))
			}
			if after := snapshot(sp); after != before {
				t.Errorf("the spec changed:\nbefore %s\nafter  %s", before, after)
			}
			ts := httptest.NewServer(s)
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
