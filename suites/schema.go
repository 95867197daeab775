package suites

import (
	"context"

	. "github.com/onsi/ginkgo/v2"

	"github.com/authconform/authconform/specs"
)

// schemaChecks validate a success response of the group's operation against the spec with
// kin-openapi: documented status, declared headers, body schema. Refusals are validated by the
// check that provokes them (expectRefused).
func schemaChecks(g *group) {
	r := g.r
	g.it("GEN-03", func(ctx SpecContext) {
		op := g.op
		var resp *response
		switch op.Flow.Kind {
		case specs.KindLogin:
			rq, err := r.loginRequest(op, r.account(roleValid))
			if err != nil {
				needInputf("%v", err)
			}
			resp = r.send(ctx, rq)
		case specs.KindRefresh:
			s := r.loginWithRefresh(ctx, roleValid)
			resp = r.refresh(ctx, op, s.refresh)
		case specs.KindAPIKeyList, specs.KindResource:
			s := r.mustLogin(ctx, roleValid)
			resp = r.authedCall(ctx, op, s)
		default:
			skipf("no success of a %s operation is provoked by this check", op.Flow.Kind)
		}
		expectConforms(ctx, r, resp, req("GEN-03").Rule)
	})
}

// authedCall calls op with the session's access token, skipping when op cannot take one.
func (r *run) authedCall(ctx context.Context, op *specs.Operation, s *session) *response {
	cr := s.bearer()
	if _, _, why := r.authFor(op, *cr); why != "" {
		skipf("%s cannot be called with an access token: %s", op.Key(), why)
	}
	return r.mustCall(ctx, op, cr, nil)
}

// expectConforms asserts the documented success status and a response valid against the spec.
func expectConforms(ctx context.Context, r *run, resp *response, rule string) {
	r.expectAccepted(resp, rule)
	if err := r.c.conform(ctx, resp); err != nil {
		failf("the response does not match the spec: %v: got %s\nrule: %s\nresponse: %s", err, r.c.summary(resp), rule, r.c.describe(resp))
	}
}
