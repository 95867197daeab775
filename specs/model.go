package specs

import (
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// Spec is one loaded, validated vendor document and everything its extensions say.
type Spec struct {
	Name     string // x-authconform.name, e.g. "pixfile"
	File     string // where it came from: a path, or "bundled:NAME.yaml"
	SHA256   string // hex SHA-256 of the file's bytes, for reports
	Title    string
	Version  string
	BasePath string // the path of the first server URL with variable defaults applied, no trailing slash ("" for root)

	Tokens    Tokens
	ErrorBody *Template      // body of every JSON error response; references: status, message
	Fields    []AccountField // the fields its accounts have (x-authconform.accountFields, or inferred)
	States    []State        // account states the spec declares besides the built-in ones
	// declaredFields: the spec declares its account fields (else they are inferred, and only a
	// field named password is secret)
	declaredFields bool
	Accounts       []Account // demo accounts; the mock's config may replace them
	Clients        []Client  // OAuth 2 clients the mock accepts (x-authconform.clients)
	Probe          string    // operationId of a protected operation to probe credentials on
	Decisions      []Decision
	Operations     []*Operation       // every operation, sorted by path then method
	Schemes        map[string]*Scheme // security schemes by name
	Additions      []Addition         // everything marked x-authconform-added, in document order
	Doc            *openapi3.T        // the validated document, for routers and validators
	Raw            []byte             // the file as read
	// Readings names, for each decision this model follows a reading of other than the
	// document's, the reading (WithReadings); nil for the document as written.
	Readings map[string]string
	json     []byte // the document as JSON, for WithReadings
	byID     map[string]*Operation
}

// Operation returns the operation with that operationId.
func (s *Spec) Operation(id string) (*Operation, bool) {
	op, ok := s.byID[id]
	return op, ok
}

// OperationsOf returns the operations whose flow is of kind k, in document order.
func (s *Spec) OperationsOf(k FlowKind) []*Operation {
	var out []*Operation
	for _, op := range s.Operations {
		if op.Flow.Kind == k {
			out = append(out, op)
		}
	}
	return out
}

// Tokens says how the tokens of this API are made and how long they live (x-authconform.tokens).
type Tokens struct {
	Algorithm string    // JWS algorithm the mock signs with: HS256, HS384, HS512, RS256 or ES256
	Issuer    string    // iss claim the mock writes
	Access    Lifetime  // access token
	Refresh   *Lifetime // refresh token; nil when the API has none
}

// Lifetime is how long a token lives and whether the vendor says so.
type Lifetime struct {
	Lifetime Duration
	// Documented is true when the vendor's own document states the lifetime; the suites then check
	// it. When false the value is only the mock's choice and the suites check it only if the target
	// file states one.
	Documented bool
	Source     string // the vendor's words, or why we chose
	// Format is how the tokens of this kind look: a signed JWT (the default), or an opaque random
	// string the server remembers.
	Format TokenFormat
}

// TokenFormat is jwt or opaque.
type TokenFormat string

// Token formats.
const (
	FormatJWT    TokenFormat = "jwt"
	FormatOpaque TokenFormat = "opaque"
)

// Asymmetric reports whether the spec's tokens are signed with a key pair (RS256, ES256), whose
// public half a jwks operation may publish.
func (t Tokens) Asymmetric() bool {
	return strings.HasPrefix(t.Algorithm, "RS") || strings.HasPrefix(t.Algorithm, "ES")
}

// AccountState is whether an account may log in: enabled, disabled, passwordExpired, or a state
// the spec declares (x-authconform.states: locked, suspended, ...), each refused with its own
// login failure.
type AccountState string

// State is an account state a spec declares, with the login failure it answers.
type State struct {
	Name    AccountState
	Failure Failure // the failure a login of an account in this state answers (the flow maps its status)
}

// StateFailure is the login failure of an account in a state; "" for enabled (or unknown).
func (s *Spec) StateFailure(st AccountState) Failure {
	switch st {
	case StateDisabled:
		return FailAccountDisabled
	case StatePasswordExpired:
		return FailPasswordExpired
	}
	for _, d := range s.States {
		if d.Name == st {
			return d.Failure
		}
	}
	return ""
}

// Account states.
const (
	StateEnabled         AccountState = "enabled"
	StateDisabled        AccountState = "disabled"
	StatePasswordExpired AccountState = "passwordExpired"
)

// Decision records how we read a place where the vendor's document is silent or contradicts itself.
type Decision struct {
	ID       string
	Where    string
	Problem  string
	Decision string
	// Readings are the defensible readings of the gap when there is more than one; empty when the
	// decision has only the one, Decision. The first is the document as written (and the mock's);
	// each other one changes the document at the pointers of its Set. A target file may declare
	// which reading it follows, and `serve --reading` makes the mock follow another.
	Readings []Reading
}

// Reading is one defensible reading of a decision.
type Reading struct {
	Choice string         // its name, e.g. "bare"
	Means  string         // what a server following it does, in one sentence
	Set    map[string]any // RFC 6901 pointer into the document -> the value under this reading
}

// Reading returns the reading of d named choice.
func (d *Decision) Reading(choice string) (*Reading, bool) {
	for i := range d.Readings {
		if d.Readings[i].Choice == choice {
			return &d.Readings[i], true
		}
	}
	return nil, false
}

// Choices lists the names of d's readings, the default first.
func (d *Decision) Choices() []string {
	out := make([]string, len(d.Readings))
	for i, r := range d.Readings {
		out[i] = r.Choice
	}
	return out
}

// Touches reports whether one of d's readings changes the document at pointer.
func (d *Decision) Touches(pointer string) bool {
	for _, r := range d.Readings {
		if _, ok := r.Set[pointer]; ok {
			return true
		}
	}
	return false
}

// Decision returns the decision with that id.
func (s *Spec) Decision(id string) (*Decision, bool) {
	for i := range s.Decisions {
		if s.Decisions[i].ID == id {
			return &s.Decisions[i], true
		}
	}
	return nil, false
}

// DecisionAt returns the decision whose readings change the document at pointer (a value a
// conforming server may choose differently), if any.
func (s *Spec) DecisionAt(pointer string) (*Decision, bool) {
	for i := range s.Decisions {
		if s.Decisions[i].Touches(pointer) {
			return &s.Decisions[i], true
		}
	}
	return nil, false
}

// FlowKind is what an operation does (docs/spec-extensions.md, "kind").
type FlowKind string

// The flow kinds the mock implements and the suites check.
const (
	KindLogin        FlowKind = "login"
	KindRefresh      FlowKind = "refresh"
	KindLogout       FlowKind = "logout"
	KindAPIKeyCreate FlowKind = "apikey-create"
	KindAPIKeyList   FlowKind = "apikey-list"
	KindAPIKeyDelete FlowKind = "apikey-delete"
	KindResource     FlowKind = "resource"
	KindJWKS         FlowKind = "jwks" // publishes the public keys tokens are signed with (RFC 7517)
)

// FlowKinds lists every kind, in the order docs and tables show them.
var FlowKinds = []FlowKind{KindLogin, KindRefresh, KindLogout, KindAPIKeyCreate, KindAPIKeyList, KindAPIKeyDelete, KindResource, KindJWKS}

// Failure names a way a request can be refused; each flow maps the ones it can meet to a status.
type Failure string

// Failures.
const (
	FailInvalidRequest    Failure = "invalidRequest"    // the request breaks the schema
	FailBadCredentials    Failure = "badCredentials"    // known account, wrong secret
	FailUnknownAccount    Failure = "unknownAccount"    // no such account
	FailAccountDisabled   Failure = "accountDisabled"   // account exists but may not log in
	FailPasswordExpired   Failure = "passwordExpired"   // account's password has expired
	FailMissingCredential Failure = "missingCredential" // a protected call without credentials
	FailInvalidCredential Failure = "invalidCredential" // garbage, tampered, expired, revoked or wrong-type token or key
	FailTenantMismatch    Failure = "tenantMismatch"    // a bound header (company id) missing or not the token's
	FailBoundMissing      Failure = "boundMissing"      // a bound value (a tenant header) is missing (falls back to tenantMismatch)
	FailBoundMismatch     Failure = "boundMismatch"     // a bound value names another account (falls back to tenantMismatch)
	FailNotFound          Failure = "notFound"          // the object the request names does not exist for the caller
	FailUnsupportedGrant  Failure = "unsupportedGrant"  // a fixed value (grant_type) of another value (falls back to invalidRequest)
	FailInvalidClient     Failure = "invalidClient"     // client authentication failed: unknown client, wrong secret (RFC 6749 5.2)
)

// Failures lists every failure name.
var Failures = []Failure{FailInvalidRequest, FailBadCredentials, FailUnknownAccount, FailAccountDisabled,
	FailPasswordExpired, FailMissingCredential, FailInvalidCredential, FailTenantMismatch, FailBoundMissing, FailBoundMismatch, FailNotFound,
	FailUnsupportedGrant, FailInvalidClient}

// Operation is one documented operation with its flow.
type Operation struct {
	ID         string // operationId
	Method     string // upper case
	Path       string // as documented, without the base path
	Summary    string
	Deprecated bool
	Added      string        // non-empty when the operation is our addition, with the reason
	Security   []SecurityAlt // alternatives; empty means no credential
	Flow       Flow          // what the operation does
	Statuses   []int         // documented response statuses, sorted
	// AddedResponses are the statuses among Statuses that we added (x-authconform-added), with
	// the reason: the vendor states nothing about them.
	AddedResponses map[int]string
	Op             *openapi3.Operation
}

// Protected reports whether the operation requires a credential.
func (o *Operation) Protected() bool { return len(o.Security) > 0 }

// Documents reports whether status is a documented response of the operation.
func (o *Operation) Documents(status int) bool {
	_, found := slices.BinarySearch(o.Statuses, status)
	return found
}

// Key is "METHOD path", how logs and messages name an operation.
func (o *Operation) Key() string { return o.Method + " " + o.Path }

// SecurityAlt is one alternative of an operation's security: all its schemes together.
type SecurityAlt []*Scheme

// Flow is an operation's x-authconform-flow.
type Flow struct {
	Kind         FlowKind
	Credentials  []Credential // login: where each credential is read
	RefreshToken *Location    // refresh: where the refresh token is read
	Rotate       bool         // refresh: the presented refresh token is single use
	Tokens       []TokenOut   // login, refresh: where issued tokens are written
	KeyName      *Location    // apikey-create: where the key's name is read
	KeyValue     *Location    // apikey-delete: where the key to delete is read
	Status       int          // the success status
	Body         *Template    // the success body (objects: token fields are added to it); nil when not given
	Item         *Template    // apikey-list: one list entry; nil when not given
	EndsRefresh  bool         // logout: ending a bearer session also ends its refresh token (default true)
	OnReuse      ReusePolicy  // rotating refresh: what a used refresh token presented again does
	Fixed        []Fixed      // login, refresh: values the request must carry (grant_type=password)
	Client       *ClientAuth  // login, refresh: client authentication; nil when none
	// Binds are request values (a tenant in the body, a query parameter) that must equal a field
	// of the authenticated account: missing, boundMissing; another account's, boundMismatch.
	// Security schemes bind headers the same way (Scheme.Binds).
	Binds    []Bound
	Failures map[Failure]int
	// FailureDecisions names, for each failure whose status is our reading rather than the
	// vendor's statement, the decision that chose it. A failure absent here is documented.
	FailureDecisions map[Failure]string
	// FailureBodies are the bodies of failures that have their own (an error code per refusal,
	// RFC 6749 5.2's invalid_grant); a failure absent here answers the spec's ErrorBody.
	FailureBodies map[Failure]*Template
	// Pointer is where the flow sits in the document, an RFC 6901 pointer (for readings).
	Pointer string
}

// Bound is a request value bound to a field of the authenticated account.
type Bound struct {
	Location
	Field string
}

// ReusePolicy is what a rotating refresh does when a used refresh token comes back.
type ReusePolicy string

// Reuse policies.
const (
	// ReuseRefuse refuses the used token (invalidCredential); the rest of the family lives on.
	ReuseRefuse ReusePolicy = "refuse"
	// ReuseRevokeFamily refuses it and ends the whole family: every token issued since the login
	// that started it, the newest refresh token included (RFC 9700 4.14.2).
	ReuseRevokeFamily ReusePolicy = "revokeFamily"
)

// Fixed is a value a request must carry, such as an OAuth 2 grant_type: absent, the request is
// invalid (invalidRequest); another value answers Failure (unsupportedGrant for a grant type).
type Fixed struct {
	Location
	Value   string
	Failure Failure
}

// ClientAuth is how a login or refresh authenticates its client (RFC 6749 2.3): a client id,
// and a secret, read from the request, or as HTTP Basic credentials when Basic is set. A client
// the spec does not know, or a wrong secret, answers invalidClient.
type ClientAuth struct {
	ID     Location
	Secret *Location // nil: a public client, identified but not authenticated
	Basic  bool      // the client may send id and secret as HTTP Basic (RFC 6749 2.3.1) instead
}

// Client is an OAuth 2 client the mock accepts (x-authconform.clients).
type Client struct {
	ID     string
	Secret string
}

// FailurePointer is the document pointer of failure name's status, as readings name it.
func (f *Flow) FailurePointer(name Failure) string { return f.Pointer + "/failures/" + string(name) }

// Failure returns the status for f. accountDisabled, passwordExpired and a declared state's
// failure fall back to badCredentials, then unknownAccount, when the flow does not name them;
// boundMissing and boundMismatch to tenantMismatch, then invalidCredential; tenantMismatch to
// invalidCredential.
func (f *Flow) Failure(name Failure) (int, bool) {
	fs, ok := f.FailureOf(name)
	return fs.Status, ok
}

// FailureStatus is the status a flow answers a failure with, and where it comes from.
type FailureStatus struct {
	Status   int
	Name     Failure // the failure whose status it is: name itself, or the one it fell back to
	Decision string  // the decision that chose the status; "" when the vendor states it
	// Body is the failure's own body template, nil for the spec's ErrorBody. Its fixed values (an
	// error code) are what the vendor states a refusal carries.
	Body *Template
}

// FailureOf is Failure with the failure it resolved to and the decision behind the status.
func (f *Flow) FailureOf(name Failure) (FailureStatus, bool) {
	next := []Failure{name}
	switch {
	case name == FailTenantMismatch:
		next = append(next, FailInvalidCredential)
	case name == FailUnsupportedGrant:
		next = append(next, FailInvalidRequest)
	case name == FailBoundMissing, name == FailBoundMismatch:
		next = append(next, FailTenantMismatch, FailInvalidCredential)
	case name == FailAccountDisabled, name == FailPasswordExpired, !slices.Contains(Failures, name):
		// a declared state's failure, like the built-in ones
		next = append(next, FailBadCredentials, FailUnknownAccount)
	}
	for _, n := range next {
		if s, ok := f.Failures[n]; ok {
			return FailureStatus{Status: s, Name: n, Decision: f.FailureDecisions[n], Body: f.FailureBodies[n]}, true
		}
	}
	return FailureStatus{}, false
}

// TokenKind is access or refresh.
type TokenKind string

// Token kinds.
const (
	TokenAccess  TokenKind = "access"
	TokenRefresh TokenKind = "refresh"
)

// TokenOut says where an issued token is written.
type TokenOut struct {
	Token TokenKind
	Location
}

// Credential says where a login reads one account field.
type Credential struct {
	Field  string // account field (the spec's accountFields), or apiKey for one of its keys
	secret bool
	Location
}

// Secret reports whether the credential is a secret (redacted everywhere): an API key, or an
// account field the spec declares secret.
func (c Credential) Secret() bool { return c.secret }

// In is where a value sits in a request or response.
type In string

// Places.
const (
	InBody   In = "body"
	InHeader In = "header"
	InQuery  In = "query"
)

// Location is a place in a request or a response: a header or query parameter by name, or a
// JSON body value by JSON pointer.
type Location struct {
	In      In
	Name    string // header or query parameter name
	Pointer string // body: RFC 6901 JSON pointer
}

func (l Location) String() string {
	if l.In == InBody {
		return "body " + l.Pointer
	}
	return string(l.In) + " " + l.Name
}

// CredentialKind is what a security scheme's value may be.
type CredentialKind string

// Credential kinds a scheme accepts.
const (
	CredPassword    CredentialKind = "password"    // Basic username:password
	CredAccessToken CredentialKind = "accessToken" // a token issued by a login or refresh
	CredAPIKey      CredentialKind = "apiKey"      // a configured or created API key
)

// Scheme is a security scheme with what its x-authconform-credential says.
type Scheme struct {
	Name       string
	Type       string // apiKey or http
	HTTPScheme string // basic or bearer (http only), lower case
	In         In     // header or query (apiKey only)
	Header     string // the header carrying it: "Authorization" for http, the apiKey's name otherwise
	Added      string

	Accepts      []CredentialKind // what the value may be
	Binds        string           // the value must equal this field of the authenticated account
	Impersonates string           // the value names (by this field) the account to act as
	Optional     bool             // may be absent even inside an alternative
	BearerPrefix BearerPrefix     // http bearer: whether "Bearer " precedes the token
	Pointer      string           // RFC 6901 pointer of the scheme's x-authconform-credential
}

// BearerPrefix says how an http bearer scheme's value is written.
type BearerPrefix string

// Bearer prefixes.
const (
	PrefixRequired BearerPrefix = "required" // "Bearer <token>" (RFC 6750 2.1), the default
	PrefixOptional BearerPrefix = "optional" // "Bearer <token>" or the raw token
	PrefixNone     BearerPrefix = "none"     // the raw token only
)

// AcceptsKind reports whether the scheme carries credentials of kind k.
func (s *Scheme) AcceptsKind(k CredentialKind) bool { return slices.Contains(s.Accepts, k) }

// HeaderKey is the canonical form of the scheme's header name.
func (s *Scheme) HeaderKey() string { return http.CanonicalHeaderKey(s.Header) }

// IsBasic and IsBearer tell the two http schemes apart.
func (s *Scheme) IsBasic() bool { return s.Type == "http" && strings.EqualFold(s.HTTPScheme, "basic") }
func (s *Scheme) IsBearer() bool {
	return s.Type == "http" && strings.EqualFold(s.HTTPScheme, "bearer")
}

// Media types a request body may take.
const (
	MediaJSON = "application/json"
	MediaForm = "application/x-www-form-urlencoded"
)

// RequestMediaType is the media type a client sends the operation's body in: JSON where the
// operation takes it, else a form; "" when it takes neither (or no body).
func (o *Operation) RequestMediaType() string {
	if o.Op == nil || o.Op.RequestBody == nil || o.Op.RequestBody.Value == nil {
		return ""
	}
	c := o.Op.RequestBody.Value.Content
	for _, mt := range []string{MediaJSON, MediaForm} {
		if c.Get(mt) != nil {
			return mt
		}
	}
	return ""
}

// RequestExample is a copy of the example the operation documents for its request body (in the
// media type a client sends, RequestMediaType), when it is an object; nil when it has none.
func (o *Operation) RequestExample() map[string]any {
	mt := o.RequestMediaType()
	if mt == "" {
		return nil
	}
	m := o.Op.RequestBody.Value.Content.Get(mt)
	ex := m.Example
	if ex == nil && m.Schema != nil && m.Schema.Value != nil {
		ex = m.Schema.Value.Example
	}
	obj, ok := ex.(map[string]any)
	if !ok {
		return nil
	}
	return maps.Clone(obj)
}

// ValueSchema is the schema the operation's request declares for the value at l (a body member
// by JSON pointer, in the JSON media type; or a header or query parameter); nil when it declares
// none.
func (o *Operation) ValueSchema(l Location) *openapi3.Schema {
	if o.Op == nil {
		return nil
	}
	if l.In != InBody {
		for _, p := range o.Op.Parameters {
			if p.Value != nil && p.Value.In == string(l.In) && strings.EqualFold(p.Value.Name, l.Name) && p.Value.Schema != nil {
				return p.Value.Schema.Value
			}
		}
		return nil
	}
	if o.Op.RequestBody == nil || o.Op.RequestBody.Value == nil {
		return nil
	}
	for _, mt := range o.Op.RequestBody.Value.Content {
		if mt == nil || mt.Schema == nil {
			continue
		}
		s := mt.Schema.Value
		for _, tok := range strings.Split(strings.TrimPrefix(l.Pointer, "/"), "/") {
			if s == nil {
				break
			}
			tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
			p := s.Properties[tok]
			if p == nil {
				s = nil
				break
			}
			s = p.Value
		}
		if s != nil {
			return s
		}
	}
	return nil
}
