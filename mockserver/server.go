package mockserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/authconform/authconform/mockserver/example"
	"github.com/authconform/authconform/mockserver/store"
	"github.com/authconform/authconform/mockserver/tokens"
	"github.com/authconform/authconform/mockserver/validation"
	"github.com/authconform/authconform/specs"
)

// AdminPrefix is the reserved path prefix of the admin API; no spec may serve under it.
const AdminPrefix = "/__authconform/"

// DefaultMaxBody is the default limit on a request body; a larger body answers 413.
const DefaultMaxBody = 1 << 20

// Option configures New.
type Option func(*options)

type options struct {
	clock   Clock
	cfg     *Config
	log     *slog.Logger
	store   Store
	maxBody int64

	extensions []Extension // WithExtension (hooks.go)
	template   *Server     // WithTemplate

	checkResponses bool
}

// WithClock sets the clock (default: NewClock, real time that the admin API can move).
func WithClock(c Clock) Option { return func(o *options) { o.clock = c } }

// WithConfig sets accounts, lifetimes and signing keys per spec (default: the specs' own).
func WithConfig(c *Config) Option { return func(o *options) { o.cfg = c } }

// WithLogger sets where request logs go (default: discarded).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithStore sets the state store (default: NewMemoryStore on the server's clock).
func WithStore(s Store) Option { return func(o *options) { o.store = s } }

// WithMaxBody sets the request body limit in bytes (default DefaultMaxBody).
func WithMaxBody(n int64) Option { return func(o *options) { o.maxBody = n } }

// WithTemplate makes New share with t what t prepared from the specs both serve (the same
// *specs.Spec): the routers, the validation options, the operations' read-only parts (examples
// included, dated when t prepared them), and the index of the configured accounts where the
// config gives the spec the same settings. These never change after New. Nothing of run-time
// state is shared: the clock, the store, the signing keys and the accounts as the admin API
// changes them are the new Server's own. A sandbox is built so (package devtools).
func WithTemplate(t *Server) Option { return func(o *options) { o.template = t } }

// WithResponseCheck makes the mock check each of its responses against the spec at run time
// (openapi3filter.ValidateResponse with IncludeResponseStatus) and log an error for any that does
// not conform. The response is sent unchanged; the check costs a copy of every body.
func WithResponseCheck(on bool) Option { return func(o *options) { o.checkResponses = on } }

// Server is the mock: an http.Handler serving every given spec under its base path, plus the
// admin API under AdminPrefix.
type Server struct {
	clock   Clock
	store   Store // as decorated by extensions
	base    Store // as given (Shared)
	log     *slog.Logger
	cfg     *Config
	maxBody int64
	mounts  []*mount     // longest base path first
	tools   tools        // the steps the dev tools attached (tools.go)
	handler http.Handler // serve, in the middleware extensions installed (hooks.go)
	unwatch func()       // stops applying the other replicas' changes (shared.go)

	checkResponses bool
}

// mount is one spec as served: its router, operations, accounts and token issuer.
type mount struct {
	srv      *Server
	spec     *specs.Spec
	base     string
	router   routers.Router
	ops      map[*openapi3.Operation]*operation
	byOp     map[*specs.Operation]*operation // every flow's operation, the several of one OpenAPI operation included
	accounts *accounts
	// accountsMu orders the admin API's changes of the accounts and their reloads from the store.
	accountsMu sync.Mutex
	iss        *tokens.Issuer // the spec's own issuer: its key, rotated by Reset, kept by a reload
	tok        TokenIssuer    // what the flows call: iss, or decorators around it
	validate   *openapi3filter.Options
	// tokenRevocation: a logout of this spec ends the access token alone, not its session (a
	// logout flow with endsRefresh false), so access tokens are also looked up by their jti.
	tokenRevocation bool
	prep            *prepared // the read-only parts, perhaps shared with other Servers (WithTemplate)
}

// operation is one documented operation, everything its handler needs prepared in New.
type operation struct {
	m        *mount
	op       *specs.Operation
	flow     *specs.Flow
	handle   flowFunc
	json     map[int]bool            // statuses whose documented response has JSON content
	validate *openapi3filter.Options // kin-openapi's request validation
	jsonBody bool                    // the request body is JSON (validation.JSONBody): kin-openapi's decoding is the flow's
	success  any                     // the documented example of the success response, or one built from its schema, encoded (json.RawMessage)
	missing  string                  // the message for a call without any credential
	fallback int                     // status for a failure the flow does not map: its first documented 4xx
	server5  int                     // a documented 5xx status for our own bugs, or 500
	// vop is op.Op without security requirements, in the routes given to kin-openapi's
	// validation: authentication is the mock's own step (authenticate), and with the no-op
	// authentication function kin-openapi's check only re-read the body for every scheme. The
	// loader already refused a requirement naming an undeclared scheme.
	vop *openapi3.Operation
	// accts, when set by an extension (Operation.MapAccounts), are the accounts this operation's
	// flow sees in place of the mount's.
	accts *accounts
	pub   *Operation // this operation as extensions see it (hooks.go)
	// flows, on the first flow of an OpenAPI operation that serves several (an OAuth 2 token
	// endpoint's password and refresh_token grants), are all of them, told apart by their fixed
	// values (pickFlow).
	flows []*operation
}

// accounts are the accounts the operation's flow sees.
func (o *operation) accounts() *accounts {
	if o.accts != nil {
		return o.accts
	}
	return o.m.accounts
}

// TokenIssuer is what the flows ask of package tokens: issue and verify the spec's tokens, and
// how long each kind lives. The dev tools and deliberate defects decorate it.
type TokenIssuer interface {
	Issue(use specs.TokenKind, sub, sid string, gen uint64) (tokens.Issued, error)
	Verify(token string, use specs.TokenKind) (*tokens.Claims, error)
	Lifetime(use specs.TokenKind) time.Duration
}

var _ TokenIssuer = (*tokens.Issuer)(nil)

// flowFunc handles one flow kind: parse -> check -> issue -> write (STYLE.md rule 10).
type flowFunc func(s *Server, c *call) error

// flows maps every flow kind the mock knows to its handler; New refuses any other kind.
var flows = map[specs.FlowKind]flowFunc{
	specs.KindLogin:        (*Server).login,
	specs.KindRefresh:      (*Server).refresh,
	specs.KindLogout:       (*Server).logout,
	specs.KindAPIKeyCreate: (*Server).createKey,
	specs.KindAPIKeyList:   (*Server).listKeys,
	specs.KindAPIKeyDelete: (*Server).deleteKey,
	specs.KindResource:     (*Server).resource,
	specs.KindJWKS:         (*Server).jwks,
}

// New prepares a mock serving all the given specs at once, each under its BasePath. It fails when
// two specs claim the same route, a spec serves under AdminPrefix, an operation names a flow kind
// the mock does not know, or the config does not fit the specs.
func New(list []*specs.Spec, opts ...Option) (*Server, error) {
	o := options{maxBody: DefaultMaxBody}
	for _, opt := range opts {
		opt(&o)
	}
	if o.clock == nil {
		o.clock = NewClock()
	}
	if o.store == nil {
		o.store = NewMemoryStore(o.clock)
	}
	if o.log == nil {
		o.log = slog.New(slog.DiscardHandler)
	}
	if o.cfg == nil {
		o.cfg = &Config{}
	}
	if len(list) == 0 {
		return nil, errors.New("mockserver: no spec to serve")
	}
	s := &Server{clock: o.clock, store: o.store, base: o.store, log: o.log, cfg: o.cfg, maxBody: o.maxBody, checkResponses: o.checkResponses}

	names := map[string]bool{}
	claimed := map[string]string{} // "METHOD /full/path" -> spec name
	for _, sp := range list {
		if sp == nil {
			return nil, errors.New("mockserver: nil spec")
		}
		if names[sp.Name] {
			return nil, fmt.Errorf("mockserver: spec %q is given twice", sp.Name)
		}
		names[sp.Name] = true
		for _, op := range sp.Operations {
			full := sp.BasePath + op.Path
			if strings.HasPrefix(full+"/", AdminPrefix) {
				return nil, fmt.Errorf("mockserver: spec %s: %s is under the admin prefix %s", sp.Name, op.Key(), AdminPrefix)
			}
			key := op.Method + " " + paramPattern.ReplaceAllString(full, "{}")
			if other, dup := claimed[key]; dup && other != sp.Name { // one spec's operation may serve several flows
				return nil, fmt.Errorf("mockserver: specs %s and %s both serve %s %s; serve them separately", other, sp.Name, op.Method, full)
			}
			claimed[key] = sp.Name
		}
		m, err := s.newMount(sp, o.template)
		if err != nil {
			return nil, fmt.Errorf("mockserver: spec %s: %w", sp.Name, err)
		}
		s.mounts = append(s.mounts, m)
	}
	for _, name := range o.cfg.SpecNames() {
		if !names[name] {
			return nil, fmt.Errorf("%s: specs.%s: no spec of that name is served (served: %s)", o.cfg.Where(), name, strings.Join(slices.Sorted(maps.Keys(names)), ", "))
		}
	}
	slices.SortStableFunc(s.mounts, func(a, b *mount) int { return len(b.base) - len(a.base) })
	if err := s.extend(o.extensions); err != nil {
		return nil, err
	}
	if err := s.loadShared(context.Background(), false); err != nil {
		return nil, fmt.Errorf("mockserver: %w", err)
	}
	s.unwatch = s.base.Watch(s.applyChange)
	return s, nil
}

var paramPattern = regexp.MustCompile(`\{[^}]*\}`)

func (s *Server) newMount(sp *specs.Spec, tmpl *Server) (*mount, error) {
	sc := s.cfg.Specs[sp.Name]
	var from *mount // the template's mount of the same spec, whose prepared parts this one shares
	if tmpl != nil {
		if t := tmpl.mountNamed(sp.Name); t != nil && t.spec == sp {
			from = t
		}
	}
	var accts *accounts
	if from != nil && from.srv.cfg.Specs[sp.Name] == sc { // the same accounts configured
		accts = &accounts{from.accounts.Fresh()}
	} else {
		list := sp.Accounts
		if sc != nil && sc.Accounts != nil {
			var err error
			if list, err = configAccounts(s.cfg, sp, sc.Accounts); err != nil {
				return nil, err
			}
		}
		accts = newAccounts(sp, list)
	}
	access := sp.Tokens.Access.Lifetime.D()
	var refresh time.Duration
	if sp.Tokens.Refresh != nil {
		refresh = sp.Tokens.Refresh.Lifetime.D()
	}
	var key []byte
	if sc != nil {
		if sc.Access != nil {
			access = sc.Access.D()
		}
		if sc.Refresh != nil {
			refresh = sc.Refresh.D()
		}
		key = []byte(sc.SigningKey)
	}
	opaque := map[specs.TokenKind]bool{specs.TokenAccess: sp.Tokens.Access.Format == specs.FormatOpaque}
	if sp.Tokens.Refresh != nil {
		opaque[specs.TokenRefresh] = sp.Tokens.Refresh.Format == specs.FormatOpaque
	}
	iss, err := tokens.New(tokens.Config{Algorithm: sp.Tokens.Algorithm, Issuer: sp.Tokens.Issuer, Key: key, Access: access, Refresh: refresh, Clock: s.clock, Opaque: opaque,
		Table: storeTable{st: s.base, scope: sp.Name},
		Share: func(fresh []byte) ([]byte, error) { return s.base.SigningKey(context.Background(), sp.Name, fresh) }})
	if err != nil {
		return nil, err
	}
	p := (*prepared)(nil)
	if from != nil {
		p = from.prep
	} else if p, err = prepare(sp, s.clock.Now()); err != nil {
		return nil, err
	}
	m := &mount{
		srv: s, spec: sp, base: sp.BasePath, router: p.router, ops: make(map[*openapi3.Operation]*operation, len(sp.Operations)),
		byOp: make(map[*specs.Operation]*operation, len(sp.Operations)), accounts: accts, iss: iss, tok: iss, validate: p.validate,
		tokenRevocation: p.tokenRevocation, prep: p,
	}
	for _, op := range sp.Operations {
		po := p.ops[op]
		o := &operation{m: m, op: op, flow: &op.Flow, handle: po.handle, json: po.json, validate: m.validate, vop: po.vop,
			jsonBody: po.jsonBody, success: po.success, missing: po.missing, fallback: po.fallback, server5: po.server5}
		o.pub = &Operation{o}
		m.byOp[op] = o
		if first := m.ops[op.Op]; first != nil {
			if first.flows == nil {
				first.flows = []*operation{first}
			}
			first.flows = append(first.flows, o)
			continue
		}
		m.ops[op.Op] = o
	}
	return m, nil
}

// prepared is what New makes of a spec alone, before extensions and before any request: its
// router, its validation options and each operation's read-only parts. Nothing in it changes
// after New (an extension changing an operation replaces the operation's own copy of a part), so
// a Server built WithTemplate shares its template's: a sandbox, a world of its own beside the
// default one, costs its state and little else (docs/benchmarks.md).
type prepared struct {
	router   routers.Router
	validate *openapi3filter.Options
	ops      map[*specs.Operation]*preparedOp
	// tokenRevocation: a logout of this spec ends the access token alone (mount.tokenRevocation).
	tokenRevocation bool
}

// preparedOp is the read-only part of an operation (see operation).
type preparedOp struct {
	handle   flowFunc
	json     map[int]bool
	jsonBody bool
	success  any
	missing  string
	fallback int
	server5  int
	vop      *openapi3.Operation
}

// prepare builds the prepared parts of sp. now dates the examples built from a schema (a
// date-time is the time the mock prepared the spec).
func prepare(sp *specs.Spec, now time.Time) (*prepared, error) {
	// The router sees a copy of the document whose only server is the base path: the mock answers
	// on whatever host it listens on, and a documented host (a vendor's cloud host name, or a
	// {hostname} variable) would never match.
	doc := *sp.Doc
	srvURL := sp.BasePath
	if srvURL == "" {
		srvURL = "/"
	}
	doc.Servers = openapi3.Servers{{URL: srvURL}}
	router, err := gorillamux.NewRouter(&doc)
	if err != nil {
		return nil, fmt.Errorf("building the router: %w", err)
	}
	p := &prepared{
		router: router, ops: make(map[*specs.Operation]*preparedOp, len(sp.Operations)),
		validate: &openapi3filter.Options{
			AuthenticationFunc:  openapi3filter.NoopAuthenticationFunc, // authentication is our own step
			SkipSettingDefaults: true,                                  // flows read the body as sent
			KeepValidatedValue:  true,                                  // the flows read the body kin-openapi decoded
			// email, uuid, ... checked as a server would refuse them (kin-openapi checks only
			// date, date-time and byte by itself)
			SchemaValidationOptions: []openapi3.SchemaValidationOption{specs.RequestFormatOption},
		},
	}
	for _, op := range sp.Operations {
		if op.Flow.Kind == specs.KindLogout && !op.Flow.EndsRefresh {
			p.tokenRevocation = true
		}
		h, ok := flows[op.Flow.Kind]
		if !ok {
			return nil, fmt.Errorf("operation %s (%s) has flow kind %q, which the mock does not know", op.ID, op.Key(), op.Flow.Kind)
		}
		vop := *op.Op
		vop.Security = &openapi3.SecurityRequirements{}
		o := &preparedOp{handle: h, json: map[int]bool{}, server5: http.StatusInternalServerError, vop: &vop}
		o.jsonBody = validation.JSONBody(op.Op)
		for _, st := range op.Statuses {
			if r := op.Op.Responses.Status(st); r != nil && r.Value != nil && r.Value.Content.Get("application/json") != nil {
				o.json[st] = true
			}
			if st >= 400 && st < 500 && o.fallback == 0 {
				o.fallback = st
			}
			if st >= 500 && o.server5 == http.StatusInternalServerError {
				o.server5 = st
			}
		}
		if o.fallback == 0 {
			o.fallback = http.StatusBadRequest
		}
		if ex := example.Of(op, op.Flow.Status, now); ex != nil { // what a resource without a body template answers
			b, err := json.Marshal(ex)
			if err != nil {
				return nil, fmt.Errorf("operation %s: the example of response %d does not encode as JSON: %w", op.ID, op.Flow.Status, err)
			}
			o.success = json.RawMessage(b)
		}
		o.missing = missingMessage(op)
		p.ops[op] = o
	}
	return p, nil
}

// missingMessage names every way the operation takes a credential, for a call that sent none.
func missingMessage(op *specs.Operation) string {
	var ways []string
	for _, alt := range op.Security {
		var parts []string
		for _, sc := range alt {
			if sc.Optional {
				continue
			}
			switch {
			case sc.IsBasic():
				parts = append(parts, "header Authorization: Basic <base64 user:password>")
			case sc.IsBearer():
				parts = append(parts, "header Authorization: Bearer <token>")
			case sc.In == specs.InQuery:
				parts = append(parts, "query parameter "+sc.Header)
			default:
				parts = append(parts, "header "+sc.Header)
			}
		}
		ways = append(ways, strings.Join(parts, " with "))
	}
	return "no credential; send " + strings.Join(ways, ", or ")
}

// Specs returns the served specs, longest base path first.
func (s *Server) Specs() []*specs.Spec {
	out := make([]*specs.Spec, len(s.mounts))
	for i, m := range s.mounts {
		out[i] = m.spec
	}
	return out
}

// Accounts returns the accounts a spec is served with (the config's, else the spec's demo accounts).
func (s *Server) Accounts(spec string) []specs.Account {
	for _, m := range s.mounts {
		if m.spec.Name == spec {
			return m.accounts.Snapshot()
		}
	}
	return nil
}

// Clock returns the clock every flow uses.
func (s *Server) Clock() Clock { return s.clock }

// Reset is a restart without one: every run-time state forgotten, new random signing keys (so
// the tokens issued before, revoked or not, are refused; keys pinned by the config stay), and an
// adjustable clock back on its base time. It fails when the store could not forget its state
// (store.ErrUnavailable: Redis down); the rest is reset all the same.
//
// With a store shared by replicas, every replica resets: the store forgets the shared state, and
// the others, told so, forget what they keep themselves.
func (s *Server) Reset(ctx context.Context) error {
	err := s.store.Reset(ctx)
	if err != nil {
		s.log.Error("reset: the store failed", "error", err)
	}
	s.forgetLocal()
	if c, ok := s.clock.(AdjustableClock); ok {
		c.Reset()
	}
	if lerr := s.loadShared(ctx, true); err == nil {
		err = lerr
	}
	if err == nil {
		s.announce(ctx, store.Change{What: store.ChangedAll})
	}
	return err
}

// call is one request on its way through a flow.
type call struct {
	w        *recorder
	r        *http.Request
	op       *operation
	body     []byte
	parsed   any
	parseErr error
	parsedOK bool
	who      *principal
	acct     *specs.Account // the account a login found, for a refusal's body
	// in and reread are kin-openapi's validation input and the body it reads, kept here so that
	// a request allocates them with its call rather than each on its own.
	in     openapi3filter.RequestValidationInput
	reread bodyReader
}

// bodyReader hands kin-openapi the body serveOp read (io.NopCloser(bytes.NewReader(b)) in one).
type bodyReader struct{ bytes.Reader }

func (*bodyReader) Close() error { return nil }

// ServeHTTP serves a request: through the middleware extensions installed, to serve.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// serve routes, validates, authenticates and runs the operation's flow.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	start := time.Now() // wall time for the log's duration, not the mock's clock
	rec := &recorder{ResponseWriter: w}
	defer func() {
		if v := recover(); v != nil {
			s.log.Error("panic serving request", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(v), "stack", stack())
			if !rec.wrote {
				rec.failure, rec.cause = "internal", fmt.Errorf("panic: %v", v)
				const msg = "internal error of the mock; see its log"
				if rec.op != nil {
					// The operation's documented 5xx in the spec's error shape, if it has one.
					s.writeErrorBody(&call{w: rec, r: r, op: rec.op}, rec.op.server5, msg)
				} else {
					writePlain(rec, http.StatusInternalServerError, msg)
				}
			}
		}
		s.logRequest(r, rec, time.Since(start))
		for _, fn := range s.tools.observe {
			fn(Exchange{rec: rec, r: r, s: s, start: start})
		}
	}()
	if s.tools.admin != nil && strings.HasPrefix(r.URL.Path, AdminPrefix) {
		s.tools.admin.ServeHTTP(rec, r) // the admin API (package devtools)
		return
	}
	if s.tools.capture {
		rec.capture = new(bytes.Buffer) // for the observers (the journal)
	}
	for _, fn := range s.tools.before { // CORS (package devtools)
		if fn(Exchange{rec: rec, r: r, s: s, start: start}) {
			return
		}
	}
	op, route, params, allow := s.find(r)
	if op == nil {
		if allow != "" {
			rec.Header().Set("Allow", allow)
			writePlain(rec, http.StatusMethodNotAllowed, fmt.Sprintf("method %s is not allowed on %s; allowed: %s", r.Method, r.URL.Path, allow))
			return
		}
		writePlain(rec, http.StatusNotFound, fmt.Sprintf("no operation at %s in the served specs", r.URL.Path))
		return
	}
	rec.op = op
	for _, fn := range s.tools.provoke { // Prefer header and queued faults (package devtools)
		if fn(Exchange{rec: rec, r: r, s: s, start: start}, op.pub) {
			return
		}
	}
	s.serveOp(rec, r, op, route, params)
}

// find locates the operation of a request. On a miss, allow lists the methods the path does take.
// HEAD is GET without the content (RFC 9110, 9.3.2): a HEAD request finds the GET operation of its
// path, and net/http drops the body that operation writes.
func (s *Server) find(r *http.Request) (op *operation, route *routers.Route, params map[string]string, allow string) {
	op, route, params, allow = s.lookup(r)
	if op == nil && r.Method == http.MethodHead {
		get := r.Clone(r.Context())
		get.Method = http.MethodGet
		if gop, groute, gparams, _ := s.lookup(get); gop != nil {
			return gop, groute, gparams, ""
		}
	}
	return op, route, params, allow
}

// lookup is find for the request's own method.
func (s *Server) lookup(r *http.Request) (op *operation, route *routers.Route, params map[string]string, allow string) {
	var methods []string
	for _, m := range s.mounts {
		if m.base != "" && r.URL.Path != m.base && !strings.HasPrefix(r.URL.Path, m.base+"/") {
			continue
		}
		rt, ps, err := m.router.FindRoute(r)
		if err == nil {
			op := m.ops[rt.Operation]
			if op == nil { // New prepares every operation of the document; a 404 rather than a panic
				return nil, nil, nil, ""
			}
			rt.Operation = op.vop // rt is the router's fresh copy
			return op, rt, ps, ""
		}
		if errors.Is(err, routers.ErrMethodNotAllowed) {
			methods = append(methods, m.allowed(r)...)
		}
	}
	slices.Sort(methods)
	return nil, nil, nil, strings.Join(slices.Compact(methods), ", ")
}

// allowed lists the methods that route for r's path; only asked on the 405 path.
func (m *mount) allowed(r *http.Request) []string {
	var out []string
	for _, method := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions, http.MethodTrace} {
		probe := r.Clone(r.Context())
		probe.Method = method
		if _, _, err := m.router.FindRoute(probe); err == nil {
			out = append(out, method)
		}
	}
	if slices.Contains(out, http.MethodGet) && !slices.Contains(out, http.MethodHead) {
		out = append(out, http.MethodHead) // answered by the GET operation (find)
	}
	return out
}

func (s *Server) serveOp(w *recorder, r *http.Request, op *operation, route *routers.Route, params map[string]string) {
	c := &call{w: w, r: r, op: op}
	if s.checkResponses {
		w.capture = new(bytes.Buffer)
		defer s.checkResponse(w, r, route, params)
	}
	// The underlying writer, so net/http learns of a body over the limit and closes the connection.
	body, err := readBody(http.MaxBytesReader(w.ResponseWriter, r.Body, s.maxBody), r.ContentLength, s.maxBody)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writePlain(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the request body is larger than %d bytes", s.maxBody))
			return
		}
		s.writeError(c, failf(specs.FailInvalidRequest, err, "the request body could not be read"))
		return
	}
	c.body = body
	w.reqBody, w.readBody = body, true // for the journal
	if op.flows != nil {
		op = c.pickFlow()
		c.op, w.op = op, op
	}
	c.reread.Reset(body)
	r.Body = &c.reread // kin-openapi reads it
	c.in = openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route, Options: op.validate}
	in := &c.in
	err = openapi3filter.ValidateRequest(r.Context(), in)
	if op.jsonBody && len(body) > 0 && validation.BodyDecoded(err) && !json.Valid(body) {
		// kin-openapi's decoder reads the first JSON value and ignores what follows it; data after
		// the value is a body that does not parse, refused as one.
		err = &openapi3filter.RequestError{Input: in, RequestBody: op.op.Op.RequestBody.Value, Reason: "failed to decode request body",
			Err: &openapi3filter.ParseError{Kind: openapi3filter.KindInvalidFormat, Cause: validation.ErrTrailingData}}
	}
	if v, ok := r.Body.(interface{ ValidatedValue() any }); ok && err == nil {
		c.parsed, c.parsedOK = v.ValidatedValue(), true // decoded once, by kin-openapi
	}
	if err != nil && len(op.flow.Fixed) > 0 {
		// A fixed value of another value is its own failure even where the schema's enum
		// refuses it first: RFC 6749's unsupported_grant_type, not invalid_request.
		var fl *failure
		if errors.As(c.checkFixed(), &fl) && fl.name != specs.FailInvalidRequest {
			s.writeError(c, fl)
			return
		}
	}
	if err != nil {
		// No cause: kin-openapi's error quotes the offending value, which may be a password.
		s.writeError(c, &failure{name: specs.FailInvalidRequest, msg: validation.DescribeRequest(err)})
		return
	}
	if op.op.Protected() {
		who, err := s.authenticate(c)
		if err != nil {
			s.writeError(c, err)
			return
		}
		c.who = who
		w.account = who.account.ID
		if err := c.checkBinds(); err != nil {
			s.writeError(c, err)
			return
		}
	}
	if err := op.handle(s, c); err != nil {
		s.writeError(c, err)
	}
}

// readBody is io.ReadAll(r) into a buffer of the declared length when the request declares one
// within the limit: io.ReadAll starts every body, a login's 40 bytes too, at 512 bytes. A body
// longer than it declared is still read whole (the buffer grows), and a shorter one is what
// arrived: net/http refuses both before the handler reads past them.
func readBody(r io.Reader, declared, limit int64) ([]byte, error) {
	if declared <= 0 || declared > limit {
		return io.ReadAll(r)
	}
	b := make([]byte, 0, declared+1) // +1: the read that finds EOF need not grow it
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // grow as io.ReadAll does
		}
	}
}

// checkResponse validates what serveOp answered against the spec (WithResponseCheck). The
// request body limit's 413 is the router's, not the operation's, and is not checked.
func (s *Server) checkResponse(w *recorder, r *http.Request, route *routers.Route, params map[string]string) {
	status := w.status
	if !w.wrote {
		status = http.StatusOK
	}
	if status == http.StatusRequestEntityTooLarge {
		return
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route},
		Status:                 status,
		Header:                 w.Header(),
		Body:                   io.NopCloser(bytes.NewReader(w.capture.Bytes())),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true},
	}
	if err := openapi3filter.ValidateResponse(r.Context(), in); err != nil {
		s.log.Error("response does not conform to the spec", "operation", w.op.op.ID, "status", status, "problem", validation.DescribeResponse(err))
	}
}
