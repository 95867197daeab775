package mockserver

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/authconform/authconform/mockserver/example"
	"github.com/authconform/authconform/specs"
)

// TestEveryOperationRefuses walks every operation of every bundled spec from the spec model alone:
// a protected operation without a credential answers its missingCredential status, with a garbage
// credential its invalidCredential status (with an otherwise valid request, built from the
// schema), and an operation with a JSON body answers a body that is not JSON with its
// invalidRequest status. Every response is checked against the spec, so a
// new spec's operations are covered without a new test.
func TestEveryOperationRefuses(t *testing.T) {
	h := newHarness(t)
	for _, sp := range h.s.Specs() {
		for _, op := range sp.Operations {
			path := sp.BasePath + op.Path
			// A request that passes validation: required query parameters and a body built from
			// the schema, so only the credential is wrong.
			q := url.Values{}
			for _, p := range op.Op.Parameters {
				if p.Value != nil && p.Value.In == "query" && p.Value.Required {
					q.Set(p.Value.Name, "x")
				}
			}
			valid := ""
			if rb := op.Op.RequestBody; rb != nil && rb.Value != nil {
				if mt := rb.Value.Content.Get("application/json"); mt != nil {
					b, _ := json.Marshal(example.FromSchema(mt.Schema, t0))
					valid = string(b)
				}
			}
			if len(q) > 0 {
				path += "?" + q.Encode()
			}
			if op.Protected() {
				want, _ := op.Flow.Failure(specs.FailMissingCredential)
				t.Run(sp.Name+" "+op.ID+" without credential", func(t *testing.T) {
					h.expect(h.do(h.req(op.Method, path, valid)), want)
				})
				want, _ = op.Flow.Failure(specs.FailInvalidCredential)
				for i, alt := range op.Security {
					r := h.req(op.Method, path, valid)
					for _, sc := range alt {
						v := "garbage"
						switch {
						case sc.IsBasic():
							v = "Basic Z2FyYmFnZTpnYXJiYWdl"
						case sc.IsBearer():
							v = "Bearer garbage"
						case sc.Binds != "" || sc.Impersonates != "":
							continue
						}
						r.Header.Set(sc.Header, v)
					}
					t.Run(sp.Name+" "+op.ID+" with a garbage credential, alternative "+string(rune('0'+i)), func(t *testing.T) {
						h.expect(h.do(r), want)
					})
				}
			}
			if rb := op.Op.RequestBody; rb != nil && rb.Value != nil && rb.Value.Content.Get("application/json") != nil {
				if want, ok := op.Flow.Failure(specs.FailInvalidRequest); ok {
					t.Run(sp.Name+" "+op.ID+" with a body that is not JSON", func(t *testing.T) {
						r := h.req(op.Method, path, "{not json")
						rec := h.do(r)
						h.expect(rec, want)
						wantMessage("body")(t, h, rec)
					})
				}
			}
		}
	}
}

// TestProbeAnswers: every spec's probe operation answers 200 to a fresh login's token, the way
// the suites will probe a target.
func TestProbeAnswers(t *testing.T) {
	h := newHarness(t)
	cases := []struct {
		name string
		kv   func() []string
	}{
		{name: "efalia", kv: func() []string {
			a, _ := h.efaliaTokens("alice", "alice-password")
			return []string{"Authorization", "Bearer " + a}
		}},
		{name: "pixfile", kv: func() []string { return []string{"X-Auth-Token", h.pixfileToken("user", "pass")} }},
		{name: "elyssa", kv: func() []string {
			a, _ := h.elyssaTokens(company1)
			return []string{"Authorization", "Bearer " + a, "x-company-id", company1}
		}},
		{name: "precrime", kv: func() []string { return []string{"Authorization", "Bearer " + h.precrimeToken(john, johnPass)} }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sp := loadSpec(t, tc.name)
			op, ok := sp.Operation(sp.Probe)
			if !ok {
				t.Fatalf("no probe operation %q", sp.Probe)
			}
			rec := h.do(h.req(op.Method, sp.BasePath+op.Path, "", tc.kv()...))
			h.expect(rec, http.StatusOK)
		})
	}
}
