package mockserver

import (
	"net/http"
	"reflect"
	"testing"

	"github.com/authconform/authconform/specs"
)

// TestShippedMockHasNoHooks guards the rule that the correct path is the one that ships: without
// extensions, requests go straight to serve, and the flows call the spec's own issuer.
func TestShippedMockHasNoHooks(t *testing.T) {
	var list []*specs.Spec
	for _, n := range specs.Names() {
		sp, err := specs.Load(n)
		if err != nil {
			t.Fatal(err)
		}
		list = append(list, sp)
	}
	s, err := New(list)
	if err != nil {
		t.Fatal(err)
	}
	if hf, ok := s.handler.(http.HandlerFunc); !ok || reflect.ValueOf(hf).Pointer() != reflect.ValueOf(http.HandlerFunc(s.serve)).Pointer() {
		t.Errorf("a mock without extensions serves through %T", s.handler)
	}
	for _, m := range s.mounts {
		if m.tok != TokenIssuer(m.iss) {
			t.Errorf("%s: the issuer is decorated: %T", m.spec.Name, m.tok)
		}
	}
	if _, ok := s.store.(interface{ Len() int }); !ok {
		t.Errorf("the store is decorated: %T", s.store)
	}
	if s.tools.admin != nil || s.tools.before != nil || s.tools.provoke != nil || s.tools.observe != nil || s.tools.capture {
		t.Errorf("tools are attached: %+v", s.tools)
	}
}
