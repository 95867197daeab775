package suites

import (
	"context"
	"fmt"
	"slices"

	. "github.com/onsi/ginkgo/v2"

	"github.com/authconform/authconform/specs"
)

// refreshRequest builds a refresh of op presenting token where the flow reads it, with the
// flow's fixed values and client credentials, in the operation's media type.
func (r *run) refreshRequest(op *specs.Operation, token string) *request {
	rq := &request{op: op}
	loc := op.Flow.RefreshToken
	if loc == nil {
		return rq
	}
	body := map[string]any{}
	rq.put(*loc, token, body)
	if err := r.contract(op, rq, body); err != nil {
		needInputf("%v", err)
	}
	rq.encode(body)
	return rq
}

// refresh sends a refresh with token.
func (r *run) refresh(ctx context.Context, op *specs.Operation, token string) *response {
	resp := r.send(ctx, r.refreshRequest(op, token))
	return resp
}

// loginWithRefresh logs the valid account in and fails when no refresh token came back.
func (r *run) loginWithRefresh(ctx context.Context, role string) *session {
	s := r.mustLogin(ctx, role)
	if s.refresh == "" {
		failf("the login %s issued no refresh token (the spec puts it in the %s), so the refresh flow cannot be used",
			r.primaryLogin().Key(), r.tokenPlaces(r.primaryLogin(), specs.TokenRefresh))
	}
	return s
}

// refreshChecks are the checks of one refresh operation.
func refreshChecks(g *group) {
	r := g.r
	if g.op != nil {
		schemaChecks(g)
		contractChecks(g)
	}

	g.it("REF-01", func(ctx SpecContext) {
		rule := req("REF-01").Rule
		s := r.loginWithRefresh(ctx, roleValid)
		resp := r.refresh(ctx, g.op, s.refresh)
		r.expectAccepted(resp, rule)
		access := first(r.tokens(g.op, resp)[specs.TokenAccess])
		if access == "" {
			failf("no new access token in the %s: got %s\nrule: %s\nresponse: %s", r.tokenPlaces(g.op, specs.TokenAccess), r.c.summary(resp), rule, r.c.describe(resp))
		}
		if p := r.probeOp(); p != nil {
			ns := &session{access: access, acct: s.acct}
			pr := r.authedCall(ctx, p, ns)
			r.expectAccepted(pr, rule+" (the new access token, on "+p.Key()+")")
		}
	})

	g.it("REF-02", func(ctx SpecContext) {
		resp := r.refresh(ctx, g.op, "authconform-garbage-refresh-token")
		r.expectRefused(ctx, resp, specs.FailInvalidCredential, req("REF-02").Rule)
	})

	g.it("LIF-10", func(ctx SpecContext) {
		s := r.loginWithRefresh(ctx, roleValid)
		resp := r.refresh(ctx, g.op, s.refresh)
		r.expectAccepted(resp, req("LIF-10").Rule)
		expectNoStore(resp, req("LIF-10").Rule, r)
	})

	g.it("LIF-12", func(ctx SpecContext) {
		ptr := g.op.Flow.Pointer + "/rotate"
		d, declared := r.decisionAt(ptr)
		if !g.op.Flow.Rotate && d == nil {
			skipf("the spec does not declare rotation for %s: the refresh token stays valid after use", g.op.Key())
		}
		rule := req("LIF-12").Rule
		s := r.loginWithRefresh(ctx, roleValid)
		r.expectAccepted(r.refresh(ctx, g.op, s.refresh), rule+" (first use)")
		again := r.refresh(ctx, g.op, s.refresh)
		if d != nil && !declared {
			// Which reading the target follows shows in the answer; both conform.
			rotates := again.status != g.op.Flow.Status
			if rotates == g.op.Flow.Rotate {
				r.observe(ptr, true, nil)
			} else if c := r.observe(ptr, false, rotates); c != "" {
				r.notUnderReading(d, c, fmt.Sprintf("the second use of a refresh token answered %s", r.c.summary(again)))
			}
		}
		if g.op.Flow.Rotate {
			r.expectRefused(ctx, again, specs.FailInvalidCredential, rule+" (second use)")
		} else {
			r.expectAccepted(again, rule+" (second use: the declared reading "+d.ID+" keeps a used refresh token valid)")
		}
	})

	g.it("REF-04", func(ctx SpecContext) {
		rule := req("REF-04").Rule
		if g.op.Flow.OnReuse != specs.ReuseRevokeFamily {
			skipf("the spec does not say a reused refresh token ends its family (onReuse: revokeFamily) for %s", g.op.Key())
		}
		s := r.loginWithRefresh(ctx, roleValid)
		resp := r.refresh(ctx, g.op, s.refresh)
		r.expectAccepted(resp, rule+" (the first refresh)")
		next := first(r.tokens(g.op, resp)[specs.TokenRefresh])
		if next == "" {
			failf("%s", r.mismatch(resp, "a new refresh token in the "+r.tokenPlaces(g.op, specs.TokenRefresh), rule))
		}
		r.expectRefused(ctx, r.refresh(ctx, g.op, s.refresh), specs.FailInvalidCredential, rule+" (the used refresh token, again)")
		r.expectRefused(ctx, r.refresh(ctx, g.op, next), specs.FailInvalidCredential, rule+" (the newest refresh token of the family, after the reuse)")
	})

	g.it("REF-03", func(ctx SpecContext) {
		rule := req("REF-03").Rule
		if !slices.ContainsFunc(g.op.Flow.Tokens, func(t specs.TokenOut) bool { return t.Token == specs.TokenRefresh }) {
			skipf("%s hands out no refresh token; the one from the login is used again", g.op.Key())
		}
		s := r.loginWithRefresh(ctx, roleValid)
		resp := r.refresh(ctx, g.op, s.refresh)
		r.expectAccepted(resp, rule+" (the first refresh)")
		next := first(r.tokens(g.op, resp)[specs.TokenRefresh])
		if next == "" {
			failf("%s", r.mismatch(resp, "a new refresh token in the "+r.tokenPlaces(g.op, specs.TokenRefresh), rule))
		}
		r.expectAccepted(r.refresh(ctx, g.op, next), rule+" (the refresh token it handed out)")
	})

	g.it("LIF-13", func(ctx SpecContext) {
		s := r.loginWithRefresh(ctx, roleValid)
		resp := r.refresh(ctx, g.op, s.access)
		r.expectRefused(ctx, resp, specs.FailInvalidCredential, req("LIF-13").Rule)
	})

	g.it("LIF-17", func(ctx SpecContext) {
		p := r.needProbe()
		s := r.loginWithRefresh(ctx, roleValid)
		cr := &cred{kind: specs.CredAccessToken, value: s.refresh, acct: s.acct}
		if _, _, why := r.authFor(p, *cr); why != "" {
			skipf("%s takes no access token: %s", p.Key(), why)
		}
		resp := r.mustCall(ctx, p, cr, nil)
		r.expectRefused(ctx, resp, specs.FailInvalidCredential, req("LIF-17").Rule)
	})

	refreshLifetimeChecks(g)
}
