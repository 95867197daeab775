// Package store keeps the mock's run-time state, split by concern as fosite splits its storage.
//
// The flows' state: Generations (a logout with a password or an API key ends every token of the
// account), Revocations (sessions and single tokens ended by a logout), RefreshTokens (single-use
// refresh tokens consumed by a rotating refresh), APIKeys (keys created at run time) and Checks
// (generation and revocations in one question, what a protected call asks).
//
// The world's shared state (shared.go): Clocks (where the admin API moved the clock),
// SigningKeys (the random key of each spec; the first stored wins), OpaqueTokens, AccountLists
// (accounts as the admin API changed them), FaultQueue, and Changes, which tells the other
// replicas on the same store what to reload. Store is all of them plus Reset.
//
// A Backend (backend.go) gives each world (the default one, and each sandbox) its Store, and
// keeps the Registry of sandboxes.
//
// A login writes nothing of the flows' state: a token is valid when it verifies (signature,
// issuer, expiry) and nothing here revokes it. Every method names the scope it acts in (the mock
// passes the spec's name) and takes the request's context, and every method may fail: nothing
// assumes the state lives in this process, so the Redis store (package redisstore) implements the
// same interfaces and runs the same test suites (package storetest: Run, RunReplicas,
// RunBackend). Memory and MemoryBackend are the defaults: a restart forgets everything.
package store
