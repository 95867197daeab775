package suites

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	. "github.com/onsi/ginkgo/v2"

	"github.com/authconform/authconform/specs"
)

// credentialForm is one way the probe's security lets a caller authenticate.
type credentialForm struct {
	alt  specs.SecurityAlt
	kind specs.CredentialKind
	name string
}

func credentialForms(op *specs.Operation) []credentialForm {
	var out []credentialForm
	for _, alt := range op.Security {
		for _, s := range alt {
			if s.Binds != "" || s.Impersonates != "" {
				continue
			}
			for _, k := range s.Accepts {
				var with []string
				for _, o := range alt {
					if o != s && !o.Optional {
						with = append(with, o.Header)
					}
				}
				name := fmt.Sprintf("%s with %s", s.Name, k)
				if len(with) > 0 {
					name += " and " + strings.Join(with, ", ")
				}
				out = append(out, credentialForm{alt: alt, kind: k, name: name})
			}
		}
	}
	return out
}

// credentialOf obtains a credential of kind k for the valid account: a fresh access token, the
// account's password, or its API key (from the target file, else one created for the check).
func (r *run) credentialOf(ctx context.Context, k specs.CredentialKind) *cred {
	switch k {
	case specs.CredAccessToken:
		return r.mustLogin(ctx, roleValid).bearer()
	case specs.CredPassword:
		acct := r.account(roleValid)
		if acct[specs.FieldPassword] == "" {
			needInputf("the valid account has no password")
		}
		return &cred{kind: k, acct: acct}
	case specs.CredAPIKey:
		acct := r.account(roleValid)
		if v := acct[specs.FieldAPIKey]; v != "" {
			return &cred{kind: k, value: v, acct: acct}
		}
		if len(r.spec.OperationsOf(specs.KindAPIKeyCreate)) == 0 {
			needInputf("the valid account has no apiKey in the target file and the spec documents no way to create one")
		}
		s := r.mustLogin(ctx, roleValid)
		key, _ := r.createKey(ctx, r.spec.OperationsOf(specs.KindAPIKeyCreate)[0], s, "creating an API key to present")
		return apiKeyCred(key, s)
	}
	skipf("no credential of kind %s can be obtained", k)
	return nil
}

// headerChecks are the credential-handling checks on the probe operation.
func headerChecks(g *group) {
	r, op := g.r, g.op
	queryTokenCheck(g)
	if op == nil {
		g.it("HDR-11", func(SpecContext) {})
	} else {
		for _, f := range credentialForms(op) {
			g.itv("HDR-11", f.name, checkTimeout, func(ctx SpecContext) {
				rule := req("HDR-11").Rule + " (" + f.name + ")"
				cr := r.credentialOf(ctx, f.kind)
				hs, q, why := r.authAlt(f.alt, *cr)
				if why != "" {
					skipf("%s", why)
				}
				resp, err := r.c.do(ctx, &request{op: op, headers: hs, query: q})
				if err != nil {
					failf("rule: %s\n%v", rule, err)
				}
				r.expectAccepted(resp, rule)
			})
		}
	}

	g.it("HDR-02", func(ctx SpecContext) {
		if !g.op.Protected() {
			skipf("%s is not protected", g.op.Key())
		}
		r.expectRefused(ctx, r.mustCall(ctx, g.op, nil, nil), specs.FailMissingCredential, req("HDR-02").Rule)
	})

	if op == nil {
		g.it("HDR-03", func(SpecContext) {})
	} else {
		for _, f := range credentialForms(op) {
			g.itv("HDR-03", f.name, checkTimeout, func(ctx SpecContext) {
				rule := req("HDR-03").Rule + " (" + f.name + ")"
				cr := &cred{kind: f.kind, value: "authconform-garbage-credential", acct: r.account(roleValid)}
				hs, q, why := r.authAlt(f.alt, *cr)
				if why != "" {
					// Basic needs a password to build; a garbage Basic value is written directly.
					if f.kind != specs.CredPassword {
						skipf("%s", why)
					}
				}
				if f.kind == specs.CredPassword {
					hs = []header{{"Authorization", "Basic !!not-base64!!"}}
					for _, s := range f.alt {
						if s.Binds != "" {
							hs = append(hs, header{s.Header, cr.acct[s.Binds]})
						}
					}
				}
				resp := r.send(ctx, &request{op: op, headers: hs, query: q})
				r.expectRefused(ctx, resp, specs.FailInvalidCredential, rule)
			})
		}
	}

	g.it("HDR-01", func(ctx SpecContext) {
		s := r.mustLogin(ctx, roleValid)
		hs, q, why := r.authFor(g.op, *s.bearer())
		if why != "" {
			skipf("%s takes no access token: %s", g.op.Key(), why)
		}
		lowered := false
		for i, h := range hs {
			if v, ok := strings.CutPrefix(h.value, "Bearer "); ok {
				hs[i].value, lowered = "bearer "+v, true
			}
		}
		if !lowered {
			skipf("%s takes its access token without the Bearer scheme", g.op.Key())
		}
		r.expectAccepted(r.send(ctx, &request{op: g.op, headers: hs, query: q}), req("HDR-01").Rule+` (sent as "bearer <token>")`)
	})

	g.it("HDR-06", func(ctx SpecContext) {
		s := r.mustLogin(ctx, roleValid)
		cr := s.bearer()
		cr.lower = true
		hs, _, why := r.authFor(g.op, *cr)
		if why != "" {
			skipf("%s takes no access token: %s", g.op.Key(), why)
		}
		changed := false
		for _, h := range hs {
			changed = changed || h.name != specCase(g.op, h.name)
		}
		if !changed {
			skipf("the spec already names every credential header of %s in lower case", g.op.Key())
		}
		r.expectAccepted(r.mustCall(ctx, g.op, cr, nil), req("HDR-06").Rule+" (credential header names sent in lower case)")
	})

	g.it("HDR-05", func(ctx SpecContext) {
		rule := req("HDR-05").Rule
		var bound *specs.Scheme
		for _, alt := range g.op.Security {
			for _, s := range alt {
				if s.Binds != "" {
					bound = s
				}
			}
		}
		if bound == nil {
			skipf("no security scheme of %s binds a header to the account (like a company id)", g.op.Key())
		}
		other := r.account(roleOther)
		if other[bound.Binds] == "" {
			needInputf("the other account has no %s", bound.Binds)
		}
		s := r.mustLogin(ctx, roleValid)
		r.expectAccepted(r.authedCall(ctx, g.op, s), rule+" (own "+bound.Header+")")

		mixed := s.bearer()
		mixed.acct = map[string]string{bound.Binds: other[bound.Binds]}
		for k, v := range s.acct {
			if k != bound.Binds {
				mixed.acct[k] = v
			}
		}
		r.expectRefused(ctx, r.mustCall(ctx, g.op, mixed, nil), specs.FailTenantMismatch, rule+" (the other account's "+bound.Header+")")

		hs, q, _ := r.authFor(g.op, *s.bearer())
		var without []header
		for _, h := range hs {
			if !strings.EqualFold(h.name, bound.Header) {
				without = append(without, h)
			}
		}
		resp, err := r.c.do(ctx, &request{op: g.op, headers: without, query: q})
		if err != nil {
			failf("rule: %s\n%v", rule, err)
		}
		r.expectRefused(ctx, resp, specs.FailTenantMismatch, rule+" (no "+bound.Header+")")
	})
}

// specCase is the header name as the spec spells it, when it is one of op's scheme headers.
func specCase(op *specs.Operation, name string) string {
	for _, alt := range op.Security {
		for _, s := range alt {
			if strings.EqualFold(s.Header, name) {
				return s.Header
			}
		}
	}
	return name
}

// queryTokenCheck offers the probe a valid access token in the query string (RFC 6750 2.3's
// access_token parameter) instead of its header; a 2xx means the token was taken from the URL,
// where proxies and browser histories keep it. Bound headers (a tenant) are still sent, so only
// the token's place differs from a call that works.
func queryTokenCheck(g *group) {
	r := g.r
	g.it("HDR-08", func(ctx SpecContext) {
		rule := req("HDR-08").Rule
		p := g.op
		takesHeaderToken := false
		for _, alt := range p.Security {
			for _, sc := range alt {
				if sc.AcceptsKind(specs.CredAccessToken) && sc.In == specs.InHeader {
					takesHeaderToken = true
				}
			}
		}
		if !takesHeaderToken {
			skipf("%s takes no access token in a header", p.Key())
		}
		acct := r.account(roleValid)
		s := r.mustLogin(ctx, roleValid)
		rq := &request{op: p, query: url.Values{"access_token": {s.access}}}
		for _, alt := range p.Security {
			for _, sc := range alt {
				if sc.Binds != "" && acct[sc.Binds] != "" {
					rq.headers = append(rq.headers, header{sc.Header, acct[sc.Binds]})
				}
			}
		}
		resp := r.send(ctx, rq)
		if resp.status >= 200 && resp.status < 300 {
			failf("rule: %s\n%s accepted the access token from ?access_token= in the URL\ngot: %s", rule, p.Key(), r.c.describe(resp))
		}
	})
}
