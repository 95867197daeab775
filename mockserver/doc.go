// Package mockserver is the mock auth server: every flow a spec documents, for real, driven by the
// spec's extensions (see package specs). It never listens by itself: New returns a *Server, which
// is an http.Handler, and main owns the http.Server (timeouts, graceful shutdown).
//
// The request path, top to bottom (server.go, then the flow's file):
//
//	ServeHTTP        the middleware extensions installed (hooks.go), then serve
//	serve            log line and panic guard; the tools' handler under AdminPrefix, their step
//	                 before routing (CORS) (tools.go); find: kin-openapi's router (gorillamux) per
//	                 mounted spec, HEAD as GET; the tools' step once the operation is known (Prefer,
//	                 queued faults)
//	serveOp          body read within the limit; openapi3filter.ValidateRequest, which also decodes
//	                 a JSON body once for the flow (KeepValidatedValue); authenticate (auth.go) per
//	                 the operation's security and the schemes' x-authconform-credential
//	flow             flow_login.go, flow_refresh.go, flow_logout.go, flow_apikeys.go,
//	                 flow_resource.go: parse -> check -> issue -> write; every failure goes to
//	                 writeError (respond.go), the one writer of the vendor's error shape
//
// Routers, validators, signing keys, examples and templates are all prepared in New; the request
// path only reads them. WithResponseCheck also checks every response against the spec at run time.
//
// The flows call two small interfaces: the Store of package store (generations, revocations, used
// refresh tokens, API keys; scoped by spec, fallible) and TokenIssuer, which package tokens
// implements with golang-jwt. A login writes nothing to the store: a token is good when it
// verifies and its session or account generation was not revoked. The clock is package clock's.
//
// Extensions (hooks.go) attach behaviour from outside: an Extension given with WithExtension gets
// the extension points of Hooks once, in New: operation overrides, decorators around a spec's
// token issuer and around the store, and handler middleware. The deliberate defects and benign
// variants of package defects attach that way; the core never asks whether one is installed.
//
// The developer tools (package devtools: the admin API, the request journal, the session
// registry, faults and Prefer, CORS, the dashboard) are an Extension too. They attach at the
// points of tools.go: a handler for AdminPrefix, a step before routing, a step once the operation
// is known, an observer of every answer and what Reset also forgets; New alone serves the specs
// and nothing else. devtools.Live swaps in a Server built from changed files while keeping the
// state.
//
// Nothing in this package names a vendor: whatever differs between APIs comes from the spec model.
package mockserver
