package mockserver

import (
	"bytes"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"slices"

	"github.com/authconform/authconform/mockserver/store"
	"github.com/authconform/authconform/mockserver/tokens"
	"github.com/authconform/authconform/specs"
)

// Extension attaches behaviour to the mock from outside: the deliberate defects and benign
// variants of package defects, and the developer tools. The core never asks whether one is
// installed; it calls what an extension put at its extension points. New calls Extend once per
// Server, after the specs are mounted and before the first request, in the order the extensions
// were given; an error fails New. A Live reload builds a new Server and calls Extend again, so an
// extension keeps no state of one Server for the next unless it means to.
type Extension interface {
	Extend(h *Hooks) error
}

// WithExtension adds an extension (New calls them in the order given).
func WithExtension(e Extension) Option {
	return func(o *options) { o.extensions = append(o.extensions, e) }
}

// Hooks are the extension points of a Server being built: operation overrides, token issuer and
// store decorators, and handler middleware. They are valid only during Extend.
type Hooks struct {
	s  *Server
	mw []func(http.Handler) http.Handler
}

// Server is the Server being built: its specs, accounts, clock, and Route for middleware that
// must know the operation of a request.
func (h *Hooks) Server() *Server { return h.s }

// Logger is where the mock logs.
func (h *Hooks) Logger() *slog.Logger { return h.s.log }

// Operations are the operations of a served spec, in document order, to change before serving
// (nil for a spec not served).
func (h *Hooks) Operations(spec string) []*Operation { return h.s.Operations(spec) }

// DecorateIssuer wraps the token issuer the flows of a spec call. base is the spec's own issuer
// (its key and clock, Claims, Sign and Keyfunc), next what the flows called so far.
func (h *Hooks) DecorateIssuer(spec string, d func(base *tokens.Issuer, next TokenIssuer) TokenIssuer) {
	if m := h.s.mountNamed(spec); m != nil {
		m.tok = d(m.iss, m.tok)
	}
}

// DecorateStore wraps the store every flow asks.
func (h *Hooks) DecorateStore(d func(next store.Store) store.Store) { h.s.store = d(h.s.store) }

// Use wraps the mock's handler in mw. Each Use goes around everything before it: the last
// middleware installed sees a request first.
func (h *Hooks) Use(mw func(http.Handler) http.Handler) { h.mw = append(h.mw, mw) }

// Operation is one served operation as an extension sees it: what it documents, and the settings
// the core answers it with, which an extension may change before serving (each change copies
// what it changes; the spec itself, which other servers may share, is never written).
type Operation struct{ o *operation }

// Spec is the operation's spec.
func (op *Operation) Spec() *specs.Spec { return op.o.m.spec }

// Op is the operation as served: documented, with the security an extension may have changed.
func (op *Operation) Op() *specs.Operation { return op.o.op }

// Flow is the flow the core answers the operation with.
func (op *Operation) Flow() *specs.Flow { return op.o.flow }

// Issuer is the token issuer of the operation's spec, decorated as installed so far.
func (op *Operation) Issuer() TokenIssuer { return op.o.m.tok }

// JSON reports whether the documented response for status has JSON content.
func (op *Operation) JSON(status int) bool { return op.o.json[status] }

// EditFlow changes a copy of the operation's flow.
func (op *Operation) EditFlow(fn func(f *specs.Flow)) {
	f := *op.o.flow
	f.Failures = maps.Clone(f.Failures)
	if f.Failures == nil {
		f.Failures = map[specs.Failure]int{}
	}
	f.Tokens = slices.Clone(f.Tokens)
	fn(&f)
	op.o.flow = &f
}

// SetFailures answers each of the failures with status (a body in the error shape when the
// status has JSON content, or takes that of the success).
func (op *Operation) SetFailures(status int, fs ...specs.Failure) {
	op.EditFlow(func(f *specs.Flow) {
		for _, name := range fs {
			f.Failures[name] = status
		}
	})
}

// SetStatus answers success with status, with the body the documented one would have.
func (op *Operation) SetStatus(status int) {
	o := op.o
	o.json = maps.Clone(o.json)
	o.json[status] = o.json[o.flow.Status]
	op.EditFlow(func(f *specs.Flow) { f.Status = status })
}

// EditSecurity changes copies of every scheme of the operation's security; a nil result drops
// the scheme from its alternative.
func (op *Operation) EditSecurity(fn func(s *specs.Scheme) *specs.Scheme) {
	cp := *op.o.op
	cp.Security = nil
	for _, alt := range op.o.op.Security {
		var out specs.SecurityAlt
		for _, s := range alt {
			c := *s
			c.Accepts = slices.Clone(s.Accepts)
			if n := fn(&c); n != nil {
				out = append(out, n)
			}
		}
		cp.Security = append(cp.Security, out)
	}
	op.o.op = &cp
}

// MapAccounts makes the operation's flow see the spec's accounts, as configured, changed by fn
// (the admin API's changes are not seen by it).
func (op *Operation) MapAccounts(fn func(specs.Account) specs.Account) {
	list := slices.Clone(op.o.m.accounts.Configured())
	for i := range list {
		list[i] = fn(list[i])
	}
	op.o.accts = newAccounts(op.o.m.spec, list)
}

// WriteSuccess answers the operation's documented success: its example when the success has JSON
// content, else the status alone.
func (op *Operation) WriteSuccess(w http.ResponseWriter) {
	o := op.o
	if o.json[o.flow.Status] && o.success != nil {
		writeJSON(w, o.flow.Status, o.success)
		return
	}
	w.WriteHeader(o.flow.Status)
}

// WriteFailure answers a failure as the operation's flow documents it: its status and the spec's
// error body, as the core's own refusals are written.
func (op *Operation) WriteFailure(w http.ResponseWriter, r *http.Request, name specs.Failure, msg string) {
	op.o.m.srv.writeError(op.call(w, r), fail(name, "%s", msg))
}

// Route is the operation a request is served by (HEAD finds GET's), nil when none. For an
// operation serving several flows (an OAuth 2 token endpoint) it reads the body to tell which,
// and puts it back for the handler.
func (s *Server) Route(r *http.Request) *Operation {
	op, _, _, _ := s.find(r)
	if op == nil {
		return nil
	}
	if op.flows != nil && r.Body != nil {
		body, _ := io.ReadAll(io.LimitReader(r.Body, s.maxBody))
		r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		c := &call{r: r, op: op, body: body}
		op = c.pickFlow()
	}
	return op.pub
}

// Store is the store the flows ask, decorated as installed.
func (s *Server) Store() store.Store { return s.store }

// WritePlain answers outside any operation with {"message": msg} and the message in
// MessageHeader, as the mock's own 404, 405 and 413 are written.
func WritePlain(w http.ResponseWriter, status int, msg string) { writePlain(w, status, msg) }

// extend runs the extensions (called once, from New).
func (s *Server) extend(exts []Extension) error {
	h := &Hooks{s: s}
	for _, e := range exts {
		if err := e.Extend(h); err != nil {
			return err
		}
	}
	var next http.Handler = http.HandlerFunc(s.serve)
	for _, mw := range h.mw {
		next = mw(next)
	}
	s.handler = next
	return nil
}

// MaxBody is the request body limit in bytes.
func (s *Server) MaxBody() int64 { return s.maxBody }
