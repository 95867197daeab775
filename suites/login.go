package suites

import (
	"crypto/rand"
	"fmt"
	"maps"
	"strings"

	. "github.com/onsi/ginkgo/v2"

	"github.com/authconform/authconform/specs"
)

// loginChecks are the checks of one login operation: success, each documented refusal, the
// token's places and its cache headers.
func loginChecks(g *group) {
	r, op := g.r, g.op

	g.it("LOG-01", func(ctx SpecContext) {
		rule := req("LOG-01").Rule
		rq, err := r.loginRequest(op, r.account(roleValid))
		if err != nil {
			needInputf("%v", err)
		}
		resp := r.send(ctx, rq)
		r.expectAccepted(resp, rule)
		for kind, found := range r.tokens(op, resp) {
			for _, t := range found {
				if t.value == "" {
					failf("%s", r.mismatch(resp, fmt.Sprintf("the %s token in the %s, as the spec documents", kind, t.where), rule))
				}
			}
		}
	})

	g.it("LOG-02", func(ctx SpecContext) {
		var places []specs.TokenOut
		for _, t := range r.tokenLocations(op) {
			if t.Token == specs.TokenAccess {
				places = append(places, t)
			}
		}
		inHeader, inBody := false, false
		for _, t := range places {
			inHeader = inHeader || t.In == specs.InHeader
			inBody = inBody || t.In == specs.InBody
		}
		if !inHeader || !inBody {
			skipf("the spec documents the access token of %s in one place only (%s)", op.Key(), r.tokenPlaces(op, specs.TokenAccess))
		}
		s := r.mustLoginVia(ctx, op, roleValid)
		found := r.tokens(op, s.resp)[specs.TokenAccess]
		for _, t := range found[1:] {
			if t.value != found[0].value {
				failf("rule: %s\nthe access token in the %s differs from the one in the %s\ngot: %s",
					req("LOG-02").Rule, t.where, found[0].where, r.c.describe(s.resp))
			}
		}
	})

	g.it("LOG-03", func(ctx SpecContext) {
		s := r.mustLoginVia(ctx, op, roleValid)
		expectNoStore(s.resp, req("LOG-03").Rule, r)
	})

	refusal := func(id string, role string, f specs.Failure, mutate func(map[string]string) bool) {
		variant, prov := "", g.provenance(id)
		if id == "LOG-17" {
			variant, prov = role, r.failureProvenance(op, f)
		}
		g.itp(id, variant, prov, checkTimeout, func(ctx SpecContext) {
			rule := req(id).Rule
			if variant != "" {
				rule += " (" + variant + ")"
			}
			if _, ok := r.t.Accounts[role]; !ok && mutate == nil {
				// An account in this state is a gap of the target file only when the vendor
				// documents the state; otherwise the product need not have such accounts.
				switch fs, named := op.Flow.FailureOf(f); {
				case !named || fs.Name != f:
					skipf("%s documents no %s failure and the target file has no %q account", op.Key(), f, role)
				case fs.Decision != "":
					skipf("the vendor documents no such accounts (%s is decision %s); name one in accounts.%s to check it anyway", f, fs.Decision, role)
				}
			}
			acct := r.account(role)
			if mutate != nil && !mutate(acct) {
				skipf("%s takes no secret besides the account's identifier, so there is no wrong password to send", op.Key())
			}
			rq, err := r.loginRequest(op, acct)
			if err != nil {
				needInputf("%v", err)
			}
			resp := r.send(ctx, rq)
			r.expectRefused(ctx, resp, f, rule)
		})
	}
	refusal("LOG-05", roleValid, specs.FailBadCredentials, func(a map[string]string) bool {
		for _, c := range op.Flow.Credentials {
			if c.Secret() {
				a[c.Field] = wrongSecret(op, c, a[c.Field])
				return true
			}
		}
		return false
	})
	refusal("LOG-13", roleValid, specs.FailUnknownAccount, func(a map[string]string) bool {
		for _, c := range op.Flow.Credentials {
			if !c.Secret() {
				a[c.Field] = unknownIdentifier(op, c, a[c.Field])
				return true
			}
		}
		return false
	})
	g.it("LOG-06", func(ctx SpecContext) {
		acct := r.account(roleValid)
		wrong, unknown := maps.Clone(acct), maps.Clone(acct)
		hasSecret := false
		for _, c := range op.Flow.Credentials {
			if c.Secret() {
				wrong[c.Field] = wrongSecret(op, c, wrong[c.Field])
				hasSecret = true
			} else {
				unknown[c.Field] = unknownIdentifier(op, c, unknown[c.Field])
			}
		}
		if !hasSecret {
			skipf("%s takes no secret besides the account's identifier, so there is no wrong password to compare", op.Key())
		}
		send := func(a map[string]string) *response {
			rq, err := r.loginRequest(op, a)
			if err != nil {
				needInputf("%v", err)
			}
			return r.send(ctx, rq)
		}
		w, u := send(wrong), send(unknown)
		if u.status != w.status {
			failf("%s", lines(fmt.Sprintf("expected an unknown account to get what a wrong password gets, %d; got %s", w.status, r.c.summary(u)),
				"rule: "+req("LOG-06").Rule,
				"a wrong password got: "+r.c.describe(w),
				"an unknown account got: "+r.c.describe(u)))
		}
	})
	refusal("LOG-14", roleDisabled, specs.FailAccountDisabled, nil)
	refusal("LOG-15", roleExpired, specs.FailPasswordExpired, nil)
	for _, st := range r.spec.States {
		refusal("LOG-17", string(st.Name), st.Failure, nil)
	}

	malformed := func(ctx SpecContext) *response {
		rq, err := r.loginRequest(op, r.account(roleValid))
		if err != nil {
			needInputf("%v", err)
		}
		switch {
		case hasCredentialIn(op, specs.InBody):
			rq.broken()
		case hasCredentialIn(op, specs.InQuery):
			rq.query = nil // every required credential parameter missing
		default:
			skipf("%s reads its credentials from headers only; there is no body or query to break", op.Key())
		}
		resp := r.send(ctx, rq)
		return resp
	}
	g.it("LOG-07", func(ctx SpecContext) {
		rule := req("LOG-07").Rule
		resp := malformed(ctx)
		if !refused(op, resp.status) {
			failf("%s", r.mismatch(resp, "a refusal (a 4xx or a documented error status)", rule))
		}
		if t := first(r.tokens(op, resp)[specs.TokenAccess]); t != "" {
			failf("%s", r.mismatch(resp, "no access token in a refusal", rule))
		}
	})
	g.it("LOG-16", func(ctx SpecContext) {
		if _, documented := op.Flow.Failure(specs.FailInvalidRequest); !documented {
			skipf("%s names no status for a malformed request (invalidRequest)", op.Key())
		}
		r.expectRefused(ctx, malformed(ctx), specs.FailInvalidRequest, req("LOG-16").Rule)
	})
}

// unknownValue is an account identifier no target has: random, and shaped like a UUID so that
// a field with a format still accepts it.
// wrongSecret is a value for c other than v that the operation's request schema still accepts,
// so that a refusal comes from the credential check and not from request validation: v with a
// suffix, or, where a pattern, format or length forbids one, v with each letter and digit moved
// on by one (a PIN 1234 becomes 2345).
func wrongSecret(op *specs.Operation, c specs.Credential, v string) string {
	suffixed := v + "-authconform-wrong"
	s := op.ValueSchema(c.Location)
	if s == nil {
		return suffixed
	}
	shift := func(r rune) rune {
		switch {
		case r >= '0' && r <= '9':
			return '0' + (r-'0'+1)%10
		case r >= 'a' && r <= 'z':
			return 'a' + (r-'a'+1)%26
		case r >= 'A' && r <= 'Z':
			return 'A' + (r-'A'+1)%26
		}
		return r
	}
	for _, w := range []string{suffixed, strings.Map(shift, v), "x" + v[min(1, len(v)):]} {
		if w != v && s.VisitJSON(w, specs.RequestFormatOption) == nil {
			return w
		}
	}
	return suffixed
}

// unknownIdentifier is a value for c that names no account and that the operation's request
// schema accepts: a fresh UUID, or a name or an address, or digits as many as the valid value has.
func unknownIdentifier(op *specs.Operation, c specs.Credential, valid string) string {
	id := unknownValue(c.Field)
	s := op.ValueSchema(c.Location)
	if s == nil {
		return id
	}
	name := "authconform-nobody-" + strings.ReplaceAll(id, "-", "")[:8]
	digits := strings.Map(func(r rune) rune {
		if r >= 'a' {
			return '0' + (r-'a')%10
		}
		return r
	}, strings.ReplaceAll(id, "-", ""))
	if n := len(valid); n > 0 && n < len(digits) {
		digits = digits[:n]
	}
	for _, w := range []string{id, name, name + "@example.com", digits} {
		if w != valid && s.VisitJSON(w, specs.RequestFormatOption) == nil {
			return w
		}
	}
	return id
}

func unknownValue(field string) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	id := fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
	if field == specs.FieldUsername {
		return "authconform-nobody-" + id[:8]
	}
	return id
}

// expectNoStore asserts Cache-Control: no-store on a response carrying credentials.
func expectNoStore(resp *response, rule string, r *run) {
	for _, v := range resp.header.Values("Cache-Control") {
		if strings.Contains(strings.ToLower(v), "no-store") {
			return
		}
	}
	failf("%s", lines(fmt.Sprintf("expected Cache-Control: no-store; got Cache-Control %q from %s %s", resp.header.Values("Cache-Control"), resp.req.Method, r.red.redact(resp.req.URL.String())),
		"rule: "+rule,
		"response: "+r.c.describe(resp)))
}
