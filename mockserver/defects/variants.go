package defects

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"strings"
	"time"

	"github.com/authconform/authconform/mockserver"
	"github.com/authconform/authconform/specs"
)

// variantCatalog is every benign variant: a choice the specs leave open. The suites must pass
// against each exactly as against the mock as shipped (`make mutation` proves it).
var variantCatalog = []*Mutation{
	{
		Name: "extra-fields", Variant: true, Flow: "all",
		Summary: "every JSON object answered carries undocumented extra members (and an extra X-Request-Id header)",
		Needs:   "an operation",
		applies: func(*specs.Spec) bool { return true },
		install: func(m *mount) {
			m.onResponse(func(_ *mockserver.Operation, _ *http.Request, res *bufferedResponse) {
				res.h.Set("X-Request-Id", requestID())
				editJSON(res, func(v any) any {
					add := func(x any) {
						if obj, ok := x.(map[string]any); ok {
							obj["authconformExtra"] = map[string]any{"note": "an undocumented member", "n": 1}
						}
					}
					if list, ok := v.([]any); ok {
						for _, x := range list {
							add(x)
						}
					}
					add(v)
					return v
				})
			})
		},
	},
	{
		Name: "field-order", Variant: true, Flow: "all",
		Summary: "JSON object members are sent in reverse alphabetical order",
		Needs:   "an operation",
		applies: func(*specs.Spec) bool { return true },
		install: func(m *mount) {
			m.onResponse(func(_ *mockserver.Operation, _ *http.Request, res *bufferedResponse) {
				editJSON(res, func(v any) any { return reorder(v) })
			})
		},
	},
	{
		Name: "json-charset", Variant: true, Flow: "all",
		Summary: "JSON is labelled \"application/json;charset=UTF-8\", as many frameworks do",
		Needs:   "an operation",
		applies: func(*specs.Spec) bool { return true },
		install: func(m *mount) {
			m.onResponse(func(_ *mockserver.Operation, _ *http.Request, res *bufferedResponse) {
				if res.isJSON() {
					res.h.Set("Content-Type", "application/json;charset=UTF-8")
				}
			})
		},
	},
	{
		Name: "gzip", Variant: true, Flow: "all",
		Summary: "bodies are gzip-compressed for clients that accept it (Content-Encoding: gzip)",
		Needs:   "an operation",
		applies: func(*specs.Spec) bool { return true },
		install: func(m *mount) {
			m.onResponse(func(_ *mockserver.Operation, r *http.Request, res *bufferedResponse) {
				if res.body.Len() == 0 || !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
					return
				}
				var b bytes.Buffer
				zw := gzip.NewWriter(&b)
				_, _ = zw.Write(res.body.Bytes())
				if zw.Close() == nil {
					res.setBody(b.Bytes())
					res.h.Set("Content-Encoding", "gzip")
					res.h.Add("Vary", "Accept-Encoding")
				}
			})
		},
	},
	{
		Name: "header-name-case", Variant: true, Flow: "all",
		Summary: "response header names are sent in lower case (x-auth-token, cache-control), as HTTP/2 servers do",
		Needs:   "an operation",
		applies: func(*specs.Spec) bool { return true },
		install: func(m *mount) { m.hooks().lower = true },
	},
	{
		Name: "chunked", Variant: true, Flow: "all",
		Summary: "responses are sent with chunked transfer encoding, without Content-Length",
		Needs:   "an operation",
		applies: func(*specs.Spec) bool { return true },
		install: func(m *mount) { m.hooks().chunked = true },
	},
	{
		Name: "no-iat", Variant: true, Flow: "tokens",
		Summary: "JWTs carry no iat claim; the response's Date header tells when they were issued",
		Needs:   "a login",
		applies: specHas(kindIs(specs.KindLogin)),
		install: func(m *mount) {
			m.reshape(specs.TokenAccess, func(s *tokenShape) { s.noIat = true })
			m.reshape(specs.TokenRefresh, func(s *tokenShape) { s.noIat = true })
		},
	},
	{
		Name: "opaque-refresh", Variant: true, Flow: "tokens",
		Summary: "refresh tokens are opaque strings, not JWTs",
		Needs:   "a refresh token",
		applies: func(sp *specs.Spec) bool { return sp.Tokens.Refresh != nil },
		install: func(m *mount) { m.tokens().opaque[specs.TokenRefresh] = true },
	},
	{
		Name: "opaque-access", Variant: true, Flow: "tokens",
		Summary: "access tokens are opaque strings, not JWTs",
		Needs:   "a login",
		applies: specHas(kindIs(specs.KindLogin)),
		install: func(m *mount) { m.tokens().opaque[specs.TokenAccess] = true },
	},
	{
		Name: "expiry-leeway-5m", Variant: true, Flow: "tokens",
		Summary: "expiry is judged with five minutes of leeway for clock skew (the default of common JWT libraries)",
		Needs:   "a login",
		applies: specHas(kindIs(specs.KindLogin)),
		install: func(m *mount) {
			m.relax(specs.TokenAccess, func(l *laxity) { l.leeway = 5 * time.Minute })
			m.relax(specs.TokenRefresh, func(l *laxity) { l.leeway = 5 * time.Minute })
		},
	},
	{
		Name: "logout-everywhere", Variant: true, Flow: "logout",
		Summary: "a logout ends every session of the account, not only the one whose token it was called with",
		Needs:   "a logout flow",
		applies: specHas(kindIs(specs.KindLogout)),
		install: func(m *mount) {
			// A logout with a password or an API key ends every session already; one with an
			// access token ends its account's too, once the mock has answered it with success.
			m.onResponse(func(o *mockserver.Operation, r *http.Request, res *bufferedResponse) {
				if res.status/100 != 2 {
					return
				}
				for _, tok := range presentedTokens(o, r) {
					if cl, err := o.Issuer().Verify(tok, specs.TokenAccess); err == nil {
						_ = m.in.srv.Store().RevokeAccount(r.Context(), m.spec.Name, cl.Subject)
					}
				}
			}, specs.KindLogout)
		},
	},
	{
		Name: "trailing-slash", Variant: true, Flow: "all",
		Summary: "every path is also served with its trailing slash added or removed",
		Needs:   "an operation",
		applies: func(*specs.Spec) bool { return true },
		install: func(m *mount) { m.in.slashes = true },
	},
	{
		Name: "www-authenticate", Variant: true, Flow: "resource",
		Summary: "401 answers carry a WWW-Authenticate challenge the spec does not mention",
		Needs:   "a protected operation",
		applies: specHas(func(op *specs.Operation) bool { return op.Protected() }),
		install: func(m *mount) {
			m.onResponse(func(_ *mockserver.Operation, _ *http.Request, res *bufferedResponse) {
				if res.status == http.StatusUnauthorized && res.h.Get("WWW-Authenticate") == "" {
					res.h.Set("WWW-Authenticate", `Bearer realm="api", error="invalid_token"`)
				}
			})
		},
	},
}
