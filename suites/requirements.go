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

// Requirement is one rule the suites check. IDs are stable: a rule may be reworded, never
// renumbered. IDs follow the check catalog (shared/reference/check-catalog.md) where a row fits.
type Requirement struct {
	ID     string
	Level  Level
	Flow   string
	Rule   string // one sentence
	Source string // the document or RFC section the rule comes from
}

// Requirements is the catalog: every rule, spelled here and nowhere else. Labels, report entries
// and (issue 6) docs/conformance.md all come from this list.
var Requirements = []Requirement{
	// login.go
	{"LOG-01", MUST, FlowLogin, "valid credentials get the documented success status and every documented token", "the spec's login flow (status, tokens); RFC 6749 5.1"},
	{"LOG-02", MUST, FlowLogin, "a token documented in both a response header and the body is the same value in both", "the spec's login flow (two token locations)"},
	{"LOG-03", SHOULD, FlowLogin, "token responses carry Cache-Control: no-store", "RFC 6749 5.1 (a SHOULD for these non-OAuth APIs)"},
	{"LOG-05", MUST, FlowLogin, "a wrong password is refused with the documented status and error body", "the spec's login failures (badCredentials)"},
	{"LOG-06", SHOULD, FlowLogin, "an unknown account and a wrong password get the same status, so accounts cannot be enumerated", "OWASP WSTG-IDNT-04"},
	{"LOG-07", MUST, FlowLogin, "a malformed login request is refused with a 4xx or the documented status, and issues no token", "DESIGN.md, general rule for refusals"},
	{"LOG-11", SHOULD, FlowLogin, "credentials are not taken from the query string", "RFC 6749 2.3.1 and 3.2; RFC 6750 5.3"},
	{"LOG-13", MUST, FlowLogin, "an unknown account is refused with the documented status and error body", "the spec's login failures (unknownAccount)"},
	{"LOG-14", MUST, FlowLogin, "a disabled account is refused with the documented status and error body", "the spec's login failures (accountDisabled)"},
	{"LOG-15", MUST, FlowLogin, "an account whose password expired is refused with the documented status and error body", "the spec's login failures (passwordExpired)"},
	{"LOG-16", SHOULD, FlowLogin, "a malformed login request gets exactly the status and body the spec names", "DESIGN.md, general rule for refusals"},

	// schema.go
	{"GEN-03", MUST, "", "the success response has a documented status, the documented headers and a body matching the schema", "the spec; kin-openapi ValidateResponse with IncludeResponseStatus"},

	// lifetimes.go
	{"LIF-01", MUST, FlowLogin, "a JWT access token is signed (alg is not none) and its exp lies after its issue time", "RFC 8725 3.1; RFC 7519 4.1.4"},
	{"LIF-02", MUST, FlowLogin, "the access token lives as long as documented or expected (exp - iat, or exp - Date), within 60 s", "the spec's token lifetime or the target's expect; RFC 7519 4.1.4, 4.1.6"},
	{"LIF-08", MUST, FlowLogin, "the access token is accepted just before it expires and refused just after", "the spec's token lifetime; OWASP WSTG-SESS-10"},
	{"LIF-11", MUST, FlowRefresh, "the refresh token is accepted just before it expires and refused just after", "the spec's refresh lifetime"},
	{"LIF-16", MUST, FlowRefresh, "the refresh token lives as long as documented or expected, within 60 s", "the spec's refresh lifetime or the target's expect"},

	// refresh.go
	{"REF-01", MUST, FlowRefresh, "a refresh token gets the documented status and a new access token that works", "the spec's refresh flow; check catalog LIF-09"},
	{"REF-02", MUST, FlowRefresh, "a garbage refresh token is refused with the documented status", "the spec's refresh failures (invalidCredential); RFC 6749 5.2"},
	{"LIF-10", SHOULD, FlowRefresh, "refresh responses carry Cache-Control: no-store", "RFC 6749 5.1"},
	{"LIF-12", MUST, FlowRefresh, "a rotated refresh token is refused after its first use", "the spec's refresh flow (rotate); RFC 9700 4.14.2"},
	{"LIF-13", MUST, FlowRefresh, "an access token is refused as a refresh token", "RFC 8725 3.12"},
	{"LIF-17", MUST, FlowRefresh, "a refresh token is refused as an access token", "RFC 8725 3.12"},

	// logout.go
	{"OUT-01", MUST, FlowLogout, "logout with a valid access token answers the documented status", "the spec's logout flow"},
	{"OUT-02", MUST, FlowLogout, "after logout the access token is refused", "the spec's logout flow; OWASP WSTG-SESS-06"},
	{"OUT-03", MUST, FlowLogout, "after logout the session's refresh token is refused", "RFC 7009 2.1"},
	{"OUT-05", MUST, FlowLogout, "logout without credentials is refused with the documented status", "the spec's logout failures (missingCredential); RFC 6750 3.1"},

	// apikeys.go
	{"KEY-01", MUST, FlowAPIKey, "creating an API key answers the documented status and returns the key", "the spec's apikey-create flow"},
	{"KEY-03", MUST, FlowAPIKey, "a deleted API key is gone from the list and refused as a credential", "the spec's apikey-delete flow; check catalog KEY-03"},
	{"KEY-04", MUST, FlowAPIKey, "an API key is never listed to another account", "OWASP API1:2023"},
	{"KEY-06", MUST, FlowAPIKey, "a created API key is listed to its owner", "the spec's apikey-list flow"},
	{"KEY-07", MUST, FlowAPIKey, "a created API key authenticates where the spec accepts API keys", "the spec's security schemes"},
	{"KEY-09", SHOULD, FlowAPIKey, "another account deleting an API key gets the status and body the spec names for a key that is not the caller's", "DESIGN.md, general rule for refusals"},
	{"KEY-08", MUST, FlowAPIKey, "another account cannot delete an API key: a 4xx and no change of state", "DESIGN.md, general rule for refusals; OWASP API1:2023"},

	// headers.go
	{"HDR-01", SHOULD, FlowResource, "the Bearer authentication scheme name is matched case-insensitively", "RFC 9110 11.1; RFC 6750 2.1"},
	{"HDR-02", MUST, FlowResource, "a protected call without credentials is refused with the documented status", "the spec's missingCredential failure; RFC 6750 3.1"},
	{"HDR-03", MUST, FlowResource, "a garbage credential is refused with the documented status", "the spec's invalidCredential failure; RFC 6750 3.1"},
	{"HDR-05", MUST, FlowResource, "a bound header (tenant, company id) that is missing or names another account is refused", "the spec's security scheme binding; OWASP API1:2023"},
	{"HDR-06", MUST, FlowResource, "request header names are matched case-insensitively", "RFC 9110 5.1"},
	{"HDR-11", MUST, FlowResource, "each documented credential form is accepted", "the spec's security requirements"},
	{"HDR-08", SHOULD, FlowResource, "a protected call does not accept its access token in the query string", "RFC 6750 2.3 and 5.3 (URLs end up in logs and histories)"},

	// security.go
	{"ERR-05", SHOULD, FlowResource, "error bodies carry no stack trace", "OWASP WSTG-ERRH-01"},
	{"ERR-07", SHOULD, FlowResource, "a refusal with a documented JSON body carries every member of the vendor's error shape", "the spec's x-authconform errorBody; check catalog ERR-01"},
	{"JWT-02", MUST, FlowResource, "a token with a broken signature is refused", "OWASP WSTG-SESS-10; jwt_tool broken signature"},
	{"JWT-03", MUST, FlowResource, "a token whose claims were changed under the original signature is refused", "OWASP WSTG-SESS-10"},
	{"JWT-04", MUST, FlowResource, "a token with alg none is refused", "RFC 8725 3.1"},
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

// labels are the Ginkgo labels of a check: its ID, its level and its flow.
func (r Requirement) labels(flow string) Labels {
	return Label(r.ID, string(r.Level), flow)
}
