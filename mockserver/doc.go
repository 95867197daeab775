// Package mockserver is the mock auth server: every flow a spec documents, for real, driven by the
// spec's extensions (see package specs). It never listens by itself: New returns a *Server, which
// is an http.Handler, and main owns the http.Server (timeouts, graceful shutdown).
//
// The request path (DESIGN.md, "The mock"): CORS (cors.go) -> admin API under AdminPrefix ->
// kin-openapi router -> provoked outcomes (Prefer header, queued faults: prefer.go, faults.go) ->
// request validation (openapi3filter) -> authentication per the operation's security and the
// schemes' x-authconform-credential -> the flow handler of the operation's kind -> response.
// Routers, validators, signing keys, examples and templates are all prepared in New; the request
// path only reads them. WithResponseCheck also checks every response against the spec at run time.
//
// State (Store) holds only what revokes: a login writes nothing, a token is good when it verifies
// and its session or account generation was not revoked. The admin API under AdminPrefix reads
// and moves the clock and resets everything (see admin.go); it also changes accounts, lists and
// revokes sessions (sessions.go), reads the request journal (journal.go), queues faults, and
// serves a dashboard embedded in the binary (dashboard.go). Live (reload.go) swaps in a Server
// built from changed files while keeping the state.
//
// Extensions (hooks.go) attach behaviour from outside: an Extension given with WithExtension gets
// the extension points of Hooks once, in New: operation overrides, decorators around a spec's
// token issuer and around the store, and handler middleware. The deliberate defects and benign
// variants of package defects attach that way; the core never asks whether one is installed.
//
// Nothing in this package names a vendor: whatever differs between APIs comes from the spec model.
package mockserver
