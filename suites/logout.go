package suites

import (
	. "github.com/onsi/ginkgo/v2"

	"github.com/authconform/authconform/specs"
)

// logoutChecks are the checks of one logout operation.
func logoutChecks(g *group) {
	r := g.r

	logout := func(ctx SpecContext, s *session, rule string) {
		resp := r.authedCall(ctx, g.op, s)
		expectConforms(ctx, r, resp, rule)
	}

	g.it("OUT-01", func(ctx SpecContext) {
		s := r.mustLogin(ctx, roleValid)
		logout(ctx, s, req("OUT-01").Rule)
	})

	g.it("OUT-02", func(ctx SpecContext) {
		rule := req("OUT-02").Rule
		p := r.needProbe()
		s := r.mustLogin(ctx, roleValid)
		r.expectAccepted(r.authedCall(ctx, p, s), rule+" (before logout, on "+p.Key()+")")
		logout(ctx, s, rule+" (the logout itself)")
		r.expectRefused(ctx, r.authedCall(ctx, p, s), specs.FailInvalidCredential, rule+" (after logout, on "+p.Key()+")")
	})

	g.it("OUT-03", func(ctx SpecContext) {
		rule := req("OUT-03").Rule
		refreshOps := r.spec.OperationsOf(specs.KindRefresh)
		if len(refreshOps) == 0 {
			skipf("the spec documents no refresh flow")
		}
		s := r.loginWithRefresh(ctx, roleValid)
		logout(ctx, s, rule+" (the logout itself)")
		r.expectRefused(ctx, r.refresh(ctx, refreshOps[0], s.refresh), specs.FailInvalidCredential, rule+" (refresh after logout)")
	})

	g.it("OUT-05", func(ctx SpecContext) {
		resp := r.mustCall(ctx, g.op, nil, nil)
		r.expectRefused(ctx, resp, specs.FailMissingCredential, req("OUT-05").Rule)
	})
}
