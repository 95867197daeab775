// Package store keeps the mock's run-time state, split by concern as fosite splits its storage:
// Generations (a logout with a password or an API key ends every token of the account),
// Revocations (sessions and single tokens ended by a logout), RefreshTokens (single-use refresh
// tokens consumed by a rotating refresh) and APIKeys (keys created at run time). Store is all of
// them plus Reset. The flows of package mockserver ask only these interfaces.
//
// A login writes nothing here: a token is valid when it verifies (signature, issuer, expiry) and
// nothing here revokes it. Every method names the scope it acts in (the mock passes the spec's
// name) and takes the request's context, and every method may fail: nothing assumes the state
// lives in this process, so a store shared by several replicas (Redis) implements the same
// interfaces and runs the same test suite (package storetest). Memory is the default
// implementation: a restart forgets everything.
package store
