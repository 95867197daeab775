package suites

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"
)

// Level is MUST (a failure fails the run) or SHOULD (a warning).
type Level string

// Levels.
const (
	MUST   Level = "MUST"
	SHOULD Level = "SHOULD"
)

// Flow labels: the flow kinds of package specs, with the three API-key kinds folded into one.
const (
	FlowLogin    = "login"
	FlowRefresh  = "refresh"
	FlowLogout   = "logout"
	FlowAPIKey   = "apikey"
	FlowResource = "resource"
)

// Basis is where a rule's expectation comes from. It decides the level of each check instance
// (provenance.go): only what the vendor's document states, what the target file states, and the
// readings a target declares may fail a run; our own readings and other practice are warnings.
type Basis string

// Bases.
const (
	// Documented: the vendor's document states the expectation, or implies it (an operation that
	// requires a credential must refuse a forged, tampered, unsigned, expired or revoked one; a
	// request is refused with a 4xx and changes nothing, the general rule for refusals (docs/conformance.md)). MUST.
	Documented Basis = "documented"
	// Reading: one of our decisions where the document is silent or contradicts itself. SHOULD,
	// unless the target file declares the reading (readings:), which makes it MUST.
	Reading Basis = "reading"
	// Practice: an RFC, OWASP or similar rule the vendor did not state. SHOULD.
	Practice Basis = "practice"
	// TargetStated: the target file states the expectation (expect:). MUST.
	TargetStated Basis = "target"
)

// Level is the level a check instance has for its basis: MUST for what the vendor documents or
// the target states or declares, SHOULD otherwise.
func (b Basis) Level(declared bool) Level {
	switch {
	case b == Documented, b == TargetStated, b == Reading && declared:
		return MUST
	}
	return SHOULD
}

// Requirement is one rule the suites check. IDs are stable: a rule may be reworded, never
// renumbered. IDs follow the check catalog (docs/conformance.md) where a row fits.
type Requirement struct {
	ID   string
	Flow string
	Rule string // one sentence
	// Basis is where the rule's expectation usually comes from; an instance on a spec where the
	// expectation is our reading (a decision) is a Reading instead (provenance.go).
	Basis  Basis
	Source string // what states the rule: the spec's part, or the RFC or OWASP section
}

// Level is the rule's level where its basis holds as catalogued (documented: MUST).
func (r Requirement) Level() Level { return r.Basis.Level(false) }

// Requirements is the catalog: every rule, spelled here and nowhere else. Labels, report entries
// and docs/conformance.md all come from this list.
var Requirements = []Requirement{
	// login.go
	{"LOG-01", FlowLogin, "valid credentials get the documented success status and every documented token", Documented, "the spec's login flow (status, tokens)"},
	{"LOG-02", FlowLogin, "a token documented in both a response header and the body is the same value in both", Documented, "the spec's login flow (two token locations)"},
	{"LOG-03", FlowLogin, "token responses carry Cache-Control: no-store", Practice, "RFC 6749 5.1"},
	{"LOG-05", FlowLogin, "a wrong password is refused, with the documented status and error body", Documented, "the spec's login failures (badCredentials)"},
	{"LOG-06", FlowLogin, "an unknown account and a wrong password get the same status, so accounts cannot be enumerated", Practice, "OWASP WSTG-IDNT-04"},
	{"LOG-07", FlowLogin, "a malformed login request is refused with a 4xx or a documented error status, and issues no token", Documented, "the request schema; the general rule for refusals (docs/conformance.md)"},
	{"LOG-11", FlowLogin, "credentials are not taken from the query string (probed with a decoy account, never a real password)", Practice, "RFC 6749 2.3.1 and 3.2; RFC 6750 5.3"},
	{"LOG-13", FlowLogin, "an unknown account is refused, with the documented status and error body", Documented, "the spec's login failures (unknownAccount)"},
	{"LOG-14", FlowLogin, "a disabled account is refused, with the documented status and error body", Documented, "the spec's login failures (accountDisabled)"},
	{"LOG-15", FlowLogin, "an account whose password expired is refused, with the documented status and error body", Documented, "the spec's login failures (passwordExpired)"},
	{"LOG-17", FlowLogin, "an account in a state the spec declares (locked, ...) is refused, with the status and body of that state's failure", Documented, "the spec's states and login failures"},
	{"LOG-16", FlowLogin, "a malformed login request gets exactly the status and body the spec names", Documented, "the spec's login failures (invalidRequest)"},

	// contract.go
	{"GRT-01", "", "a request whose fixed value (grant_type) is another value is refused, with the status and body of the failure the spec names for it", Documented, "the flow's fixed values; RFC 6749 5.2 (unsupported_grant_type)"},
	{"GRT-02", "", "a request without its fixed value (grant_type) is refused as an invalid request", Documented, "the flow's fixed values; RFC 6749 5.2 (invalid_request)"},
	{"CLI-01", "", "a wrong client secret is refused, with the documented status and body (invalidClient)", Documented, "the flow's client authentication; RFC 6749 5.2 (invalid_client)"},
	{"CLI-02", "", "an unknown client id is refused, with the documented status and body (invalidClient)", Documented, "the flow's client authentication; RFC 6749 5.2 (invalid_client)"},
	{"CLI-03", "", "client credentials sent as HTTP Basic are accepted where the flow takes them", Documented, "the flow's client authentication (basic); RFC 6749 2.3.1"},
	{"CLI-04", "", "a refusal of client credentials sent as HTTP Basic carries a WWW-Authenticate: Basic challenge", Practice, "RFC 6749 5.2 (invalid_client: the server MUST include WWW-Authenticate)"},

	// schema.go
	{"GEN-03", "", "the success response has a documented status, the documented headers and a body matching the schema", Documented, "the operation's responses (kin-openapi ValidateResponse with IncludeResponseStatus)"},

	// lifetimes.go
	{"LIF-01", FlowLogin, "a JWT access token is signed (alg is not none) and its exp lies after its issue time", Documented, "a signed token is implied by the document; RFC 8725 3.1; RFC 7519 4.1.4"},
	{"LIF-02", FlowLogin, "the access token lives as long as documented or expected (exp - iat, or exp - Date), within 60 s", Documented, "the spec's token lifetime, or the target file's expect"},
	{"LIF-08", FlowLogin, "the access token is accepted just before it expires and refused just after", Documented, "an expired token is refused (implied by the document); OWASP WSTG-SESS-10"},
	{"LIF-11", FlowRefresh, "the refresh token is accepted just before it expires and refused just after", Documented, "an expired token is refused (implied by the document)"},
	{"LIF-16", FlowRefresh, "the refresh token lives as long as documented or expected, within 60 s", Documented, "the spec's refresh lifetime, or the target file's expect"},

	// refresh.go
	{"REF-01", FlowRefresh, "a refresh token gets the documented status and a new access token that works", Documented, "the spec's refresh flow"},
	{"REF-02", FlowRefresh, "a garbage refresh token is refused, with the documented status", Documented, "the spec's refresh failures (invalidCredential)"},
	{"REF-04", FlowRefresh, "a used refresh token presented again ends its family: the newest refresh token is refused too", Documented, "the spec's refresh flow (onReuse: revokeFamily); RFC 9700 4.14.2"},
	{"REF-03", FlowRefresh, "a refresh token handed out by a refresh works for the next refresh", Documented, "the spec's refresh flow (tokens)"},
	{"LIF-10", FlowRefresh, "refresh responses carry Cache-Control: no-store", Practice, "RFC 6749 5.1"},
	{"LIF-12", FlowRefresh, "a rotated refresh token is refused after its first use", Documented, "the spec's refresh flow (rotate); RFC 9700 4.14.2"},
	{"LIF-13", FlowRefresh, "an access token is refused as a refresh token", Practice, "RFC 8725 3.12"},
	{"LIF-17", FlowRefresh, "a refresh token is refused as an access token", Practice, "RFC 8725 3.12"},

	// logout.go
	{"OUT-01", FlowLogout, "logout with a valid access token answers the documented status", Documented, "the spec's logout flow"},
	{"OUT-02", FlowLogout, "after logout the access token is refused", Documented, "the spec's logout flow; OWASP WSTG-SESS-06"},
	{"OUT-03", FlowLogout, "after logout the session's refresh token is refused", Documented, "the spec's logout flow (endsRefresh); RFC 7009 2.1"},
	{"OUT-05", FlowLogout, "logout without credentials is refused, with the documented status", Documented, "the spec's logout failures (missingCredential)"},

	// apikeys.go
	{"KEY-01", FlowAPIKey, "creating an API key answers the documented status and returns the key", Documented, "the spec's apikey-create flow"},
	{"KEY-03", FlowAPIKey, "a deleted API key is gone from the list and refused where it worked before", Documented, "the spec's apikey-delete flow"},
	{"KEY-04", FlowAPIKey, "an API key is never listed to another account", Practice, "OWASP API1:2023"},
	{"KEY-06", FlowAPIKey, "a created API key is listed to its owner", Documented, "the spec's apikey-list flow"},
	{"KEY-07", FlowAPIKey, "a created API key authenticates where the spec accepts API keys", Documented, "the spec's security schemes (accepts apiKey)"},
	{"KEY-09", FlowAPIKey, "another account deleting an API key gets the status and body the spec names for a key that is not the caller's", Documented, "the spec's apikey-delete failures (notFound)"},
	{"KEY-08", FlowAPIKey, "another account cannot delete an API key: a 4xx and no change of state", Documented, "the general rule for refusals (docs/conformance.md); OWASP API1:2023"},

	// headers.go
	{"HDR-01", FlowResource, "the Bearer authentication scheme name is matched case-insensitively", Practice, "RFC 9110 11.1; RFC 6750 2.1"},
	{"HDR-02", FlowResource, "a protected call without credentials is refused, with the documented status", Documented, "the operation's security requirement (missingCredential)"},
	{"HDR-03", FlowResource, "a garbage credential is refused, with the documented status", Documented, "the operation's security requirement (invalidCredential)"},
	{"HDR-05", FlowResource, "a call without the bound value (a tenant or company id header, a tenant in the body) the operation names is refused", Documented, "the operation's security requirement (a scheme that binds) or its flow's binds"},
	{"HDR-12", FlowResource, "a bound value (a tenant or company id header, a tenant in the body) naming another account is refused", Practice, "OWASP API1:2023"},
	{"HDR-13", FlowResource, "an impersonation header naming no account is refused", Documented, "the operation's security requirement (a scheme that impersonates)"},
	{"HDR-06", FlowResource, "request header names are matched case-insensitively", Practice, "RFC 9110 5.1"},
	{"HDR-11", FlowResource, "each documented credential form is accepted", Documented, "the operation's security requirements"},
	{"HDR-08", FlowResource, "a protected call does not accept its access token in the query string", Practice, "RFC 6750 2.3 and 5.3 (URLs end up in logs and histories)"},

	// security.go
	{"ERR-05", FlowResource, "error bodies carry no stack trace", Practice, "OWASP WSTG-ERRH-01"},
	{"ERR-07", FlowResource, "a refusal with a documented JSON body carries every member of the spec's error shape", Reading, "the spec's x-authconform errorBody (our reading of the error shape)"},
	{"JWT-02", FlowResource, "a token with a broken signature is refused", Documented, "a forged token is refused (implied by the document); OWASP WSTG-SESS-10"},
	{"JWT-03", FlowResource, "a token whose claims were changed under the original signature is refused", Documented, "a tampered token is refused (implied by the document); OWASP WSTG-SESS-10"},
	{"JWT-05", FlowResource, "the access token verifies with a key of the published JWKS, found by its kid", Documented, "the spec's jwks operation (RFC 7517); RFC 7515 4.1.4"},
	{"JWT-06", FlowResource, "a token signed with HS256 under the published public key (algorithm confusion) is refused", Documented, "a forged token is refused (implied by the document); RFC 8725 3.1, 3.2"},
	{"JWT-07", FlowResource, "a token whose kid names something else (a path, an unknown key) is refused", Documented, "a forged token is refused (implied by the document); RFC 8725 3.10"},
	{"JWT-04", FlowResource, "a token with alg none is refused", Documented, "an unsigned token is refused (implied by the document); RFC 8725 3.1"},
}

var byID = func() map[string]Requirement {
	m := map[string]Requirement{}
	for _, r := range Requirements {
		if _, dup := m[r.ID]; dup {
			panic("suites: requirement " + r.ID + " is listed twice")
		}
		m[r.ID] = r
	}
	return m
}()

// req returns the requirement with that ID; an unknown ID is a programming error.
func req(id string) Requirement {
	r, ok := byID[id]
	if !ok {
		panic(fmt.Sprintf("suites: no requirement %s in requirements.go", id))
	}
	return r
}

// labels are the Ginkgo labels of a check instance: its ID, its level and its flow.
func labels(id string, level Level, flow string) Labels {
	return Label(id, string(level), flow)
}
