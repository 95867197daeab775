// Package suites holds the Ginkgo conformance specs. They judge a target over HTTP from the spec
// model alone and never import the mock: if they shared its code, a wrong interpretation would
// agree with itself and no check would catch it (docs/architecture.md).
//
// The runner calls Register with a Target, then ginkgo.RunSpecs. Register opens one Describe per
// flow operation (login, refresh, logout, API keys, and the probe as "resource") and one It per
// documented rule. Every rule is spelled once, in requirements.go, with a stable ID, a level
// (MUST or SHOULD) and its source; the It carries the ID, the level and the flow as labels, so
// --label-filter selects by any of them. A check whose inputs are absent (no disabled account in
// the target, no refresh flow in the spec, no known lifetime) is skipped with the reason, never
// passed. A skip says its kind (a report entry the runner copies into the report): skipf when the
// rule does not apply (the spec documents no such flow or failure, the token is not a JWT, no
// clock control), needInputf when the target file lacks what the check needs (an account, a
// field of one, a probe, an expected lifetime). A MUST check skipped for a missing input forbids
// certification; one that does not apply does not.
//
// Files: client.go (the one HTTP client: timeouts, size cap, no off-host redirects, validation
// with kin-openapi), redact.go (secrets out of every message), flows.go (logins, token
// locations, presenting credentials, judging refusals), then one file per flow or concern:
// login.go, refresh.go, logout.go, apikeys.go, headers.go, lifetimes.go, schema.go, security.go.
//
// Refusals follow the general rule for refusals (docs/conformance.md): a status the spec names for the failure is a MUST,
// with its body shape; where it names none, any 4xx is accepted.
package suites
