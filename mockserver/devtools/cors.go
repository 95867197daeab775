package devtools

import (
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/authconform/authconform/mockserver"
	"github.com/authconform/authconform/mockserver/config"
	"github.com/authconform/authconform/specs"
)

// CORS for browser apps served from another origin (a dev server on http://localhost:3000).
//
// Allowed origins come from the config's cors.origins; an entry "*" allows any origin. Without
// any, every http or https origin on localhost, 127.0.0.1 or [::1], on any port, is allowed. An
// allowed origin is reflected with Access-Control-Allow-Credentials: true (so cookies and
// Authorization work with fetch's credentials: "include"). A disallowed origin gets no CORS
// headers and its request is served as usual: the browser is what enforces CORS; a preflight
// from it answers 403 with a message saying how to allow it. The admin API is not served here:
// its guard (adminguard.go) answers its CORS, with adminAllowed, which "*" does not open.
//
// The lists of headers are derived from the specs once, in New: a preflight allows every request
// header a spec names (security schemes, header parameters, header credentials) and those of the
// config's cors.headers, and every response exposes every response header a spec declares (the
// X-Auth-Token a login returns in a header is unreadable by a page unless exposed), plus the
// mock's own MessageHeader. A preflight of an allowed origin also gets the headers it asks for
// (Access-Control-Request-Headers), but those no page may set: a tracing library's traceparent,
// or any header an app adds, must not make the browser refuse a call to a mock. A preflight the
// mock refuses, or that asks for a method the path does not serve, is logged with the reason:
// the browser only tells the page "CORS error".

// corsMaxAge is how long a browser may cache a preflight, in seconds.
const corsMaxAge = "600"

// corsPolicy is what New prepared for CORS.
type corsPolicy struct {
	origins      []string          // configured; nil means localhost on any port
	any          bool              // "*" configured
	allowHeaders map[string]string // per spec, for preflights
	adminHeaders string            // for preflights of the admin API
	expose       string            // on every response to an allowed origin
}

// alwaysAllowed are the request headers every preflight allows, whatever the spec says: the
// credential and body headers, and Prefer for provoked outcomes (prefer.go).
var alwaysAllowed = []string{"Accept", "Authorization", "Content-Type", "Prefer"}

// ownExposed are the mock's own response headers a page may want to read.
var ownExposed = []string{mockserver.MessageHeader, "Preference-Applied", "Allow", "Retry-After", "WWW-Authenticate"}

func newCORSPolicy(cfg *mockserver.Config, served []*specs.Spec) *corsPolicy {
	p := &corsPolicy{allowHeaders: map[string]string{}}
	for _, o := range cfg.CORS.Origins {
		o = strings.TrimRight(strings.TrimSpace(o), "/")
		if o == "*" {
			p.any = true
			continue
		}
		if o != "" {
			p.origins = append(p.origins, strings.ToLower(o))
		}
	}
	expose := map[string]bool{}
	for _, h := range ownExposed {
		expose[http.CanonicalHeaderKey(h)] = true
	}
	configured := map[string]bool{}
	for _, h := range cfg.CORS.Headers {
		configured[http.CanonicalHeaderKey(h)] = true
	}
	for _, sp := range served {
		req := map[string]bool{}
		for _, h := range alwaysAllowed {
			req[h] = true
		}
		for h := range configured {
			req[h] = true
		}
		requestHeaders(sp, req)
		responseHeaders(sp, expose)
		p.allowHeaders[sp.Name] = joinSorted(req)
	}
	configured["Authorization"], configured["Content-Type"] = true, true
	p.adminHeaders = joinSorted(configured)
	p.expose = joinSorted(expose)
	return p
}

// requestHeaders adds every request header the spec names to set, canonicalised.
func requestHeaders(sp *specs.Spec, set map[string]bool) {
	add := func(name string) {
		if name != "" {
			set[http.CanonicalHeaderKey(name)] = true
		}
	}
	for _, sc := range sp.Schemes {
		if sc.In != specs.InQuery {
			add(sc.Header)
		}
	}
	if sp.Doc != nil && sp.Doc.Paths != nil {
		for _, item := range sp.Doc.Paths.Map() {
			if item == nil {
				continue
			}
			params := item.Parameters
			for _, op := range item.Operations() {
				params = append(slices.Clip(params), op.Parameters...)
			}
			for _, p := range params {
				if p != nil && p.Value != nil && p.Value.In == "header" {
					add(p.Value.Name)
				}
			}
		}
	}
	for _, op := range sp.Operations {
		f := op.Flow
		for _, c := range f.Credentials {
			if c.In == specs.InHeader {
				add(c.Name)
			}
		}
		for _, l := range []*specs.Location{f.RefreshToken, f.KeyName, f.KeyValue} {
			if l != nil && l.In == specs.InHeader {
				add(l.Name)
			}
		}
	}
}

// responseHeaders adds every response header the spec declares or writes a token to.
func responseHeaders(sp *specs.Spec, set map[string]bool) {
	for _, op := range sp.Operations {
		if op.Op != nil && op.Op.Responses != nil {
			for _, r := range op.Op.Responses.Map() {
				if r == nil || r.Value == nil {
					continue
				}
				for name := range r.Value.Headers {
					set[http.CanonicalHeaderKey(name)] = true
				}
			}
		}
		for _, t := range op.Flow.Tokens {
			if t.In == specs.InHeader {
				set[http.CanonicalHeaderKey(t.Name)] = true
			}
		}
	}
}

func joinSorted(set map[string]bool) string {
	return strings.Join(slices.Sorted(maps.Keys(set)), ", ")
}

// allowed reports whether a browser page of that origin may call the mock.
func (p *corsPolicy) allowed(origin string) bool {
	if origin == "" || origin == "null" {
		return false
	}
	if p.any {
		return true
	}
	if p.origins != nil {
		return slices.Contains(p.origins, strings.ToLower(origin))
	}
	return isLocalOrigin(origin)
}

// adminAllowed reports whether a page of that origin may call the admin API: as allowed, except
// that "*" does not extend to it (any web site could then reset the mock): with "*" alone, the
// admin API allows the default, localhost origins.
func (p *corsPolicy) adminAllowed(origin string) bool {
	if origin == "" || origin == "null" {
		return false
	}
	if p.origins != nil {
		return slices.Contains(p.origins, strings.ToLower(origin))
	}
	return isLocalOrigin(origin)
}

// isLocalOrigin: http or https, host localhost, 127.0.0.1 or [::1], any port, nothing else.
func isLocalOrigin(origin string) bool {
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return false
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return false
		}
	}
	switch strings.ToLower(u.Hostname()) {
	case "localhost", "127.0.0.1", "::1":
		return true
	}
	return false
}

// cors sets the CORS headers of a response and answers a preflight; true when it answered. The
// core runs it before routing (Hooks.Before).
func (d *tooling) cors(x mockserver.Exchange) bool {
	w, r := x.Writer(), x.Request()
	p := d.policy
	origin := r.Header.Get("Origin")
	preflight := r.Method == http.MethodOptions && origin != "" && r.Header.Get("Access-Control-Request-Method") != ""
	h := w.Header()
	h.Add("Vary", "Origin") // even without one: a cache must not hand this answer to a page
	if origin == "" {
		return false
	}
	if !p.allowed(origin) {
		if preflight {
			reason := "origin " + mockserver.HeaderSafe(origin) + " may not call this mock; list it under cors.origins in the config (default: any localhost origin)"
			d.log.Warn("CORS preflight refused", "origin", mockserver.HeaderSafe(origin), "path", r.URL.Path, "reason", reason)
			mockserver.WritePlain(w, http.StatusForbidden, reason)
			return true
		}
		return false
	}
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Allow-Credentials", "true")
	if !preflight {
		h.Set("Access-Control-Expose-Headers", p.expose)
		return false
	}
	methods, sp := d.srv.Methods(r)
	if len(methods) == 0 {
		reason := "no operation at " + r.URL.Path + " in the served specs"
		d.log.Warn("CORS preflight refused", "origin", mockserver.HeaderSafe(origin), "path", r.URL.Path, "reason", reason)
		mockserver.WritePlain(w, http.StatusNotFound, reason)
		return true
	}
	if want := r.Header.Get("Access-Control-Request-Method"); !slices.Contains(methods, want) {
		// Answered all the same, as CORS says; the browser refuses the call.
		d.log.Warn("CORS preflight refused", "origin", mockserver.HeaderSafe(origin), "path", r.URL.Path,
			"reason", fmt.Sprintf("the page asks for method %s; %s serves %s", mockserver.HeaderSafe(want), r.URL.Path, strings.Join(methods, ", ")))
	}
	p.answerPreflight(w, r, strings.Join(methods, ", "), p.allowHeaders[sp.Name])
	return true
}

// answerPreflight answers the preflight of an allowed origin (its Access-Control-Allow-Origin is
// set) with the methods and request headers it may use.
func (p *corsPolicy) answerPreflight(w http.ResponseWriter, r *http.Request, methods, headers string) {
	h := w.Header()
	h.Add("Vary", "Access-Control-Request-Method")
	h.Add("Vary", "Access-Control-Request-Headers")
	h.Set("Access-Control-Max-Age", corsMaxAge)
	if r.Header.Get("Access-Control-Request-Private-Network") == "true" {
		h.Set("Access-Control-Allow-Private-Network", "true")
	}
	h.Set("Access-Control-Allow-Methods", methods)
	h.Set("Access-Control-Allow-Headers", withRequested(headers, r.Header.Values("Access-Control-Request-Headers")))
	w.WriteHeader(http.StatusNoContent)
}

// maxRequestedHeaders bounds how many requested headers a preflight answer reflects.
const maxRequestedHeaders = 64

// withRequested adds to the allowed headers (", "-separated) those a preflight asks for that are
// valid names, not forbidden request headers and not allowed already.
func withRequested(allowed string, requested []string) string {
	out := allowed
	n := 0
	for _, line := range requested {
		for _, name := range strings.Split(line, ",") {
			name = strings.TrimSpace(name)
			if n >= maxRequestedHeaders || !config.ValidHeaderName(name) || config.ForbiddenRequestHeader(name) || hasHeaderName(out, name) {
				continue
			}
			n++
			if out != "" {
				out += ", "
			}
			out += name
		}
	}
	return out
}

// hasHeaderName reports whether a ", "-separated list holds name, case-insensitively.
func hasHeaderName(list, name string) bool {
	for _, v := range strings.Split(list, ",") {
		if strings.EqualFold(strings.TrimSpace(v), name) {
			return true
		}
	}
	return false
}
