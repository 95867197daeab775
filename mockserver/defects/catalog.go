package defects

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/authconform/authconform/mockserver"
	"github.com/authconform/authconform/specs"
)

// defectCatalog is every deliberate defect: a realistic bug, what it needs in a spec, and which
// checks are expected to catch it. `make mutation` (tools/mutation) proves each is caught on every
// bundled spec it applies to; docs/mutation.md is generated from this list (make docs).
// The rule: a new check comes with a defect it catches; a new defect with the check that does.
var defectCatalog = []*Mutation{
	// login
	{
		Name: "login-refusal-200", Flow: "login", Catches: []string{"LOG-05", "LOG-13"},
		Summary: "a refused login answers 200 with the error body instead of the documented failure status",
		Needs:   "a login",
		applies: specHas(kindIs(specs.KindLogin)),
		install: func(m *mount) {
			m.ops(kindIs(specs.KindLogin), func(o *mockserver.Operation) {
				o.SetFailures(http.StatusOK, specs.FailBadCredentials, specs.FailUnknownAccount, specs.FailAccountDisabled, specs.FailPasswordExpired)
			})
		},
	},
	{
		Name: "login-refusal-500", Flow: "login", Catches: []string{"LOG-05", "LOG-13"},
		Summary: "a refused login answers 500 (an uncaught exception) instead of the documented failure status",
		Needs:   "a login",
		applies: specHas(kindIs(specs.KindLogin)),
		install: func(m *mount) {
			m.ops(kindIs(specs.KindLogin), func(o *mockserver.Operation) {
				o.SetFailures(http.StatusInternalServerError, specs.FailBadCredentials, specs.FailUnknownAccount, specs.FailAccountDisabled, specs.FailPasswordExpired)
			})
		},
	},
	{
		Name: "login-refusal-400", Flow: "login", Catches: []string{"LOG-05", "LOG-13"},
		Summary: "a refused login answers a generic 400 instead of the documented status (401, 555, ...)",
		Needs:   "a login documenting a refusal status other than 400",
		applies: specHas(documentsOther(specs.FailUnknownAccount, http.StatusBadRequest)),
		install: func(m *mount) {
			m.ops(documentsOther(specs.FailUnknownAccount, http.StatusBadRequest), func(o *mockserver.Operation) {
				o.SetFailures(http.StatusBadRequest, specs.FailBadCredentials, specs.FailUnknownAccount, specs.FailAccountDisabled, specs.FailPasswordExpired)
			})
		},
	},
	{
		Name: "unknown-account-404", Flow: "login", Catches: []string{"LOG-13"},
		Summary: "an unknown account answers 404 \"user not found\" (and so tells which accounts exist)",
		Needs:   "a login documenting a refusal status other than 404",
		applies: specHas(documentsOther(specs.FailUnknownAccount, http.StatusNotFound)),
		install: func(m *mount) {
			m.ops(documentsOther(specs.FailUnknownAccount, http.StatusNotFound), func(o *mockserver.Operation) {
				o.SetFailures(http.StatusNotFound, specs.FailUnknownAccount)
			})
		},
	},
	{
		Name: "wrong-password-accepted", Flow: "login", Catches: []string{"LOG-05"},
		Summary: "the password is not checked: any password logs a known account in",
		Needs:   "a login taking a password",
		applies: specHas(takesSecret),
		install: func(m *mount) { ignorePassword(m) },
	},
	{
		Name: "disabled-account-let-in", Flow: "login", Catches: []string{"LOG-14"},
		Summary: "a disabled account logs in (the state is not checked at login)",
		Needs:   "a disabled demo account",
		applies: hasAccount(specs.StateDisabled),
		install: func(m *mount) { letIn(m, specs.StateDisabled) },
	},
	{
		Name: "expired-password-let-in", Flow: "login", Catches: []string{"LOG-15"},
		Summary: "an account whose password has expired logs in",
		Needs:   "a password-expired demo account",
		applies: hasAccount(specs.StatePasswordExpired),
		install: func(m *mount) { letIn(m, specs.StatePasswordExpired) },
	},
	{
		Name: "account-state-as-bad-credentials", Flow: "login", Catches: []string{"LOG-14", "LOG-15"},
		Summary: "a disabled or password-expired account gets the wrong-password status, not the one documented for it",
		Needs:   "a login documenting a distinct status for a disabled or password-expired account",
		applies: specHas(func(op *specs.Operation) bool {
			return distinctState(specs.FailAccountDisabled)(op) || distinctState(specs.FailPasswordExpired)(op)
		}),
		install: func(m *mount) {
			m.ops(kindIs(specs.KindLogin), func(o *mockserver.Operation) {
				bad, ok := o.Flow().Failure(specs.FailBadCredentials)
				if !ok {
					bad, ok = o.Flow().Failure(specs.FailUnknownAccount)
				}
				if ok {
					o.SetFailures(bad, specs.FailAccountDisabled, specs.FailPasswordExpired)
				}
			})
		},
	},
	{
		Name: "login-credentials-from-query", Flow: "login", Catches: []string{"LOG-11"},
		Summary: "a login also takes its credentials from the query string (where logs and histories keep them)",
		Needs:   "a login reading credentials from its body",
		applies: specHas(takesBodyCredentials),
		install: func(m *mount) {
			m.onRequest(func(o *mockserver.Operation, w http.ResponseWriter, r *http.Request) bool {
				if !takesBodyCredentials(o.Op()) {
					return false
				}
				q := r.URL.Query()
				doc, encode := bodyDoc(r, m.in.readBody(r))
				if doc == nil {
					doc, encode = map[string]any{}, func(doc map[string]any) []byte { b, _ := json.Marshal(doc); return b }
					r.Header.Set("Content-Type", "application/json")
				}
				found := false
				for _, c := range o.Flow().Credentials {
					name := c.Pointer[strings.LastIndexByte(c.Pointer, '/')+1:]
					if c.In == specs.InBody && q.Has(name) {
						specs.SetPointer(doc, c.Pointer, q.Get(name))
						found = true
					}
				}
				if found {
					setBody(r, encode(doc))
				}
				return false
			}, specs.KindLogin)
		},
	},
	{
		Name: "malformed-login-500", Flow: "login", Catches: []string{"LOG-07", "LOG-16"},
		Summary: "a login body that does not parse answers 500 instead of a 4xx",
		Needs:   "a login",
		applies: specHas(kindIs(specs.KindLogin)),
		install: func(m *mount) {
			m.ops(kindIs(specs.KindLogin), func(o *mockserver.Operation) { o.SetFailures(http.StatusInternalServerError, specs.FailInvalidRequest) })
		},
	},
	{
		Name: "malformed-login-422", Flow: "login", Catches: []string{"LOG-16"},
		Summary: "a login body that does not parse answers the framework's 422 where the spec names another 4xx",
		Needs:   "a login documenting a malformed-request status other than 422",
		applies: specHas(both(kindIs(specs.KindLogin), documentsOther(specs.FailInvalidRequest, http.StatusUnprocessableEntity))),
		install: func(m *mount) {
			m.ops(both(kindIs(specs.KindLogin), documentsOther(specs.FailInvalidRequest, http.StatusUnprocessableEntity)), func(o *mockserver.Operation) {
				o.SetFailures(http.StatusUnprocessableEntity, specs.FailInvalidRequest)
			})
		},
	},
	{
		Name: "login-status-201", Flow: "login", Catches: []string{"LOG-01", "GEN-03"},
		Summary: "a successful login answers 201 Created instead of the documented status",
		Needs:   "a login",
		applies: specHas(kindIs(specs.KindLogin)),
		install: func(m *mount) {
			m.ops(kindIs(specs.KindLogin), func(o *mockserver.Operation) { o.SetStatus(http.StatusCreated) })
		},
	},
	{
		Name: "header-token-dropped", Flow: "login", Catches: []string{"LOG-01", "GEN-03"},
		Summary: "the token documented in a response header is not sent there (only in the body, if at all)",
		Needs:   "a login writing its access token to a response header",
		applies: specHas(both(kindIs(specs.KindLogin), writesAccess(specs.InHeader))),
		install: func(m *mount) {
			m.ops(both(kindIs(specs.KindLogin), writesAccess(specs.InHeader)), func(o *mockserver.Operation) {
				o.EditFlow(func(f *specs.Flow) {
					f.Tokens = slices.DeleteFunc(f.Tokens, func(t specs.TokenOut) bool { return t.In == specs.InHeader })
				})
			})
		},
	},
	{
		Name: "body-token-dropped", Flow: "login", Catches: []string{"LOG-01", "GEN-03"},
		Summary: "a token documented in both a header and the body is sent in the header only",
		Needs:   "a login writing its access token to both a header and the body",
		applies: specHas(both(writesAccess(specs.InHeader), writesAccess(specs.InBody))),
		install: func(m *mount) {
			m.ops(both(writesAccess(specs.InHeader), writesAccess(specs.InBody)), func(o *mockserver.Operation) {
				o.EditFlow(func(f *specs.Flow) {
					f.Tokens = slices.DeleteFunc(f.Tokens, func(t specs.TokenOut) bool { return t.In == specs.InBody })
				})
			})
		},
	},
	{
		Name: "header-body-tokens-differ", Flow: "login", Catches: []string{"LOG-02"},
		Summary: "the header and the body carry two different (each valid) tokens where the spec documents one",
		Needs:   "a login writing its access token to both a header and the body",
		applies: specHas(both(writesAccess(specs.InHeader), writesAccess(specs.InBody))),
		install: func(m *mount) {
			m.onResponse(func(o *mockserver.Operation, _ *http.Request, res *bufferedResponse) {
				if !writesAccess(specs.InBody)(o.Op()) || res.status/100 != 2 {
					return
				}
				for _, t := range accessPlaces(o) {
					if t.In != specs.InHeader {
						continue
					}
					cl, err := o.Issuer().Verify(res.h.Get(t.Name), specs.TokenAccess)
					if err != nil {
						continue
					}
					if other, err := o.Issuer().Issue(specs.TokenAccess, cl.Subject, cl.SID, cl.Gen); err == nil {
						res.h.Set(t.Name, other.Token)
					}
				}
			}, specs.KindLogin)
		},
	},
	{
		Name: "token-field-renamed", Flow: "login", Catches: []string{"LOG-01"},
		Summary: "the access token's body field is renamed by another serializer naming policy (accessToken -> access_token)",
		Needs:   "a login writing its access token to the body",
		applies: specHas(both(kindIs(specs.KindLogin), writesAccess(specs.InBody))),
		install: func(m *mount) {
			m.ops(both(kindIs(specs.KindLogin, specs.KindRefresh), writesAccess(specs.InBody)), func(o *mockserver.Operation) {
				o.EditFlow(func(f *specs.Flow) {
					for i, t := range f.Tokens {
						if t.Token == specs.TokenAccess && t.In == specs.InBody {
							f.Tokens[i].Pointer = renamePointer(t.Pointer)
						}
					}
				})
			})
		},
	},
	{
		Name: "deprecated-login-removed", Flow: "login", Catches: []string{"LOG-01"},
		Summary: "a deprecated login that the spec still documents answers 404 (removed before its time)",
		Needs:   "a deprecated login",
		applies: specHas(func(op *specs.Operation) bool { return op.Flow.Kind == specs.KindLogin && op.Deprecated }),
		install: func(m *mount) {
			m.onRequest(func(o *mockserver.Operation, w http.ResponseWriter, r *http.Request) bool {
				if !o.Op().Deprecated {
					return false
				}
				mockserver.WritePlain(w, http.StatusNotFound, "no operation at "+r.URL.Path)
				return true
			}, specs.KindLogin)
		},
	},
	{
		Name: "token-response-cacheable", Flow: "login", Catches: []string{"LOG-03", "LIF-10"},
		Summary: "login and refresh responses carry no Cache-Control: no-store, so proxies may keep tokens",
		Needs:   "a login",
		applies: specHas(kindIs(specs.KindLogin)),
		install: func(m *mount) {
			m.onResponse(func(_ *mockserver.Operation, _ *http.Request, res *bufferedResponse) {
				res.h.Del("Cache-Control")
				res.h.Del("Pragma")
			}, specs.KindLogin, specs.KindRefresh)
		},
	},

	// tokens
	{
		Name: "access-lifetime-half", Flow: "tokens", Catches: []string{"LIF-02"},
		Summary: "the access token lives half its lifetime (12 h where 24 h is documented)",
		Needs:   "a login issuing an access token",
		applies: specHas(kindIs(specs.KindLogin)),
		install: func(m *mount) {
			m.relife(specs.TokenAccess, func(d time.Duration) time.Duration { return d / 2 })
		},
	},
	{
		Name: "refresh-lifetime-short", Flow: "tokens", Catches: []string{"LIF-16", "LIF-11"},
		Summary: "the refresh token lives a twelfth of its lifetime (30 d where 360 d is documented: days read as months)",
		Needs:   "a refresh token",
		applies: func(sp *specs.Spec) bool { return sp.Tokens.Refresh != nil },
		install: func(m *mount) {
			m.relife(specs.TokenRefresh, func(d time.Duration) time.Duration { return d / 12 })
		},
	},
	{
		Name: "token-without-exp", Flow: "tokens", Catches: []string{"LIF-01"},
		Summary: "access tokens carry no exp claim and never expire",
		Needs:   "a login issuing an access token",
		applies: specHas(kindIs(specs.KindLogin)),
		install: func(m *mount) {
			m.reshape(specs.TokenAccess, func(s *tokenShape) { s.noExp = true })
			m.relax(specs.TokenAccess, func(l *laxity) { l.noExpiry = true })
		},
	},
	{
		Name: "access-expiry-not-enforced", Flow: "tokens", Catches: []string{"LIF-08"},
		Summary: "an expired access token is still accepted (exp is not checked)",
		Needs:   "a protected operation taking an access token",
		applies: specHas(schemeWhere(accepts(specs.CredAccessToken))),
		install: func(m *mount) {
			m.relax(specs.TokenAccess, func(l *laxity) { l.leeway = 100 * 365 * 24 * time.Hour })
		},
	},
	{
		Name: "refresh-expiry-not-enforced", Flow: "tokens", Catches: []string{"LIF-11"},
		Summary: "an expired refresh token is still exchanged",
		Needs:   "a refresh flow",
		applies: specHas(kindIs(specs.KindRefresh)),
		install: func(m *mount) {
			m.relax(specs.TokenRefresh, func(l *laxity) { l.leeway = 100 * 365 * 24 * time.Hour })
		},
	},
	{
		Name: "signature-not-checked", Flow: "tokens", Catches: []string{"JWT-02", "JWT-03"},
		Summary: "the JWT signature of access tokens is not verified (the claims are only decoded)",
		Needs:   "a protected operation taking an access token",
		applies: specHas(schemeWhere(accepts(specs.CredAccessToken))),
		install: func(m *mount) {
			m.relax(specs.TokenAccess, func(l *laxity) { l.noSignature = true })
		},
	},
	{
		Name: "alg-none-accepted", Flow: "tokens", Catches: []string{"JWT-04"},
		Summary: "an unsigned access token (alg \"none\") is accepted",
		Needs:   "a protected operation taking an access token",
		applies: specHas(schemeWhere(accepts(specs.CredAccessToken))),
		install: func(m *mount) {
			m.relax(specs.TokenAccess, func(l *laxity) { l.allowNone = true })
		},
	},
	{
		Name: "access-token-as-refresh", Flow: "refresh", Catches: []string{"LIF-13"},
		Summary: "an access token is accepted as a refresh token (the token kind is not checked)",
		Needs:   "a refresh flow",
		applies: specHas(kindIs(specs.KindRefresh)),
		install: func(m *mount) {
			m.relax(specs.TokenRefresh, func(l *laxity) { l.anyUse = true })
		},
	},
	{
		Name: "refresh-token-as-access", Flow: "refresh", Catches: []string{"LIF-17"},
		Summary: "a refresh token is accepted as an access token on protected calls",
		Needs:   "a refresh flow and a protected operation taking an access token",
		applies: func(sp *specs.Spec) bool {
			// an opaque refresh token is no JWT a lax access check could read
			jwtRefresh := sp.Tokens.Refresh != nil && sp.Tokens.Refresh.Format != specs.FormatOpaque
			return jwtRefresh && specHas(kindIs(specs.KindRefresh))(sp) && specHas(schemeWhere(accepts(specs.CredAccessToken)))(sp)
		},
		install: func(m *mount) {
			m.relax(specs.TokenAccess, func(l *laxity) { l.anyUse = true })
		},
	},

	// refresh
	{
		Name: "refresh-not-rotated", Flow: "refresh", Catches: []string{"LIF-12"},
		Summary: "a refresh documented as rotating hands back the same refresh token, which stays valid",
		Needs:   "a rotating refresh flow",
		applies: specHas(func(op *specs.Operation) bool { return op.Flow.Kind == specs.KindRefresh && op.Flow.Rotate }),
		install: func(m *mount) {
			m.ops(kindIs(specs.KindRefresh), func(o *mockserver.Operation) { o.EditFlow(func(f *specs.Flow) { f.Rotate = false }) })
		},
	},
	{
		Name: "refresh-reuse-not-detected", Flow: "refresh", Catches: []string{"LIF-12"},
		Summary: "a rotating refresh issues a new refresh token but the used one keeps working",
		Needs:   "a rotating refresh flow",
		applies: specHas(func(op *specs.Operation) bool { return op.Flow.Kind == specs.KindRefresh && op.Flow.Rotate }),
		install: func(m *mount) { m.store().reuseRefresh = true },
	},
	{
		Name: "refresh-refusal-400", Flow: "refresh", Catches: []string{"REF-02"},
		Summary: "a garbage refresh token answers a generic 400 instead of the documented status",
		Needs:   "a refresh flow documenting a refusal status other than 400",
		applies: specHas(both(kindIs(specs.KindRefresh), documentsOther(specs.FailInvalidCredential, http.StatusBadRequest))),
		install: func(m *mount) {
			m.ops(kindIs(specs.KindRefresh), func(o *mockserver.Operation) { o.SetFailures(http.StatusBadRequest, specs.FailInvalidCredential) })
		},
	},
	{
		Name: "refreshed-token-unusable", Flow: "refresh", Catches: []string{"REF-01"},
		Summary: "the access token a refresh returns is signed with a stale key and refused everywhere",
		Needs:   "a refresh flow",
		applies: specHas(kindIs(specs.KindRefresh)),
		install: func(m *mount) {
			m.onResponse(func(o *mockserver.Operation, _ *http.Request, res *bufferedResponse) {
				editAccessTokens(o, res, breakSignature)
			}, specs.KindRefresh)
		},
	},
	{
		Name: "rotated-refresh-token-unusable", Flow: "refresh", Catches: []string{"REF-03"},
		Summary: "the refresh token a refresh hands out is one the server never stored: the next refresh fails",
		Needs:   "a refresh flow that hands out a refresh token",
		applies: specHas(both(kindIs(specs.KindRefresh), writesRefresh)),
		install: func(m *mount) {
			m.onResponse(func(o *mockserver.Operation, _ *http.Request, res *bufferedResponse) {
				editTokens(o, res, specs.TokenRefresh, breakSignature)
			}, specs.KindRefresh)
		},
	},

	// logout
	{
		Name: "logout-not-revoking", Flow: "logout", Catches: []string{"OUT-02", "OUT-03"},
		Summary: "logout answers success but revokes nothing: the tokens keep working",
		Needs:   "a logout flow",
		applies: specHas(kindIs(specs.KindLogout)),
		install: func(m *mount) { m.store().noRevoke = true },
	},
	{
		Name: "logout-keeps-refresh", Flow: "logout", Catches: []string{"OUT-03"},
		Summary: "logout blocks the access token it was called with but leaves the session's refresh token working",
		Needs:   "a logout taking an access token, and a refresh flow",
		applies: func(sp *specs.Spec) bool {
			return specHas(both(kindIs(specs.KindLogout), schemeWhere(accepts(specs.CredAccessToken))))(sp) && specHas(kindIs(specs.KindRefresh))(sp)
		},
		install: func(m *mount) {
			m.store().noRevoke = true
			var blocked sync.Map // access tokens presented to a logout
			m.onRequest(func(o *mockserver.Operation, w http.ResponseWriter, r *http.Request) bool {
				tokens := presentedTokens(o, r)
				if o.Flow().Kind == specs.KindLogout {
					for _, t := range tokens {
						blocked.Store(t, true)
					}
					return false
				}
				for _, t := range tokens {
					if _, ok := blocked.Load(t); ok {
						o.WriteFailure(w, r, specs.FailInvalidCredential, "the token has been revoked (logout)")
						return true
					}
				}
				return false
			})
		},
	},
	{
		Name: "logout-without-credentials-ok", Flow: "logout", Catches: []string{"OUT-05"},
		Summary: "a logout without any credential answers success (\"nothing to do\") instead of the documented refusal",
		Needs:   "a logout flow",
		applies: specHas(kindIs(specs.KindLogout)),
		install: func(m *mount) {
			m.onRequest(func(o *mockserver.Operation, w http.ResponseWriter, r *http.Request) bool {
				if hasCredential(o, r) {
					return false
				}
				o.WriteSuccess(w)
				return true
			}, specs.KindLogout)
		},
	},
	{
		Name: "logout-status-204", Flow: "logout", Catches: []string{"OUT-01"},
		Summary: "logout answers 204 No Content where another success status is documented",
		Needs:   "a logout flow documenting a success other than 204",
		applies: specHas(func(op *specs.Operation) bool {
			return op.Flow.Kind == specs.KindLogout && op.Flow.Status != http.StatusNoContent
		}),
		install: func(m *mount) {
			m.ops(kindIs(specs.KindLogout), func(o *mockserver.Operation) { o.SetStatus(http.StatusNoContent) })
		},
	},

	// API keys
	{
		Name: "key-create-201", Flow: "apikey", Catches: []string{"KEY-01"},
		Summary: "creating an API key answers 201 Created where another status is documented",
		Needs:   "an apikey-create flow documenting a success other than 201",
		applies: specHas(func(op *specs.Operation) bool {
			return op.Flow.Kind == specs.KindAPIKeyCreate && op.Flow.Status != http.StatusCreated
		}),
		install: func(m *mount) {
			m.ops(kindIs(specs.KindAPIKeyCreate), func(o *mockserver.Operation) { o.SetStatus(http.StatusCreated) })
		},
	},
	{
		Name: "created-key-unusable", Flow: "apikey", Catches: []string{"KEY-07"},
		Summary: "a created API key is never accepted as a credential (authentication does not consult the key store)",
		Needs:   "an apikey-create flow and a protected operation taking API keys",
		applies: func(sp *specs.Spec) bool {
			return specHas(kindIs(specs.KindAPIKeyCreate))(sp) && specHas(schemeWhere(accepts(specs.CredAPIKey)))(sp)
		},
		install: func(m *mount) { m.store().keysUnusable[m.spec.Name] = true },
	},
	{
		Name: "key-list-empty", Flow: "apikey", Catches: []string{"KEY-06"},
		Summary: "the API-key list is always empty (it reads a replica that never catches up)",
		Needs:   "an apikey-list flow",
		applies: specHas(kindIs(specs.KindAPIKeyList)),
		install: func(m *mount) { m.store().listEmpty[m.spec.Name] = true },
	},
	{
		Name: "keys-listed-to-everyone", Flow: "apikey", Catches: []string{"KEY-04"},
		Summary: "the API-key list shows every account's keys, not only the caller's",
		Needs:   "an apikey-list flow",
		applies: specHas(kindIs(specs.KindAPIKeyList)),
		install: func(m *mount) { m.store().listAll[m.spec.Name] = true },
	},
	{
		Name: "deleted-key-still-works", Flow: "apikey", Catches: []string{"KEY-03"},
		Summary: "a deleted API key leaves the list but still authenticates (a cache is not invalidated)",
		Needs:   "an apikey-delete flow and a protected operation taking API keys",
		applies: func(sp *specs.Spec) bool {
			return specHas(kindIs(specs.KindAPIKeyDelete))(sp) && specHas(schemeWhere(accepts(specs.CredAPIKey)))(sp)
		},
		install: func(m *mount) { m.store().ghostAuth[m.spec.Name] = true },
	},
	{
		Name: "deleted-key-still-listed", Flow: "apikey", Catches: []string{"KEY-03"},
		Summary: "a deleted API key stops working but is still listed",
		Needs:   "an apikey-delete flow and an apikey-list flow",
		applies: func(sp *specs.Spec) bool {
			return specHas(kindIs(specs.KindAPIKeyDelete))(sp) && specHas(kindIs(specs.KindAPIKeyList))(sp)
		},
		install: func(m *mount) { m.store().ghostList[m.spec.Name] = true },
	},
	{
		Name: "anyone-deletes-keys", Flow: "apikey", Catches: []string{"KEY-08"},
		Summary: "any account may delete any API key (ownership is not checked)",
		Needs:   "an apikey-delete flow",
		applies: specHas(kindIs(specs.KindAPIKeyDelete)),
		install: func(m *mount) { m.store().deleteAny[m.spec.Name] = true },
	},
	{
		Name: "foreign-key-delete-403", Flow: "apikey", Catches: []string{"KEY-09"},
		Summary: "deleting another account's API key answers 403 where the spec documents another status",
		Needs:   "an apikey-delete flow documenting a not-found status other than 403",
		applies: specHas(both(kindIs(specs.KindAPIKeyDelete), documentsOther(specs.FailNotFound, http.StatusForbidden))),
		install: func(m *mount) {
			m.ops(kindIs(specs.KindAPIKeyDelete), func(o *mockserver.Operation) { o.SetFailures(http.StatusForbidden, specs.FailNotFound) })
		},
	},
	{
		Name: "key-list-wrapped", Flow: "apikey", Catches: []string{"GEN-03"},
		Summary: "the API-key list comes wrapped in an object ({\"items\": [...]}) where the spec documents an array",
		Needs:   "an apikey-list flow",
		applies: specHas(kindIs(specs.KindAPIKeyList)),
		install: func(m *mount) {
			m.onResponse(func(_ *mockserver.Operation, _ *http.Request, res *bufferedResponse) {
				if res.status/100 == 2 {
					editJSON(res, func(v any) any {
						if list, ok := v.([]any); ok {
							return map[string]any{"items": list}
						}
						return v
					})
				}
			}, specs.KindAPIKeyList)
		},
	},

	// resource: credentials and errors
	{
		Name: "resource-unprotected", Flow: "resource", Catches: []string{"HDR-02"},
		Summary: "a protected operation answers without any credential (the endpoint forgot its auth filter)",
		Needs:   "a protected resource operation",
		applies: specHas(both(kindIs(specs.KindResource), func(op *specs.Operation) bool { return op.Protected() })),
		install: func(m *mount) {
			m.onRequest(func(o *mockserver.Operation, w http.ResponseWriter, r *http.Request) bool {
				if !o.Op().Protected() || hasCredential(o, r) {
					return false
				}
				o.WriteSuccess(w)
				return true
			}, specs.KindResource)
		},
	},
	{
		Name: "missing-credential-403", Flow: "resource", Catches: []string{"HDR-02"},
		Summary: "a protected call without credentials answers 403 where the spec documents another status",
		Needs:   "a protected operation documenting a missing-credential status other than 403",
		applies: specHas(documentsOther(specs.FailMissingCredential, http.StatusForbidden)),
		install: func(m *mount) {
			m.ops(func(op *specs.Operation) bool { return op.Protected() }, func(o *mockserver.Operation) {
				o.SetFailures(http.StatusForbidden, specs.FailMissingCredential)
			})
		},
	},
	{
		Name: "invalid-credential-403", Flow: "resource", Catches: []string{"HDR-03"},
		Summary: "a garbage, forged, expired or revoked credential answers 403 where the spec documents another status",
		Needs:   "a protected operation documenting an invalid-credential status other than 403",
		applies: specHas(both(func(op *specs.Operation) bool { return op.Protected() }, documentsOther(specs.FailInvalidCredential, http.StatusForbidden))),
		install: func(m *mount) {
			m.ops(func(op *specs.Operation) bool { return op.Protected() }, func(o *mockserver.Operation) {
				o.SetFailures(http.StatusForbidden, specs.FailInvalidCredential, specs.FailTenantMismatch)
			})
		},
	},
	{
		Name: "bearer-scheme-case-sensitive", Flow: "resource", Catches: []string{"HDR-01"},
		Summary: "the Bearer scheme name is matched case-sensitively: \"bearer <token>\" is refused",
		Needs:   "a protected operation taking an access token as Authorization: Bearer",
		applies: specHas(schemeWhere(isBearer)),
		install: func(m *mount) {
			m.onRequest(func(o *mockserver.Operation, _ http.ResponseWriter, r *http.Request) bool {
				if v := r.Header.Get("Authorization"); len(v) > 7 && strings.EqualFold(v[:7], "bearer ") && v[:7] != "Bearer " {
					r.Header.Del("Authorization")
				}
				return false
			})
		},
	},
	{
		Name: "header-names-case-sensitive", Flow: "resource", Catches: []string{"HDR-06"},
		Summary: "credential header names are matched case-sensitively: \"x-auth-token\" is not \"X-Auth-Token\"",
		Needs:   "a protected operation whose credential header the spec spells with capitals",
		applies: specHas(schemeWhere(func(s *specs.Scheme) bool { return s.In != specs.InQuery && strings.ToLower(s.Header) != s.Header })),
		install: func(m *mount) {
			for _, op := range m.spec.Operations {
				for _, alt := range op.Security {
					for _, s := range alt {
						if l := strings.ToLower(s.Header); s.In != specs.InQuery && l != s.Header && !slices.Contains(m.in.blind, l) {
							m.in.blind = append(m.in.blind, l)
						}
					}
				}
			}
		},
	},
	{
		Name: "token-in-query-accepted", Flow: "resource", Catches: []string{"HDR-08"},
		Summary: "protected calls also take the access token from ?access_token= in the URL, where logs keep it (RFC 6750 5.3)",
		Needs:   "a protected operation taking an access token in a header",
		applies: specHas(schemeWhere(func(s *specs.Scheme) bool { return s.AcceptsKind(specs.CredAccessToken) && s.In != specs.InQuery })),
		install: func(m *mount) {
			m.onRequest(func(o *mockserver.Operation, _ http.ResponseWriter, r *http.Request) bool {
				tok := r.URL.Query().Get("access_token")
				if tok == "" || hasCredential(o, r) {
					return false
				}
				for _, alt := range o.Op().Security {
					for _, s := range alt {
						if s.AcceptsKind(specs.CredAccessToken) && s.In != specs.InQuery {
							if s.IsBearer() {
								tok = "Bearer " + tok
							}
							r.Header.Set(s.Header, tok)
							return false
						}
					}
				}
				return false
			})
		},
	},
	{
		Name: "tenant-header-ignored", Flow: "resource", Catches: []string{"HDR-05"},
		Summary: "the bound header (a tenant or company id) is ignored: any value, or none, is accepted with a valid token",
		Needs:   "a protected operation binding a header to the account",
		applies: specHas(schemeWhere(binds)),
		install: func(m *mount) {
			m.ops(schemeWhere(binds), func(o *mockserver.Operation) {
				o.EditSecurity(func(s *specs.Scheme) *specs.Scheme {
					if s.Binds != "" {
						return nil
					}
					return s
				})
			})
		},
	},
	{
		Name: "apikey-credential-refused", Flow: "resource", Catches: []string{"HDR-11", "KEY-07"},
		Summary: "protected calls refuse API keys, a documented credential form (the filter only knows tokens)",
		Needs:   "a protected operation taking API keys",
		applies: specHas(schemeWhere(accepts(specs.CredAPIKey))),
		install: func(m *mount) {
			m.ops(schemeWhere(accepts(specs.CredAPIKey)), func(o *mockserver.Operation) { o.EditSecurity(withoutKind(specs.CredAPIKey)) })
		},
	},
	{
		Name: "impersonation-unchecked", Flow: "resource", Catches: []string{"HDR-13"},
		Summary: "the impersonation header is ignored: naming an account that does not exist still acts as the key's owner",
		Needs:   "a protected operation with an impersonation header",
		applies: specHas(schemeWhere(impersonates)),
		install: func(m *mount) {
			m.ops(schemeWhere(impersonates), func(o *mockserver.Operation) {
				o.EditSecurity(func(s *specs.Scheme) *specs.Scheme {
					if s.Impersonates == "" {
						return s
					}
					c := *s
					c.Impersonates, c.Accepts = "", nil
					c.Optional = true
					return &c
				})
			})
		},
	},
	{
		Name: "raw-token-refused", Flow: "resource", Catches: []string{"HDR-11"},
		Summary: "a server that declares the raw-token reading (Authorization: <jwt>) still demands \"Bearer <jwt>\"",
		Needs:   "a bearer scheme with a reading that takes the raw token",
		applies: func(sp *specs.Spec) bool { _, _, _, ok := rawTokenReading(sp); return ok },
		readings: func(sp *specs.Spec) map[string]string {
			id, choice, _, _ := rawTokenReading(sp)
			return map[string]string{id: choice}
		},
		install: func(m *mount) {
			_, _, name, _ := rawTokenReading(m.spec)
			m.ops(schemeWhere(func(s *specs.Scheme) bool { return s.Name == name }), func(o *mockserver.Operation) {
				o.EditSecurity(func(s *specs.Scheme) *specs.Scheme {
					if s.Name != name {
						return s
					}
					c := *s
					c.BearerPrefix = specs.PrefixRequired
					return &c
				})
			})
		},
	},
	{
		Name: "basic-credential-refused", Flow: "resource", Catches: []string{"HDR-11"},
		Summary: "protected calls refuse Basic username:password, a documented credential form",
		Needs:   "a protected operation taking Basic credentials",
		applies: specHas(schemeWhere(accepts(specs.CredPassword))),
		install: func(m *mount) {
			m.ops(schemeWhere(accepts(specs.CredPassword)), func(o *mockserver.Operation) { o.EditSecurity(withoutKind(specs.CredPassword)) })
		},
	},
	{
		Name: "resource-body-null", Flow: "resource", Catches: []string{"GEN-03"},
		Summary: "a protected operation answers its success with a null body (a serializer writing an empty result)",
		Needs:   "a protected operation with a JSON success body",
		applies: specHas(both(kindIs(specs.KindResource), jsonSuccess)),
		install: func(m *mount) {
			m.onResponse(func(_ *mockserver.Operation, _ *http.Request, res *bufferedResponse) {
				if res.status/100 == 2 && res.isJSON() {
					res.setBody([]byte("null"))
				}
			}, specs.KindResource)
		},
	},
	{
		Name: "numbers-as-strings", Flow: "resource", Catches: []string{"GEN-03"},
		Summary: "numbers in success bodies are sent as strings (\"id\": \"42\"), as serializers guarding 64-bit integers do",
		Needs:   "a protected operation whose success schema has a number or integer member",
		applies: specHas(both(kindIs(specs.KindResource), numericSuccess)),
		install: func(m *mount) {
			m.onResponse(func(_ *mockserver.Operation, _ *http.Request, res *bufferedResponse) {
				if res.status/100 == 2 {
					editJSON(res, stringifyNumbers)
				}
			}, specs.KindResource)
		},
	},
	{
		Name: "error-body-html", Flow: "resource", Catches: []string{"HDR-02", "HDR-03", "LOG-05", "LOG-16"},
		Summary: "errors come as the framework's HTML error page instead of the vendor's JSON error body",
		Needs:   "an operation documenting a JSON error body",
		applies: func(sp *specs.Spec) bool { return sp.ErrorBody != nil },
		install: func(m *mount) {
			m.onResponse(func(_ *mockserver.Operation, _ *http.Request, res *bufferedResponse) {
				if res.status >= 400 && res.isJSON() {
					res.h.Set("Content-Type", "text/html;charset=utf-8")
					res.setBody([]byte("<!doctype html><html><body><h1>HTTP Status " + strconv.Itoa(res.status) + " - " + http.StatusText(res.status) + "</h1></body></html>"))
				}
			})
		},
	},
	{
		Name: "error-body-empty", Flow: "resource", Catches: []string{"HDR-02", "HDR-03", "LOG-05", "LOG-16"},
		Summary: "refusals come with an empty body (a security filter's bare 401) where the spec documents a JSON error body",
		Needs:   "an operation documenting a JSON error body",
		applies: func(sp *specs.Spec) bool { return sp.ErrorBody != nil },
		install: func(m *mount) {
			m.onResponse(func(_ *mockserver.Operation, _ *http.Request, res *bufferedResponse) {
				if res.status >= 400 && res.isJSON() {
					res.h.Del("Content-Type")
					res.setBody(nil)
				}
			})
		},
	},
	{
		Name: "error-body-generic", Flow: "resource", Catches: []string{"ERR-07", "HDR-02", "HDR-03", "LOG-05"},
		Summary: "errors come in a generic JSON shape ({\"error\": ..., \"status\": ...}) instead of the vendor's",
		Needs:   "an operation documenting a JSON error body",
		applies: func(sp *specs.Spec) bool { return sp.ErrorBody != nil },
		install: func(m *mount) {
			m.onResponse(func(_ *mockserver.Operation, _ *http.Request, res *bufferedResponse) {
				if res.status >= 400 && res.isJSON() {
					b, _ := json.Marshal(map[string]any{"error": http.StatusText(res.status), "status": strconv.Itoa(res.status), "detail": res.h.Get(mockserver.MessageHeader)})
					res.setBody(b)
				}
			})
		},
	},
	{
		Name: "stack-trace-in-errors", Flow: "resource", Catches: []string{"ERR-05"},
		Summary: "error bodies carry the stack trace of the exception that refused the request",
		Needs:   "a protected operation",
		applies: specHas(func(op *specs.Operation) bool { return op.Protected() }),
		install: func(m *mount) {
			m.onResponse(func(_ *mockserver.Operation, _ *http.Request, res *bufferedResponse) {
				if res.status < 400 {
					return
				}
				if !res.isJSON() {
					res.h.Set("Content-Type", "text/plain;charset=utf-8")
					res.setBody([]byte("java.lang.IllegalStateException: " + res.h.Get(mockserver.MessageHeader) + stackFrames))
					return
				}
				editJSON(res, func(v any) any {
					if obj, ok := v.(map[string]any); ok {
						obj["trace"] = "java.lang.IllegalStateException: " + res.h.Get(mockserver.MessageHeader) + stackFrames
					}
					return v
				})
			})
		},
	},
}
