package suites

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"reflect"
	"regexp"
	"strings"

	. "github.com/onsi/ginkgo/v2"

	"github.com/authconform/authconform/specs"
)

// forge returns a token derived from a JWT by an attack, or skips when the token is opaque.
func forge(tok string, attack func(header, payload map[string]any, sig string) (h, p map[string]any, s string)) string {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		skipf("the access token is not a JWT; JWT attacks do not apply")
	}
	var h, p map[string]any
	hb, err1 := base64.RawURLEncoding.DecodeString(parts[0])
	pb, err2 := base64.RawURLEncoding.DecodeString(parts[1])
	if err1 != nil || err2 != nil || json.Unmarshal(hb, &h) != nil || json.Unmarshal(pb, &p) != nil {
		skipf("the access token is not a JWT; JWT attacks do not apply")
	}
	var h0, p0 map[string]any
	_ = json.Unmarshal(hb, &h0)
	_ = json.Unmarshal(pb, &p0)
	h, p, sig := attack(h, p, parts[2])
	// A part the attack left alone keeps its original bytes: re-encoding would change it.
	enc := func(v, orig map[string]any, raw string) string {
		if reflect.DeepEqual(v, orig) {
			return raw
		}
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	return enc(h, h0, parts[0]) + "." + enc(p, p0, parts[1]) + "." + sig
}

// securityChecks attack the probe with forged tokens and look for leaks in error bodies.
func securityChecks(g *group) {
	r := g.r

	attack := func(id string, fn func(h, p map[string]any, sig string) (map[string]any, map[string]any, string)) {
		g.it(id, func(ctx SpecContext) {
			rule := req(id).Rule
			s := r.mustLogin(ctx, roleValid)
			if _, _, why := r.authFor(g.op, *s.bearer()); why != "" {
				skipf("%s takes no access token: %s", g.op.Key(), why)
			}
			// Control first: the genuine token works, so a refusal below means something.
			r.expectAccepted(r.authedCall(ctx, g.op, s), rule+" (control: the genuine token)")
			forged := forge(s.access, fn)
			r.red.add(forged)
			cr := s.bearer()
			cr.value = forged
			r.expectRefused(ctx, r.mustCall(ctx, g.op, cr, nil), specs.FailInvalidCredential, rule)
		})
	}
	attack("JWT-02", func(h, p map[string]any, sig string) (map[string]any, map[string]any, string) {
		b, err := base64.RawURLEncoding.DecodeString(sig)
		if err != nil || len(b) == 0 {
			return h, p, sig + "x"
		}
		b[0] ^= 0xff
		return h, p, base64.RawURLEncoding.EncodeToString(b)
	})
	attack("JWT-03", func(h, p map[string]any, sig string) (map[string]any, map[string]any, string) {
		// Keep every claim but stretch the expiry and mark the token: a server that does not
		// check the signature accepts it.
		if exp, ok := p["exp"].(float64); ok {
			p["exp"] = exp + 3600
		}
		p["authconform"] = "tampered"
		return h, p, sig
	})
	attack("JWT-04", func(_, p map[string]any, _ string) (map[string]any, map[string]any, string) {
		return map[string]any{"alg": "none", "typ": "JWT"}, p, ""
	})

	errorShapeCheck(g)
	g.it("ERR-05", func(ctx SpecContext) {
		rule := req("ERR-05").Rule
		var seen []*response
		// A refused call on the probe, without and with a garbage credential.
		seen = append(seen, r.mustCall(ctx, g.op, nil, nil))
		garbage := &cred{kind: specs.CredAccessToken, value: "authconform-garbage-token", acct: r.account(roleValid)}
		if _, _, why := r.authFor(g.op, *garbage); why == "" {
			seen = append(seen, r.mustCall(ctx, g.op, garbage, nil))
		}
		// A broken login body.
		login := r.primaryLogin()
		if rq, err := r.loginRequest(login, r.account(roleValid)); err == nil && hasCredentialIn(login, specs.InBody) {
			rq.broken()
			if resp, err := r.c.do(ctx, rq); err == nil {
				seen = append(seen, resp)
			}
		}
		for _, resp := range seen {
			if resp.status < 400 {
				continue
			}
			if m := stackTrace.FindString(textOf(resp.body)); m != "" {
				failf("the error body holds stack-trace content (%q): got %s\nrule: %s\nresponse: %s", m, r.c.summary(resp), rule, r.c.describe(resp))
			}
		}
	})
}

// errorShapeCheck sends the refusals every spec has (the probe without a credential, a login of
// an unknown account, a login body that breaks its schema) and checks that each refusal whose
// documented response is JSON carries every top-level member of the spec's error body. The
// schemas rarely mark members required, so without this check any JSON object would pass.
func errorShapeCheck(g *group) {
	r := g.r
	g.it("ERR-07", func(ctx SpecContext) {
		rule := req("ERR-07").Rule
		type refusal struct {
			resp *response
			f    specs.Failure
		}
		seen := []refusal{{r.mustCall(ctx, g.op, nil, nil), specs.FailMissingCredential}}
		if login := r.primaryLogin(); login != nil {
			unknown := maps.Clone(r.account(roleValid))
			for _, c := range login.Flow.Credentials {
				if !c.Secret() {
					unknown[c.Field] = unknownIdentifier(login, c, unknown[c.Field])
				}
			}
			if rq, err := r.loginRequest(login, unknown); err == nil {
				seen = append(seen, refusal{r.send(ctx, rq), specs.FailUnknownAccount})
			}
			if rq, err := r.loginRequest(login, r.account(roleValid)); err == nil && hasCredentialIn(login, specs.InBody) {
				rq.body = []byte(`{"authconform": [1, 2`)
				seen = append(seen, refusal{r.send(ctx, rq), specs.FailInvalidRequest})
			}
		}
		checked := 0
		for _, rf := range seen {
			resp := rf.resp
			if resp.status < 400 || !documentsJSON(resp.op, resp.status) {
				continue
			}
			// The shape is the failure's own body where the spec gives one, else the spec's error body.
			members := r.spec.ErrorBody.Fields()
			if fs, ok := resp.op.Flow.FailureOf(rf.f); ok && fs.Body != nil && fs.Status == resp.status {
				members = fs.Body.Fields()
			}
			if len(members) == 0 {
				continue
			}
			checked++
			obj, ok := resp.json().(map[string]any)
			if !ok {
				failf("rule: %s\nthe %d refusal of %s documents a JSON body, but this is not a JSON object\ngot: %s", rule, resp.status, resp.op.Key(), r.c.describe(resp))
			}
			var missing []string
			for _, m := range members {
				if _, ok := obj[m]; !ok {
					missing = append(missing, m)
				}
			}
			if len(missing) > 0 {
				failf("rule: %s\nthe %d refusal of %s lacks %s of the error shape {%s}\ngot: %s", rule, resp.status, resp.op.Key(),
					strings.Join(missing, ", "), strings.Join(members, ", "), r.c.describe(resp))
			}
		}
		if checked == 0 {
			skipf("none of the refusals sent (no credential, unknown account, malformed login) documents a JSON body with a shape the spec names")
		}
	})
}

// documentsJSON reports whether the operation documents a JSON body for that status.
func documentsJSON(op *specs.Operation, status int) bool {
	if op == nil || op.Op.Responses == nil {
		return false
	}
	ref := op.Op.Responses.Status(status)
	if ref == nil {
		ref = op.Op.Responses.Default()
	}
	return ref != nil && ref.Value != nil && ref.Value.Content.Get("application/json") != nil
}

// stackTrace matches frames of the usual runtimes: Java/Kotlin/C#/JS "at pkg.Class.method(File.java:12)",
// Go "goroutine 1 [running]" and "file.go:12 +0x1f", Python tracebacks, Node "at fn (/path/file.js:1:2)".
var stackTrace = regexp.MustCompile(`(?m)(\bat [\w$.<>]+\([\w$]+\.(java|kt|scala|groovy|cs):\d+\))|(goroutine \d+ \[)|(\.go:\d+ \+0x[0-9a-f]+)|(Traceback \(most recent call last\))|(\bat [^\s()]+ \((/|[A-Za-z]:\\)[^)]+\.(js|ts|mjs|cjs):\d+:\d+\))|(Exception in thread ")`)

// textOf is the body as text plus every string in it decoded, so an escaped "\n\tat ..." inside
// a JSON string is seen as the frame it is.
func textOf(body []byte) string {
	var b strings.Builder
	b.Write(body)
	var walk func(any)
	walk = func(v any) {
		switch t := v.(type) {
		case string:
			b.WriteString("\n" + t)
		case []any:
			for _, e := range t {
				walk(e)
			}
		case map[string]any:
			for _, e := range t {
				walk(e)
			}
		}
	}
	var v any
	if json.Unmarshal(body, &v) == nil {
		walk(v)
	}
	return b.String()
}

// queryCredentialCheck is LOG-11: credentials in a URL end up in logs and histories.
func queryCredentialCheck(g *group) {
	r, op := g.r, g.op
	g.it("LOG-11", func(ctx SpecContext) {
		rule := req("LOG-11").Rule
		for _, c := range op.Flow.Credentials {
			if c.In == specs.InQuery && c.Secret() {
				dep := ""
				if op.Deprecated {
					dep = " (deprecated by the vendor)"
				}
				failf("rule: %s\nadvisory: %s%s documents the %s in the query string (%s); RFC 6749 2.3.1 says credentials must not be in the request URI",
					rule, op.Key(), dep, c.Field, c.Location)
			}
		}
		if !hasCredentialIn(op, specs.InBody) {
			skipf("%s takes no credential from the body", op.Key())
		}
		// A decoy account, never a real one: a real password in a URL lands in the target's
		// access logs. A server that reads the query then refuses the decoy as it refuses it
		// in the body; one that does not sees an empty body and refuses that instead.
		decoy := map[string]string{}
		for _, c := range op.Flow.Credentials {
			decoy[c.Field] = unknownIdentifier(op, c, decoy[c.Field])
			if c.Secret() {
				decoy[c.Field] = "authconform-decoy-" + decoy[c.Field][:8]
			}
		}
		inBody, err := r.loginRequest(op, decoy)
		if err != nil {
			skipf("%v", err)
		}
		// bare is a request of op without its credentials: the flow's fixed values and client
		// only, in its media type (an empty JSON object or form where it takes nothing else).
		bare := func() *request {
			rq := &request{op: op, query: url.Values{}}
			body := map[string]any{}
			if err := r.contract(op, rq, body); err != nil {
				needInputf("%v", err)
			}
			rq.encode(body)
			if rq.body == nil {
				rq.body, rq.ctype = []byte(`{}`), ""
				if op.RequestMediaType() == specs.MediaForm {
					rq.body, rq.ctype = []byte{}, specs.MediaForm
				}
			}
			return rq
		}
		inQuery := bare()
		for _, c := range op.Flow.Credentials {
			if c.In == specs.InBody {
				inQuery.query.Set(lastToken(c.Pointer), decoy[c.Field])
			} else if c.In == specs.InQuery {
				inQuery.query.Set(c.Name, decoy[c.Field])
			}
		}
		empty := bare()
		for _, c := range op.Flow.Credentials {
			if c.In == specs.InQuery {
				empty.query.Set(c.Name, decoy[c.Field])
			}
		}
		decoyResp, emptyResp, queryResp := r.send(ctx, inBody), r.send(ctx, empty), r.send(ctx, inQuery)
		if queryResp.status/100 == 2 || first(r.tokens(op, queryResp)[specs.TokenAccess]) != "" {
			failf("%s", r.mismatch(queryResp, "a refusal of a decoy account sent in the query string", rule))
		}
		if sameAnswer(decoyResp, emptyResp) {
			skipf("%s answers a decoy account and an empty body alike (%d), so whether it reads the query string cannot be told", op.Key(), decoyResp.status)
		}
		if sameAnswer(queryResp, decoyResp) && !sameAnswer(queryResp, emptyResp) {
			failf("%s", lines(fmt.Sprintf("expected %s to ignore credentials in the query string (and answer %d, as to an empty body); got %s, its answer to the decoy account",
				op.Key(), emptyResp.status, r.c.summary(queryResp)),
				"rule: "+rule,
				"the decoy account in the body got: "+r.c.describe(decoyResp),
				"an empty body got: "+r.c.describe(emptyResp),
				"the decoy account in the query got: "+r.c.describe(queryResp)))
		}
	})
}

// sameAnswer reports whether two responses have the same status and body.
func sameAnswer(a, b *response) bool { return a.status == b.status && bytes.Equal(a.body, b.body) }
