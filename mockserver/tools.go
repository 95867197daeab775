package mockserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/authconform/authconform/mockserver/example"
	"github.com/authconform/authconform/mockserver/store"
	"github.com/authconform/authconform/specs"
)

// The developer tools (package devtools: the admin API, the journal, the session registry,
// faults and Prefer, CORS, the dashboard) attach from outside, as an Extension, through the
// points of this file: a handler for everything under AdminPrefix, a step before routing (CORS),
// a step once the operation is known (provoked outcomes) and an observer when a response is done
// (the journal). A mock started without them serves the specs and nothing else; serve (server.go)
// only calls what was attached.

// Exchange is one request on its way through the core, as a tool sees it: the writer the core
// records what is written through, the request, and what the core learned of it.
type Exchange struct {
	rec   *recorder
	r     *http.Request
	s     *Server
	start time.Time // wall time
}

// Writer is where the answer goes; the core records what is written through it.
func (x Exchange) Writer() http.ResponseWriter { return x.rec }

// Request is the request.
func (x Exchange) Request() *http.Request { return x.r }

// Start is the wall time the core began serving the request.
func (x Exchange) Start() time.Time { return x.start }

// Status is the status answered (200 when nothing was written yet).
func (x Exchange) Status() int {
	if !x.rec.wrote {
		return http.StatusOK
	}
	return x.rec.status
}

// Hijacked reports whether a tool took the connection over (Hijack): nothing was answered.
func (x Exchange) Hijacked() bool { return x.rec.wrote && x.rec.status == 0 }

// Operation is the operation the request was routed to, nil before routing or on a miss.
func (x Exchange) Operation() *Operation {
	if x.rec.op == nil {
		return nil
	}
	return x.rec.op.pub
}

// Account is the id of the account that authenticated the request, if any.
func (x Exchange) Account() string { return x.rec.account }

// Failure is the name of the refusal the request got, if any (a documented failure, or what a
// tool noted with SetFailure).
func (x Exchange) Failure() string { return x.rec.failure }

// SetFailure notes why the request was not served as usual, for the log line and the journal.
func (x Exchange) SetFailure(f string) { x.rec.failure = f }

// RequestBody is the body the core read for the operation; false when it read none.
func (x Exchange) RequestBody() ([]byte, bool) { return x.rec.reqBody, x.rec.readBody }

// ResponseBody is the body answered, when the observers asked for it (Hooks.Observe).
func (x Exchange) ResponseBody() ([]byte, bool) {
	if x.rec.capture == nil {
		return nil, false
	}
	return x.rec.capture.Bytes(), true
}

// Hijack takes the connection over (to drop it); nothing is answered after.
func (x Exchange) Hijack() (net.Conn, error) {
	conn, _, err := http.NewResponseController(x.rec.ResponseWriter).Hijack()
	if err == nil {
		x.rec.wrote = true
	}
	return conn, err
}

// ReadBody reads the request body within the body limit and puts it back for the flow. A body
// over the limit is answered 413 here (the error is then an *http.MaxBytesError); any other error
// is a client gone. net/http watches the connection for a client that leaves (cancelling the
// request's context) only once the body has been read to its end, which a tool that waits needs.
func (x Exchange) ReadBody() error {
	r := x.r
	if r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	// The underlying writer, so net/http learns of a body over the limit and closes the connection.
	body, err := io.ReadAll(http.MaxBytesReader(x.rec.ResponseWriter, r.Body, x.s.maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writePlain(x.rec, http.StatusRequestEntityTooLarge, fmt.Sprintf("the request body is larger than %d bytes", x.s.maxBody))
		}
		return err
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return nil
}

// tools are the steps attached by Hooks.Admin, Before, Provoke, Observe and OnReset.
type tools struct {
	admin     http.Handler
	before    []func(Exchange) bool
	provoke   []func(Exchange, *Operation) bool
	observe   []func(Exchange)
	capture   bool // observers want the response body
	resetFns  []func()
	changeFns []func(store.Change)
}

// Admin serves every request under AdminPrefix with h, inside the core's log line and panic
// guard (without it, such a request is no operation: 404).
func (h *Hooks) Admin(handler http.Handler) { h.s.tools.admin = handler }

// Before adds a step run on every request outside AdminPrefix before it is routed (CORS); true
// when it answered.
func (h *Hooks) Before(fn func(x Exchange) bool) { h.s.tools.before = append(h.s.tools.before, fn) }

// Provoke adds a step run once the operation of a request is known, before its body is read or
// validated (provoked outcomes); true when it answered.
func (h *Hooks) Provoke(fn func(x Exchange, op *Operation) bool) {
	h.s.tools.provoke = append(h.s.tools.provoke, fn)
}

// Observe adds an observer told of every request when its answer is done (after the log line);
// with bodies, the core keeps a copy of every response body for it.
func (h *Hooks) Observe(fn func(x Exchange), bodies bool) {
	h.s.tools.observe = append(h.s.tools.observe, fn)
	h.s.tools.capture = h.s.tools.capture || bodies
}

// OnReset adds what Reset also forgets.
func (h *Hooks) OnReset(fn func()) { h.s.tools.resetFns = append(h.s.tools.resetFns, fn) }

// OnChange runs fn for each change another replica on the same store announces (after the core
// reloaded what it keeps), so a tool can reload what it keeps too.
func (h *Hooks) OnChange(fn func(store.Change)) {
	h.s.tools.changeFns = append(h.s.tools.changeFns, fn)
}

// Announce tells the other replicas on the store about a change a tool made there.
func (s *Server) Announce(ctx context.Context, c store.Change) { s.announce(ctx, c) }

// Logger is where the mock logs.
func (s *Server) Logger() *slog.Logger { return s.log }

// Config is the config the Server was built with (never nil).
func (s *Server) Config() *Config { return s.cfg }

// Issuer is the token issuer the flows of a spec call, as decorated (nil for a spec not served).
func (s *Server) Issuer(spec string) TokenIssuer {
	if m := s.mountNamed(spec); m != nil {
		return m.tok
	}
	return nil
}

// Operations are the operations of a served spec, in document order (nil for a spec not served).
func (s *Server) Operations(spec string) []*Operation {
	m := s.mountNamed(spec)
	if m == nil {
		return nil
	}
	out := make([]*Operation, 0, len(m.spec.Operations))
	for _, op := range m.spec.Operations {
		out = append(out, m.byOp[op].pub)
	}
	return out
}

// Methods lists the methods the specs serve at r's path (HEAD where GET is), and the spec
// serving it; none when no operation is there.
func (s *Server) Methods(r *http.Request) ([]string, *specs.Spec) {
	for _, m := range s.mounts {
		if m.base != "" && r.URL.Path != m.base && !strings.HasPrefix(r.URL.Path, m.base+"/") {
			continue
		}
		if methods := m.allowed(r); len(methods) > 0 {
			return methods, m.spec
		}
	}
	return nil, nil
}

// AddAccount adds an account to a served spec, checked as the config's are (normalized, a
// state the spec documents, no id or identifying value taken).
func (s *Server) AddAccount(spec string, acc specs.Account) (specs.Account, error) {
	m := s.mountNamed(spec)
	if m == nil {
		return specs.Account{}, fmt.Errorf("no served spec %q", spec)
	}
	return m.changeAccounts(context.Background(), func() (specs.Account, error) { return m.accounts.Add(acc) })
}

// SetAccountState changes the state of an account of a served spec.
func (s *Server) SetAccountState(spec, id string, state specs.AccountState) (specs.Account, error) {
	m := s.mountNamed(spec)
	if m == nil {
		return specs.Account{}, fmt.Errorf("no served spec %q", spec)
	}
	return m.changeAccounts(context.Background(), func() (specs.Account, error) { return m.accounts.SetState(id, state) })
}

// KeyPrefix starts every API key the mock creates.
const KeyPrefix = keyPrefix

// Redact shows a secret as its length only: "[redacted 163 chars]".
func Redact(secret string) string { return redact(secret) }

// HeaderSafe keeps a message within what a header value may hold.
func HeaderSafe(s string) string { return headerSafe(s) }

// WriteJSON answers v as JSON (a json.RawMessage as it is).
func WriteJSON(w http.ResponseWriter, status int, v any) { writeJSON(w, status, v) }

// WriteError answers status with the spec's error body (or the message in MessageHeader when
// the status has no JSON content), as the core's own refusals are written.
func (op *Operation) WriteError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	op.o.m.srv.writeErrorBody(op.call(w, r), status, msg)
}

// WriteStoreUnavailable answers a request a tool could not serve because the store failed as
// the core answers its own (writeUnavailable): 503, Retry-After, the spec's error shape, the
// cause in the log only.
func (op *Operation) WriteStoreUnavailable(w http.ResponseWriter, r *http.Request, err error) {
	op.o.m.srv.writeUnavailable(op.call(w, r), err)
}

// WriteServerError answers the operation's documented 5xx (else 500) with the spec's error body.
func (op *Operation) WriteServerError(w http.ResponseWriter, r *http.Request, msg string) {
	op.WriteError(w, r, op.o.server5, msg)
}

// call makes a call of the operation writing to w: the core's own recorder when w is one (a
// tool's step inside serve), so the log and the journal learn of the failure.
func (op *Operation) call(w http.ResponseWriter, r *http.Request) *call {
	rec, ok := w.(*recorder)
	if !ok {
		rec = &recorder{ResponseWriter: w, op: op.o}
	}
	return &call{w: rec, r: r, op: op.o}
}

// Example is the documented example of the operation's response for status, else one built from
// its schema; nil when that response has no JSON content.
func (op *Operation) Example(status int) any {
	return example.Of(op.o.op, status, op.o.m.srv.clock.Now())
}

func (s *Server) mountNamed(name string) *mount {
	for _, m := range s.mounts {
		if m.spec.Name == name {
			return m
		}
	}
	return nil
}

// Shared are the options that make another Server share this one's state: its clock and its
// store, as given (before any extension decorated it). A reload (devtools.Live) builds the next
// Server with them.
func (s *Server) Shared() []Option { return []Option{WithClock(s.clock), WithStore(s.base)} }

// TakeKeys makes the Server sign and verify with the signing keys old has for the specs both
// serve (random keys included), so tokens issued before a reload stay good after it.
func (s *Server) TakeKeys(old *Server) {
	for _, m := range s.mounts {
		if o := old.mountNamed(m.spec.Name); o != nil {
			m.iss.TakeKey(o.iss)
		}
	}
}
