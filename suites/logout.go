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
		ptr := g.op.Flow.Pointer + "/endsRefresh"
		d, declared := r.decisionAt(ptr)
		if !g.op.Flow.EndsRefresh && d == nil {
			skipf("the spec says logout leaves the refresh token valid (endsRefresh: false)")
		}
		s := r.loginWithRefresh(ctx, roleValid)
		logout(ctx, s, rule+" (the logout itself)")
		after := r.refresh(ctx, refreshOps[0], s.refresh)
		if d != nil && !declared {
			ends := after.status != refreshOps[0].Flow.Status
			if ends == g.op.Flow.EndsRefresh {
				r.observe(ptr, true, nil)
			} else if c := r.observe(ptr, false, ends); c != "" {
				r.notUnderReading(d, c, "a refresh after logout answered "+r.c.summary(after))
			}
		}
		if g.op.Flow.EndsRefresh {
			r.expectRefused(ctx, after, specs.FailInvalidCredential, rule+" (refresh after logout)")
		} else {
			r.expectAccepted(after, rule+" (refresh after logout: the declared reading "+d.ID+" leaves the refresh token valid)")
		}
	})

	g.it("OUT-05", func(ctx SpecContext) {
		resp := r.mustCall(ctx, g.op, nil, nil)
		r.expectRefused(ctx, resp, specs.FailMissingCredential, req("OUT-05").Rule)
	})
}
