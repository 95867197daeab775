package defects

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/authconform/authconform/mockserver"
	"github.com/authconform/authconform/specs"
)

// Mutation is one named defect or variant of the mock.
type Mutation struct {
	Name    string
	Variant bool     // a benign variant: the suites must still pass
	Flow    string   // the flow it touches, for the catalog: login, refresh, logout, apikey, resource, tokens
	Summary string   // one line: what the server does wrong (or differently)
	Needs   string   // the spec feature it needs, in words
	Catches []string // defects: check IDs expected to catch it (at least one fails on every spec it applies to)

	applies func(*specs.Spec) bool
	install func(*mount)
	// readings, when set, picks readings of the spec's gaps the mutation runs under: the mock
	// follows them (specs.WithReadings) and the kill matrix's target declares them, so a server
	// that claims a reading and breaks it is caught.
	readings func(*specs.Spec) map[string]string
}

// AppliesTo reports whether the spec has the feature the mutation changes.
func (m *Mutation) AppliesTo(sp *specs.Spec) bool { return m.applies(sp) }

// Readings are the readings (decision id -> choice) the mutation runs under on sp; nil for the
// document as written.
func (m *Mutation) Readings(sp *specs.Spec) map[string]string {
	if m.readings == nil {
		return nil
	}
	return m.readings(sp)
}

// Defects lists every deliberate defect, in catalog order.
func Defects() []*Mutation { return slices.Concat(defectCatalog, vocabularyCatalog) }

// Variants lists every benign variant, in catalog order.
func Variants() []*Mutation { return slices.Clone(variantCatalog) }

// Lookup finds a defect or variant by name.
func Lookup(name string) (*Mutation, bool) {
	for _, m := range slices.Concat(defectCatalog, vocabularyCatalog, variantCatalog) {
		if m.Name == name {
			return m, true
		}
	}
	return nil, false
}

// Set is a choice of defects and variants, attached to a mock as a mockserver.Extension: give it
// to New with mockserver.WithExtension. Extend fails on an unknown name and on a mutation that
// applies to none of the served specs. Never in production use: the mock then breaks the rules
// its specs document, on purpose.
type Set struct {
	defects, variants []string

	mu     sync.Mutex
	active []string // installed by the last Extend, in the order chosen
	blind  []string // lower-case header names the listener hides (Listener)
	conns  sync.Map // remote address -> true, for the connections Listener accepted
}

// Choose makes a Set of defects and variants by name (each may also be a comma-separated list).
func Choose(defects, variants []string) *Set { return &Set{defects: defects, variants: variants} }

// Empty reports whether nothing was chosen.
func (s *Set) Empty() bool { return len(s.defects) == 0 && len(s.variants) == 0 }

// Active returns the names of the defects and variants the last mock built with the Set runs with.
func (s *Set) Active() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.active)
}

// names lists the names of a catalog, for error messages.
func names(variant bool) string {
	list := Defects()
	if variant {
		list = variantCatalog
	}
	out := make([]string, len(list))
	for i, m := range list {
		out[i] = m.Name
	}
	return strings.Join(out, ", ")
}

// Extend installs the chosen mutations on the Server being built (mockserver.Extension).
func (s *Set) Extend(h *mockserver.Hooks) error {
	in := &installation{set: s, h: h, srv: h.Server(), specs: map[string]*specHooks{}}
	var active, blind []string
	seen := map[string]bool{}
	for _, ch := range []struct {
		variant bool
		names   []string
	}{{false, s.defects}, {true, s.variants}} {
		kind := "defect"
		if ch.variant {
			kind = "variant"
		}
		for _, raw := range ch.names {
			for _, name := range strings.Split(raw, ",") {
				name = strings.TrimSpace(name)
				if name == "" || seen[name] {
					continue
				}
				seen[name] = true
				m, ok := Lookup(name)
				if !ok || m.Variant != ch.variant {
					return fmt.Errorf("mockserver: unknown %s %q; the %ss are: %s", kind, name, kind, names(ch.variant))
				}
				applied := false
				var served []string
				for _, sp := range in.srv.Specs() {
					served = append(served, sp.Name)
					if m.applies(sp) {
						m.install(&mount{in: in, spec: sp})
						applied = true
					}
				}
				if !applied {
					slices.Sort(served)
					return fmt.Errorf("mockserver: %s %s needs %s, which none of the served specs (%s) has", kind, name, m.Needs, strings.Join(served, ", "))
				}
				active = append(active, name)
			}
		}
	}
	blind = in.blind
	s.mu.Lock()
	s.active, s.blind = active, blind
	s.mu.Unlock()
	if in.store != nil {
		h.DecorateStore(in.store.wrap)
	}
	if len(in.specs) > 0 || in.slashes || len(blind) > 0 {
		h.Use(in.middleware)
	}
	if len(active) > 0 {
		h.Logger().Warn("the mock runs with deliberate mutations; it does not conform to its specs on purpose", "mutations", strings.Join(active, ","))
	}
	return nil
}

// installation is what one Extend installs: per spec the request and response edits, the store
// decorator, and the switches of the middleware.
type installation struct {
	set     *Set
	h       *mockserver.Hooks
	srv     *mockserver.Server
	specs   map[string]*specHooks
	store   *mutantStore // nil until a mutation decorates the store
	blind   []string
	slashes bool // a path is also found with or without its trailing slash
}

// specHooks are the request and response edits for one served spec.
type specHooks struct {
	request  []requestEdit
	response []responseEdit
	lower    bool // response header names sent in lower case
	chunked  bool // responses sent with chunked transfer encoding
	tokens   *mutantIssuer
}

// requestEdit may change a request before the mock sees it, or answer it itself (true).
type requestEdit func(op *mockserver.Operation, w http.ResponseWriter, r *http.Request) bool

// responseEdit may change the mock's buffered response before it is sent.
type responseEdit func(op *mockserver.Operation, r *http.Request, res *bufferedResponse)

// mount is what a mutation's install gets: one served spec, and the helpers that install through
// the extension points.
type mount struct {
	in   *installation
	spec *specs.Spec
}

// hooks returns the edits of the mount's spec, creating them.
func (m *mount) hooks() *specHooks {
	h := m.in.specs[m.spec.Name]
	if h == nil {
		h = &specHooks{}
		m.in.specs[m.spec.Name] = h
	}
	return h
}

// ops calls fn for every operation of the spec satisfying pred.
func (m *mount) ops(pred func(*specs.Operation) bool, fn func(op *mockserver.Operation)) {
	for _, op := range m.in.h.Operations(m.spec.Name) {
		if pred(op.Op()) {
			fn(op)
		}
	}
}

// onRequest adds a request edit on the spec's operations of the given kinds (none: every operation).
func (m *mount) onRequest(edit requestEdit, kinds ...specs.FlowKind) {
	h := m.hooks()
	h.request = append(h.request, func(op *mockserver.Operation, w http.ResponseWriter, r *http.Request) bool {
		return (len(kinds) == 0 || slices.Contains(kinds, op.Flow().Kind)) && edit(op, w, r)
	})
}

// onResponse adds a response edit on the spec's operations of the given kinds (none: every operation).
func (m *mount) onResponse(edit responseEdit, kinds ...specs.FlowKind) {
	h := m.hooks()
	h.response = append(h.response, func(op *mockserver.Operation, r *http.Request, res *bufferedResponse) {
		if len(kinds) == 0 || slices.Contains(kinds, op.Flow().Kind) {
			edit(op, r, res)
		}
	})
}

// middleware runs the request and response edits around the mock (installed with Hooks.Use).
func (in *installation) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, mockserver.AdminPrefix) {
			next.ServeHTTP(w, r)
			return
		}
		if len(in.blind) > 0 && !in.set.throughListener(r) {
			in.h.Logger().Error("a defect needs the listener wrapped by the defect set's Listener", "defect", "header-names-case-sensitive")
			mockserver.WritePlain(w, http.StatusInternalServerError, "this mock runs a defect that works below HTTP (header-names-case-sensitive), but its listener was not wrapped with the defect set's Listener; see package defects")
			return
		}
		op := in.srv.Route(r)
		if op == nil && in.slashes && r.URL.Path != "/" {
			alt := r.Clone(r.Context())
			if p, ok := strings.CutSuffix(r.URL.Path, "/"); ok {
				alt.URL.Path = p
			} else {
				alt.URL.Path = r.URL.Path + "/"
			}
			alt.URL.RawPath = ""
			if op = in.srv.Route(alt); op != nil {
				r = alt
			}
		}
		var h *specHooks
		if op != nil {
			h = in.specs[op.Spec().Name]
		}
		if h == nil {
			next.ServeHTTP(w, r)
			return
		}
		for _, edit := range h.request {
			if edit(op, w, r) {
				return
			}
		}
		if len(h.response) == 0 && !h.lower && !h.chunked {
			next.ServeHTTP(w, r)
			return
		}
		res := newBufferedResponse()
		next.ServeHTTP(res, r)
		for _, edit := range h.response {
			edit(op, r, res)
		}
		res.send(w, h.lower, h.chunked)
	})
}

// readBody reads a request body within the mock's limit and puts it back.
func (in *installation) readBody(r *http.Request) []byte {
	if r.Body == nil {
		return nil
	}
	b, _ := io.ReadAll(io.LimitReader(r.Body, in.srv.MaxBody()))
	setBody(r, b)
	return b
}

func setBody(r *http.Request, b []byte) {
	r.Body = io.NopCloser(strings.NewReader(string(b)))
	r.ContentLength = int64(len(b))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(string(b))), nil }
}

var _ mockserver.Extension = (*Set)(nil)
