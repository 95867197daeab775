package defects

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/authconform/authconform/mockserver"
	"github.com/authconform/authconform/mockserver/tokens"
	"github.com/authconform/authconform/specs"
)

// vocabularyCatalog are the defects of the rules a team's own spec can state (examples/specs):
// declared account states, fixed values such as grant_type, client authentication, refresh-token
// families and bound values told apart. They join defectCatalog (Defects).
var vocabularyCatalog = []*Mutation{
	{
		Name: "declared-state-let-in", Flow: "login", Catches: []string{"LOG-17"},
		Summary: "an account in a state the spec declares (locked, ...) logs in: the state is not checked",
		Needs:   "a declared state with a demo account in it",
		applies: func(sp *specs.Spec) bool {
			return slices.ContainsFunc(sp.States, func(st specs.State) bool { return hasAccount(st.Name)(sp) })
		},
		install: func(m *mount) {
			var states []specs.AccountState
			for _, st := range m.spec.States {
				states = append(states, st.Name)
			}
			letIn(m, states...)
		},
	},
	{
		Name: "unsupported-grant-as-invalid-request", Flow: "login", Catches: []string{"GRT-01"},
		Summary: "an unknown grant_type answers invalid_request, not the documented unsupported_grant_type",
		Needs:   "a fixed value with a failure of its own",
		applies: specHas(fixesWith(func(fx specs.Fixed) bool { return fx.Failure != specs.FailInvalidRequest })),
		install: func(m *mount) {
			m.ops(fixesWith(func(specs.Fixed) bool { return true }), func(o *mockserver.Operation) {
				o.EditFlow(func(f *specs.Flow) {
					f.Fixed = slices.Clone(f.Fixed)
					for i := range f.Fixed {
						f.Fixed[i].Failure = specs.FailInvalidRequest
					}
				})
			})
		},
	},
	{
		Name: "grant-type-defaulted", Flow: "login", Catches: []string{"GRT-02"},
		Summary: "a token request without grant_type is taken as the password grant",
		Needs:   "a login with a fixed value in a form body",
		applies: specHas(both(kindIs(specs.KindLogin), fixesWith(func(fx specs.Fixed) bool { return fx.In == specs.InBody }))),
		install: func(m *mount) {
			var login *specs.Operation
			for _, op := range m.spec.OperationsOf(specs.KindLogin) {
				if len(op.Flow.Fixed) > 0 {
					login = op
				}
			}
			m.onRequest(func(_ *mockserver.Operation, _ http.ResponseWriter, r *http.Request) bool {
				if login == nil || r.Method != login.Method || !strings.HasPrefix(r.Header.Get("Content-Type"), specs.MediaForm) {
					return false
				}
				body, _ := io.ReadAll(r.Body)
				if form, err := url.ParseQuery(string(body)); err == nil {
					for _, fx := range login.Flow.Fixed {
						if name := strings.TrimPrefix(fx.Pointer, "/"); fx.In == specs.InBody && !form.Has(name) {
							form.Set(name, fx.Value)
						}
					}
					body = []byte(form.Encode())
				}
				r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
				return false
			})
		},
	},
	{
		Name: "client-not-authenticated", Flow: "login", Catches: []string{"CLI-01", "CLI-02"},
		Summary: "the token endpoint takes any client id and secret: client authentication is not done",
		Needs:   "a flow that authenticates its client",
		applies: specHas(authenticatesClient),
		install: func(m *mount) {
			m.ops(authenticatesClient, func(o *mockserver.Operation) {
				o.EditFlow(func(f *specs.Flow) { f.Client = nil })
			})
		},
	},
	{
		Name: "basic-client-auth-refused", Flow: "login", Catches: []string{"CLI-03"},
		Summary: "client credentials sent as HTTP Basic are ignored, so such a client is refused",
		Needs:   "a flow taking client credentials as HTTP Basic",
		applies: specHas(func(op *specs.Operation) bool { return authenticatesClient(op) && op.Flow.Client.Basic }),
		install: func(m *mount) {
			m.ops(authenticatesClient, func(o *mockserver.Operation) {
				o.EditFlow(func(f *specs.Flow) {
					ca := *f.Client
					ca.Basic = false
					f.Client = &ca
				})
			})
		},
	},
	{
		Name: "no-basic-challenge", Flow: "login", Catches: []string{"CLI-04"},
		Summary: "a refused Basic client answers 401 without a WWW-Authenticate challenge",
		Needs:   "a flow taking client credentials as HTTP Basic",
		applies: specHas(func(op *specs.Operation) bool { return authenticatesClient(op) && op.Flow.Client.Basic }),
		install: func(m *mount) {
			m.onResponse(func(_ *mockserver.Operation, _ *http.Request, res *bufferedResponse) {
				res.h.Del("WWW-Authenticate")
			}, specs.KindLogin, specs.KindRefresh)
		},
	},
	{
		Name: "refresh-family-survives-reuse", Flow: "refresh", Catches: []string{"REF-04"},
		Summary: "a reused refresh token is refused, but the family lives on: the newest refresh token still works",
		Needs:   "a refresh flow with onReuse: revokeFamily",
		applies: specHas(func(op *specs.Operation) bool { return op.Flow.OnReuse == specs.ReuseRevokeFamily }),
		install: func(m *mount) {
			m.ops(kindIs(specs.KindRefresh), func(o *mockserver.Operation) {
				o.EditFlow(func(f *specs.Flow) { f.OnReuse = specs.ReuseRefuse })
			})
		},
	},
	{
		Name: "jwks-wrong-key", Flow: "resource", Catches: []string{"JWT-05"},
		Summary: "the JWKS publishes a key other than the one tokens are signed with (a stale or test key)",
		Needs:   "a jwks operation",
		applies: specHas(kindIs(specs.KindJWKS)),
		install: func(m *mount) {
			other, err := tokens.New(tokens.Config{Algorithm: m.spec.Tokens.Algorithm, Issuer: m.spec.Tokens.Issuer, Access: time.Hour})
			m.onResponse(func(_ *mockserver.Operation, _ *http.Request, res *bufferedResponse) {
				set, _ := other.JWKS()
				if err == nil && res.status == http.StatusOK {
					res.body.Reset()
					res.body.Write(set)
				}
			}, specs.KindJWKS)
		},
	},
	{
		Name: "alg-confusion-accepted", Flow: "resource", Catches: []string{"JWT-06"},
		Summary: "an HS256 token is verified with the public key as its HMAC secret, so anyone holding the JWKS forges tokens",
		Needs:   "tokens signed with a key pair (RS256, ES256)",
		applies: func(sp *specs.Spec) bool { return sp.Tokens.Asymmetric() },
		install: func(m *mount) {
			m.relax(specs.TokenAccess, func(l *laxity) { l.hmacPublic = true })
		},
	},
	{
		Name: "kid-path-trusted", Flow: "resource", Catches: []string{"JWT-07"},
		Summary: "a token's kid is read as a key file path, so kid ../../dev/null makes the empty string the secret",
		Needs:   "JWT access tokens",
		applies: func(sp *specs.Spec) bool { return sp.Tokens.Access.Format != specs.FormatOpaque },
		install: func(m *mount) {
			m.relax(specs.TokenAccess, func(l *laxity) { l.kidPath = true })
		},
	},
	{
		Name: "body-binding-ignored", Flow: "resource", Catches: []string{"HDR-05", "HDR-12"},
		Summary: "the tenant a request body names is not checked against the caller's: any tenant's data, or none",
		Needs:   "a flow that binds a request value to the account",
		applies: specHas(func(op *specs.Operation) bool { return len(op.Flow.Binds) > 0 }),
		install: func(m *mount) {
			m.ops(func(op *specs.Operation) bool { return len(op.Flow.Binds) > 0 }, func(o *mockserver.Operation) {
				o.EditFlow(func(f *specs.Flow) { f.Binds = nil })
			})
		},
	},
	{
		Name: "bound-missing-as-mismatch", Flow: "resource", Catches: []string{"HDR-05"},
		Summary: "a missing tenant header gets the status of another tenant's (403), not its own documented one (400)",
		Needs:   "distinct documented statuses for a missing and a mismatched bound value",
		applies: specHas(distinctBound),
		install: func(m *mount) {
			m.ops(distinctBound, func(o *mockserver.Operation) {
				if st, ok := o.Flow().Failure(specs.FailBoundMismatch); ok {
					o.SetFailures(st, specs.FailBoundMissing)
				}
			})
		},
	},
}

// authenticatesClient: a login or refresh that authenticates its client.
func authenticatesClient(op *specs.Operation) bool { return op.Flow.Client != nil }

// fixesWith: a login or refresh with a fixed value satisfying pred.
func fixesWith(pred func(specs.Fixed) bool) func(*specs.Operation) bool {
	return func(op *specs.Operation) bool { return slices.ContainsFunc(op.Flow.Fixed, pred) }
}

// distinctBound: an operation whose missing and mismatched bound values have their own statuses.
func distinctBound(op *specs.Operation) bool {
	miss, ok1 := op.Flow.FailureOf(specs.FailBoundMissing)
	mis, ok2 := op.Flow.FailureOf(specs.FailBoundMismatch)
	return ok1 && ok2 && miss.Name == specs.FailBoundMissing && miss.Status != mis.Status
}
