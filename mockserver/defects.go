package mockserver

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/authconform/authconform/specs"
)

// Mutation testing of the suites (docs/mutation.md). A Mutation is either a deliberate defect, a
// realistic bug a vendor might ship that the suites must catch, or a benign variant, something
// the specs leave open that the suites must accept. Each is defined over flow kinds and spec
// features, never over a vendor, and applies to every served spec that has its feature.
//
// Mutations are decorators: they change an operation's settings, wrap a flow, the store or the
// token issuer, or edit a request before, and a response after, the real code path ran. The
// shipped path is untouched: a server without mutations has no hooks at all (s.mut is nil).

// Mutation is one named defect or variant of the mock.
type Mutation struct {
	Name    string
	Variant bool     // a benign variant: the suites must still pass
	Flow    string   // the flow it touches, for the catalog: login, refresh, logout, apikey, resource, tokens
	Summary string   // one line: what the server does wrong (or differently)
	Needs   string   // the spec feature it needs, in words
	Catches []string // defects: check IDs expected to catch it (at least one fails on every spec it applies to)

	applies func(*specs.Spec) bool
	install func(*mutator, *mount)
}

// AppliesTo reports whether the spec has the feature the mutation changes.
func (m *Mutation) AppliesTo(sp *specs.Spec) bool { return m.applies(sp) }

// Defects lists every deliberate defect, in catalog order.
func Defects() []*Mutation { return slices.Clone(defectCatalog) }

// Variants lists every benign variant, in catalog order.
func Variants() []*Mutation { return slices.Clone(variantCatalog) }

// LookupMutation finds a defect or variant by name.
func LookupMutation(name string) (*Mutation, bool) {
	for _, m := range slices.Concat(defectCatalog, variantCatalog) {
		if m.Name == name {
			return m, true
		}
	}
	return nil, false
}

// WithDefects starts the mock with deliberate defects (Defects): New fails on an unknown name
// and on a defect that applies to none of the served specs. Never in production use: the mock
// then breaks the rules its specs document, on purpose.
func WithDefects(names ...string) Option {
	return func(o *options) { o.mutations = append(o.mutations, mutationChoice{variant: false, names: names}) }
}

// WithVariants starts the mock with benign variants (Variants); New fails on an unknown name and
// on a variant that applies to none of the served specs.
func WithVariants(names ...string) Option {
	return func(o *options) { o.mutations = append(o.mutations, mutationChoice{variant: true, names: names}) }
}

type mutationChoice struct {
	variant bool
	names   []string
}

// mutationNames lists the names of a catalog, for error messages.
func mutationNames(variant bool) string {
	list := defectCatalog
	if variant {
		list = variantCatalog
	}
	names := make([]string, len(list))
	for i, m := range list {
		names[i] = m.Name
	}
	return strings.Join(names, ", ")
}

// mutator holds the hooks the chosen mutations installed.
type mutator struct {
	s       *Server
	active  []string
	mounts  map[*mount]*mountHooks
	store   *mutantStore // nil until a mutation wraps the store
	blind   []string     // lower-case header names the listener hides (WrapListener)
	slashes bool         // a path is also found with or without its trailing slash
}

// mountHooks are the request and response edits for one mounted spec.
type mountHooks struct {
	request  []requestEdit
	response []responseEdit
	lower    bool // response header names sent in lower case
	chunked  bool // responses sent with chunked transfer encoding
	tokens   *mutantIssuer
}

// requestEdit may change a request before the mock sees it, or answer it itself (true).
type requestEdit func(op *operation, w http.ResponseWriter, r *http.Request) bool

// responseEdit may change the mock's buffered response before it is sent.
type responseEdit func(op *operation, r *http.Request, res *bufferedResponse)

// mutate installs the chosen mutations on the server (called once, from New).
func (s *Server) mutate(choices []mutationChoice) error {
	if len(choices) == 0 {
		return nil
	}
	mu := &mutator{s: s, mounts: map[*mount]*mountHooks{}}
	seen := map[string]bool{}
	for _, ch := range choices {
		for _, raw := range ch.names {
			for _, name := range strings.Split(raw, ",") {
				name = strings.TrimSpace(name)
				if name == "" || seen[name] {
					continue
				}
				seen[name] = true
				m, ok := LookupMutation(name)
				kind := "defect"
				if ch.variant {
					kind = "variant"
				}
				if !ok || m.Variant != ch.variant {
					return fmt.Errorf("mockserver: unknown %s %q; the %ss are: %s", kind, name, kind, mutationNames(ch.variant))
				}
				applied := false
				for _, mt := range s.mounts {
					if m.applies(mt.spec) {
						m.install(mu, mt)
						applied = true
					}
				}
				if !applied {
					return fmt.Errorf("mockserver: %s %s needs %s, which none of the served specs (%s) has", kind, name, m.Needs, strings.Join(specNames(s.mounts), ", "))
				}
				mu.active = append(mu.active, name)
			}
		}
	}
	if len(mu.active) > 0 {
		s.mut = mu
		s.log.Warn("the mock runs with deliberate mutations; it does not conform to its specs on purpose", "mutations", strings.Join(mu.active, ","))
	}
	return nil
}

func specNames(ms []*mount) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.spec.Name
	}
	slices.Sort(out)
	return out
}

// Mutations returns the names of the defects and variants the server runs with.
func (s *Server) Mutations() []string {
	if s.mut == nil {
		return nil
	}
	return slices.Clone(s.mut.active)
}

// hooks returns the hooks of a mount, creating them.
func (mu *mutator) hooks(m *mount) *mountHooks {
	h := mu.mounts[m]
	if h == nil {
		h = &mountHooks{}
		mu.mounts[m] = h
	}
	return h
}

// onRequest adds a request edit on m's operations of the given kinds (none: every operation).
func (mu *mutator) onRequest(m *mount, edit requestEdit, kinds ...specs.FlowKind) {
	h := mu.hooks(m)
	h.request = append(h.request, func(op *operation, w http.ResponseWriter, r *http.Request) bool {
		return (len(kinds) == 0 || slices.Contains(kinds, op.flow.Kind)) && edit(op, w, r)
	})
}

// onResponse adds a response edit on m's operations of the given kinds (none: every operation).
func (mu *mutator) onResponse(m *mount, edit responseEdit, kinds ...specs.FlowKind) {
	h := mu.hooks(m)
	h.response = append(h.response, func(op *operation, r *http.Request, res *bufferedResponse) {
		if len(kinds) == 0 || slices.Contains(kinds, op.flow.Kind) {
			edit(op, r, res)
		}
	})
}

// mutatedKey marks a request the mutator has already seen, when it comes back through ServeHTTP.
type mutatedKey struct{}

// intercept runs the mutations' request and response edits around the real ServeHTTP, which it
// calls again with the request marked; false means "not mine, serve as usual".
func (mu *mutator) intercept(w http.ResponseWriter, r *http.Request) bool {
	if r.Context().Value(mutatedKey{}) != nil || strings.HasPrefix(r.URL.Path, AdminPrefix) {
		return false
	}
	op, _, _, _ := mu.s.find(r)
	if op == nil && mu.slashes && r.URL.Path != "/" {
		alt := r.Clone(r.Context())
		if p, ok := strings.CutSuffix(r.URL.Path, "/"); ok {
			alt.URL.Path = p
		} else {
			alt.URL.Path = r.URL.Path + "/"
		}
		alt.URL.RawPath = ""
		if op, _, _, _ = mu.s.find(alt); op != nil {
			r = alt
		}
	}
	r = r.WithContext(context.WithValue(r.Context(), mutatedKey{}, true))
	var h *mountHooks
	if op != nil {
		h = mu.mounts[op.m]
	}
	if h == nil {
		mu.s.ServeHTTP(w, r)
		return true
	}
	for _, edit := range h.request {
		if edit(op, w, r) {
			return true
		}
	}
	if len(h.response) == 0 && !h.lower && !h.chunked {
		mu.s.ServeHTTP(w, r)
		return true
	}
	res := newBufferedResponse()
	mu.s.ServeHTTP(res, r)
	for _, edit := range h.response {
		edit(op, r, res)
	}
	res.send(w, h.lower, h.chunked)
	return true
}

// readBody reads a request body within the mock's limit and puts it back.
func (mu *mutator) readBody(r *http.Request) []byte {
	if r.Body == nil {
		return nil
	}
	b, _ := io.ReadAll(io.LimitReader(r.Body, mu.s.maxBody))
	mutSetBody(r, b)
	return b
}

func mutSetBody(r *http.Request, b []byte) {
	r.Body = io.NopCloser(strings.NewReader(string(b)))
	r.ContentLength = int64(len(b))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(string(b))), nil }
}
