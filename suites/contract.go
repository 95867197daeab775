package suites

import (
	"encoding/json"
	"net/url"
	"strings"

	. "github.com/onsi/ginkgo/v2"

	"github.com/authconform/authconform/specs"
)

// contractChecks are the checks of what a login or refresh carries besides its credentials: the
// values its flow fixes (an OAuth 2 grant_type) and the client it authenticates (RFC 6749 2.3).
// They skip, with the reason, on a flow that fixes nothing or authenticates no client.
func contractChecks(g *group) {
	r := g.r
	op := g.op
	// build is the flow's ordinary request: a login of the valid account, or a refresh with a
	// fresh refresh token.
	build := func(ctx SpecContext) *request {
		if op.Flow.Kind == specs.KindRefresh {
			return r.refreshRequest(op, r.loginWithRefresh(ctx, roleValid).refresh)
		}
		rq, err := r.loginRequest(op, r.account(roleValid))
		if err != nil {
			needInputf("%v", err)
		}
		return rq
	}
	// rebuild is build with the body, query and headers changed by edit before encoding.
	rebuild := func(ctx SpecContext, edit func(body map[string]any, rq *request)) *request {
		rq := build(ctx)
		body := map[string]any{}
		if len(rq.body) > 0 {
			body = decodeBody(rq)
		}
		edit(body, rq)
		rq.body, rq.ctype = nil, ""
		rq.encode(body)
		return rq
	}
	needFixed := func() specs.Fixed {
		if op == nil || len(op.Flow.Fixed) == 0 {
			skipf("the flow fixes no request value (such as grant_type)")
		}
		return op.Flow.Fixed[0]
	}
	needClient := func() *specs.ClientAuth {
		if op == nil || op.Flow.Client == nil {
			skipf("the flow authenticates no client")
		}
		if r.t.Client == nil {
			needInputf("the target file names no client (client: {id: ..., secret: ...})")
		}
		return op.Flow.Client
	}

	g.it("GRT-01", func(ctx SpecContext) {
		fx := needFixed()
		rq := rebuild(ctx, func(body map[string]any, rq *request) { rq.replace(fx.Location, "authconform_other", body) })
		r.expectRefused(ctx, r.send(ctx, rq), fx.Failure, req("GRT-01").Rule+" ("+fx.Location.String()+" other than "+fx.Value+")")
	})
	g.it("GRT-02", func(ctx SpecContext) {
		fx := needFixed()
		rq := rebuild(ctx, func(body map[string]any, rq *request) { rq.remove(fx.Location, body) })
		r.expectRefused(ctx, r.send(ctx, rq), specs.FailInvalidRequest, req("GRT-02").Rule+" (no "+fx.Location.String()+")")
	})
	g.it("CLI-01", func(ctx SpecContext) {
		ca := needClient()
		if ca.Secret == nil {
			skipf("the client is public (the flow reads no client secret)")
		}
		rq := rebuild(ctx, func(body map[string]any, rq *request) {
			rq.replace(*ca.Secret, wrongClientSecret(r.t.Client.Secret), body)
		})
		r.expectRefused(ctx, r.send(ctx, rq), specs.FailInvalidClient, req("CLI-01").Rule)
	})
	g.it("CLI-02", func(ctx SpecContext) {
		ca := needClient()
		rq := rebuild(ctx, func(body map[string]any, rq *request) {
			rq.replace(ca.ID, "authconform-unknown-client-"+unknownValue("client")[:8], body)
		})
		r.expectRefused(ctx, r.send(ctx, rq), specs.FailInvalidClient, req("CLI-02").Rule)
	})
	basic := func(ctx SpecContext, wrong bool) *response {
		ca := needClient()
		secret := r.t.Client.Secret
		if wrong {
			secret = wrongClientSecret(secret)
		}
		if !ca.Basic {
			skipf("the flow does not take the client's credentials as HTTP Basic")
		}
		rq := rebuild(ctx, func(body map[string]any, rq *request) {
			rq.remove(ca.ID, body)
			if ca.Secret != nil {
				rq.remove(*ca.Secret, body)
			}
			rq.headers = append(withoutHeader(rq.headers, "Authorization"), header{"Authorization", basicAuth(r.t.Client.ID, secret)})
		})
		return r.send(ctx, rq)
	}
	g.it("CLI-03", func(ctx SpecContext) {
		r.expectAccepted(basic(ctx, false), req("CLI-03").Rule)
	})
	g.it("CLI-04", func(ctx SpecContext) {
		rule := req("CLI-04").Rule
		resp := basic(ctx, true)
		r.expectRefused(ctx, resp, specs.FailInvalidClient, rule)
		if ch := resp.header.Get("WWW-Authenticate"); !strings.HasPrefix(strings.ToLower(ch), "basic") {
			failf("%s", r.mismatch(resp, "a WWW-Authenticate: Basic challenge with the refusal of Basic client credentials", rule))
		}
	})
}

// wrongClientSecret is a client secret other than s.
func wrongClientSecret(s string) string { return s + "-authconform-wrong" }

// decodeBody reads back the object a request's body was encoded from (encode).
func decodeBody(rq *request) map[string]any {
	out := map[string]any{}
	if rq.ctype == specs.MediaForm {
		form, _ := url.ParseQuery(string(rq.body))
		for k, vs := range form {
			out[k] = vs[0]
		}
		return out
	}
	_ = json.Unmarshal(rq.body, &out)
	return out
}

// replace sets the value at l, wherever the request carries it.
func (rq *request) replace(l specs.Location, v string, body map[string]any) {
	if l.In == specs.InHeader {
		rq.headers = withoutHeader(rq.headers, l.Name)
	}
	rq.put(l, v, body)
}

// remove takes the value at l out of the request.
func (rq *request) remove(l specs.Location, body map[string]any) {
	switch l.In {
	case specs.InBody:
		specs.DeletePointer(body, l.Pointer)
	case specs.InQuery:
		rq.query.Del(l.Name)
	case specs.InHeader:
		rq.headers = withoutHeader(rq.headers, l.Name)
	}
}

// withoutHeader drops every header named name.
func withoutHeader(hs []header, name string) []header {
	out := hs[:0:0]
	for _, h := range hs {
		if !strings.EqualFold(h.name, name) {
			out = append(out, h)
		}
	}
	return out
}
