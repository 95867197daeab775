package suites

import (
	"context"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"

	. "github.com/onsi/ginkgo/v2"

	"github.com/authconform/authconform/specs"
)

// credentialForm is one way the probe's security lets a caller authenticate.
type credentialForm struct {
	alt    specs.SecurityAlt
	kind   specs.CredentialKind
	scheme *specs.Scheme // the scheme carrying the credential
	omit   *specs.Scheme // an optional scheme this form leaves out; nil: every scheme is sent
	name   string
}

// credentialForms lists the forms of op's security: each scheme with each credential it accepts,
// optional schemes sent (an impersonation header names the caller's own account); and, for each
// optional scheme, the same form without it.
func credentialForms(op *specs.Operation) []credentialForm {
	var out []credentialForm
	for _, alt := range op.Security {
		for _, s := range alt {
			if s.Binds != "" || s.Impersonates != "" {
				continue
			}
			for _, k := range s.Accepts {
				var with []string
				var optional []*specs.Scheme
				for _, o := range alt {
					if o != s {
						with = append(with, o.Header)
						if o.Optional {
							optional = append(optional, o)
						}
					}
				}
				name := fmt.Sprintf("%s with %s", s.Name, k)
				if len(with) > 0 {
					name += " and " + strings.Join(with, ", ")
				}
				out = append(out, credentialForm{alt: alt, kind: k, scheme: s, name: name})
				for _, o := range optional {
					out = append(out, credentialForm{alt: alt, kind: k, scheme: s, omit: o,
						name: fmt.Sprintf("%s with %s, without %s", s.Name, k, o.Header)})
				}
			}
		}
	}
	return out
}

// formPointer is the document pointer whose readings decide whether a form is accepted at all:
// what the carrying scheme accepts, or whether the scheme a form leaves out is optional.
func formPointer(f credentialForm) (pointer string, refusedValue any) {
	if f.omit != nil {
		return f.omit.Pointer + "/optional", false
	}
	var rest []string
	for _, k := range f.scheme.Accepts {
		if k != f.kind {
			rest = append(rest, string(k))
		}
	}
	return f.scheme.Pointer + "/accepts", rest
}

// formProvenance: a documented form, unless a reading may refuse it.
func (g *group) formProvenance(f credentialForm) Provenance {
	ptr, refusedValue := formPointer(f)
	if d, _ := g.r.decisionAt(ptr); d != nil {
		for _, rd := range d.Readings {
			if v, ok := rd.Set[ptr]; ok && sameJSON(v, refusedValue) {
				return g.r.reading(d)
			}
		}
	}
	return g.provenance("HDR-11")
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
			g.itp("HDR-11", f.name, g.formProvenance(f), checkTimeout, func(ctx SpecContext) {
				rule := req("HDR-11").Rule + " (" + f.name + ")"
				cr := r.credentialOf(ctx, f.kind)
				cr.omit = f.omit
				hs, q, why := r.authAlt(f.alt, *cr)
				if why != "" {
					skipf("%s", why)
				}
				resp, err := r.c.do(ctx, &request{op: op, headers: hs, query: q})
				if err != nil {
					failf("rule: %s\n%v", rule, err)
				}
				ptr, refusedValue := formPointer(f)
				r.expectAcceptedUnless(resp, ptr, refusedValue, rule)
			})
		}
	}

	missingCredentialCheck(g)

	if op == nil {
		g.it("HDR-03", func(SpecContext) {})
	} else {
		for _, f := range credentialForms(op) {
			if f.omit != nil {
				continue // a garbage credential is garbage with or without an optional header
			}
			if f.kind == specs.CredPassword {
				g.itv("HDR-03", f.name+", a wrong password", checkTimeout, func(ctx SpecContext) {
					rule := req("HDR-03").Rule + " (" + f.name + ", a wrong password)"
					acct := r.account(roleValid)
					if acct[specs.FieldPassword] == "" {
						needInputf("the valid account has no password")
					}
					acct[specs.FieldPassword] += "-authconform-wrong"
					hs, q, why := r.authAlt(f.alt, cred{kind: f.kind, acct: acct})
					if why != "" {
						skipf("%s", why)
					}
					r.expectRefused(ctx, r.send(ctx, &request{op: op, headers: hs, query: q}), specs.FailInvalidCredential, rule)
				})
			}
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
			skipf("%s takes its access token without the Bearer scheme%s", g.op.Key(), r.readingNote(g.op))
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

	boundChecks(g)

	g.it("HDR-13", func(ctx SpecContext) {
		rule := req("HDR-13").Rule
		for _, alt := range g.op.Security {
			for _, sc := range alt {
				if sc.Impersonates == "" {
					continue
				}
				var carrier *specs.Scheme
				for _, o := range alt {
					if len(o.Accepts) > 0 {
						carrier = o
					}
				}
				cr := r.credentialOf(ctx, carrier.Accepts[0])
				cr.acct = maps.Clone(cr.acct)
				cr.acct[sc.Impersonates] = unknownValue(specs.FieldUsername)
				hs, q, why := r.authAlt(alt, *cr)
				if why != "" {
					skipf("%s", why)
				}
				resp := r.send(ctx, &request{op: g.op, headers: hs, query: q})
				r.expectRefused(ctx, resp, specs.FailInvalidCredential, rule+" ("+sc.Header+" naming no account)")
				return
			}
		}
		skipf("no security scheme of %s names an account to act as", g.op.Key())
	})
}

// missingCredentialCheck calls the group's operation without any credential.
func missingCredentialCheck(g *group) {
	g.it("HDR-02", func(ctx SpecContext) {
		if !g.op.Protected() {
			skipf("%s is not protected", g.op.Key())
		}
		// A body the operation accepts, so the refusal is about the credential and not the body.
		g.r.expectRefused(ctx, g.r.mustCall(ctx, g.op, nil, sampleBody(g.op)), specs.FailMissingCredential, req("HDR-02").Rule)
	})
}

// sampleBody is a JSON body with every required member of the operation's request schema (an
// example where the schema has one, else a placeholder of its type); nil when it takes no body.
func sampleBody(op *specs.Operation) any {
	rb := op.Op.RequestBody
	if rb == nil || rb.Value == nil {
		return nil
	}
	mt := rb.Value.Content.Get("application/json")
	if mt == nil || mt.Schema == nil || mt.Schema.Value == nil {
		return nil
	}
	body := map[string]any{}
	sc := mt.Schema.Value
	for _, name := range sc.Required {
		p := sc.Properties[name]
		if p == nil || p.Value == nil {
			body[name] = "authconform-sample"
			continue
		}
		switch {
		case p.Value.Example != nil:
			body[name] = p.Value.Example
		case p.Value.Type.Is("integer"), p.Value.Type.Is("number"):
			body[name] = 1
		case p.Value.Type.Is("boolean"):
			body[name] = true
		default:
			body[name] = "authconform-sample"
		}
	}
	return body
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
	// RFC 6750's access_token parameter, and each header that carries the token under its own
	// name as a query parameter (?X-Auth-Token=): frameworks that read "a parameter" from either
	// place accept it.
	names := []string{"access_token"}
	if g.op != nil {
		for _, alt := range g.op.Security {
			for _, sc := range alt {
				if sc.AcceptsKind(specs.CredAccessToken) && sc.Type == "apiKey" && sc.In == specs.InHeader && !slices.Contains(names, sc.Header) {
					names = append(names, sc.Header)
				}
			}
		}
	}
	for i, name := range names {
		variant := ""
		if i > 0 {
			variant = "?" + name + "="
		}
		g.itv("HDR-08", variant, checkTimeout, func(ctx SpecContext) {
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
			rq := &request{op: p, query: url.Values{name: {s.access}}}
			for _, alt := range p.Security {
				for _, sc := range alt {
					if sc.Binds != "" && acct[sc.Binds] != "" {
						rq.headers = append(rq.headers, header{sc.Header, acct[sc.Binds]})
					}
				}
			}
			resp := r.send(ctx, rq)
			if resp.status >= 200 && resp.status < 300 {
				failf("%s", r.mismatch(resp, fmt.Sprintf("a refusal of the access token in the URL (?%s=)", name), rule))
			}
		})
	}
}

// boundChecks are the checks of values bound to the account (a tenant header, a tenant in the
// body): missing, and another account's. They run on the probe, and on every other protected
// operation whose flow binds a value.
func boundChecks(g *group) {
	r := g.r
	boundScheme := func() *specs.Scheme {
		for _, alt := range g.op.Security {
			for _, s := range alt {
				if s.Binds != "" {
					return s
				}
			}
		}
		if len(g.op.Flow.Binds) == 0 {
			skipf("neither a security scheme nor the flow of %s binds a value to the account (like a company id)", g.op.Key())
		}
		return nil
	}
	g.it("HDR-05", func(ctx SpecContext) {
		rule := req("HDR-05").Rule
		bound := boundScheme()
		if bound == nil { // the flow binds a body or query value
			b := g.op.Flow.Binds[0]
			s := r.mustLogin(ctx, roleValid)
			cr := s.bearer()
			cr.unbound = true
			r.expectRefused(ctx, r.mustCall(ctx, g.op, cr, nil), specs.FailBoundMissing, rule+" (no "+b.Location.String()+")")
			return
		}
		s := r.mustLogin(ctx, roleValid)
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
		r.expectRefused(ctx, resp, specs.FailBoundMissing, rule+" (no "+bound.Header+")")
	})

	g.it("HDR-12", func(ctx SpecContext) {
		rule := req("HDR-12").Rule
		field, where := "", ""
		if bound := boundScheme(); bound != nil {
			field, where = bound.Binds, bound.Header
		} else {
			field, where = g.op.Flow.Binds[0].Field, g.op.Flow.Binds[0].Location.String()
		}
		other := r.account(roleOther)
		if other[field] == "" {
			needInputf("the other account has no %s", field)
		}
		s := r.mustLogin(ctx, roleValid)
		r.expectAccepted(r.authedCall(ctx, g.op, s), rule+" (control: its own "+where+")")
		mixed := s.bearer()
		mixed.acct = maps.Clone(s.acct)
		mixed.acct[field] = other[field]
		r.expectRefused(ctx, r.mustCall(ctx, g.op, mixed, nil), specs.FailBoundMismatch, rule+" (the other account's "+where+")")
	})

}
