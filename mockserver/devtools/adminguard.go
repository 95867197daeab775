package devtools

import (
	"fmt"
	"mime"
	"net/http"
	"net/netip"
	"strings"

	"github.com/authconform/authconform/mockserver"
	"github.com/authconform/authconform/mockserver/config"
)

// The admin guard: what every request under AdminPrefix passes before the admin API sees it. The
// admin API moves the clock, resets state, adds accounts and queues faults, and the mock listens
// where browsers reach it, so it must not be driven by a web page the developer happens to visit
// (docs/security.md has the threat model). In order:
//
//  1. Every answer carries Cache-Control: no-store (admin answers hold live state and must not be
//     replayed from a cache), X-Content-Type-Options: nosniff (a <script> or <link> tag cannot
//     make a JSON answer something else) and Cross-Origin-Resource-Policy: same-origin (a page of
//     another origin cannot even load it as an image or a script).
//  2. The Host header must be a loopback name or address (localhost, 127.0.0.0/8, ::1) or a host
//     listed in the config's admin.hosts, else 421 Misdirected Request. A page that rebinds its
//     own DNS name to 127.0.0.1 (DNS rebinding) is same-origin with the mock as far as the browser
//     knows, but its requests carry that name in Host.
//  3. An Origin header, when present, must be the mock's own origin (the dashboard) or one the
//     CORS configuration allows for the admin API (corsPolicy.adminAllowed), else 403; "null"
//     (sandboxed frames, data: URLs) is never allowed. A CORS preflight for the admin API is
//     answered here.
//  4. A call that may change state (any method but GET, HEAD and OPTIONS) must say
//     Content-Type: application/json, else 415. A browser sends that type across origins only
//     after a preflight, which step 3 refuses for a foreign origin; form posts, no-cors fetches
//     and sendBeacon cannot set it.
//
// The admin token (adminAuthorized) comes after, and the admin handlers decode bodies strictly
// (decodeAdminJSON: trailing data is refused). The checks are a few string comparisons, and only
// requests under AdminPrefix reach them: the path of a spec's operation never sees the guard.

// adminGuard is what New prepared for the guard.
type adminGuard struct {
	hosts map[string]bool // admin.hosts, each as mockserver.CanonicalHost returns it
}

func newAdminGuard(cfg *mockserver.Config) *adminGuard {
	g := &adminGuard{hosts: map[string]bool{}}
	for _, h := range cfg.Admin.Hosts {
		if c, ok := config.CanonicalHost(h); ok {
			g.hosts[c] = true
		}
	}
	return g
}

// guardAdmin applies the guard to a request under AdminPrefix; true when it answered (a refusal or
// a preflight).
func (d *tooling) guardAdmin(w http.ResponseWriter, r *http.Request) bool {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Add("Vary", "Origin")
	if !d.guard.hostAllowed(r.Host) {
		d.log.Warn("admin request refused: Host is not the mock's", "host", mockserver.HeaderSafe(r.Host), "method", r.Method, "path", r.URL.Path)
		mockserver.WritePlain(w, http.StatusMisdirectedRequest, fmt.Sprintf("Host %q is not a loopback name or address and not listed under admin.hosts in the config; the admin API answers only those (docs/security.md)", r.Host))
		return true
	}
	origin := r.Header.Get("Origin")
	preflight := r.Method == http.MethodOptions && origin != "" && r.Header.Get("Access-Control-Request-Method") != ""
	if origin != "" && !sameOrigin(r, origin) {
		if !d.policy.adminAllowed(origin) {
			reason := "origin " + mockserver.HeaderSafe(origin) + " may not call the admin API; list it under cors.origins in the config (default: any localhost origin; \"*\" does not extend to the admin API)"
			if preflight {
				d.log.Warn("CORS preflight refused", "origin", mockserver.HeaderSafe(origin), "path", r.URL.Path, "reason", reason)
			} else {
				d.log.Warn("admin request refused", "origin", mockserver.HeaderSafe(origin), "method", r.Method, "path", r.URL.Path, "reason", reason)
			}
			mockserver.WritePlain(w, http.StatusForbidden, reason)
			return true
		}
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
		if preflight {
			d.policy.answerPreflight(w, r, "GET, HEAD, POST, DELETE", d.policy.adminHeaders)
			return true
		}
		h.Set("Access-Control-Expose-Headers", d.policy.expose)
	}
	if changesState(r.Method) && !isJSONType(r.Header.Get("Content-Type")) {
		mockserver.WritePlain(w, http.StatusUnsupportedMediaType, fmt.Sprintf("%s %s may change the mock's state: send it with Content-Type: application/json (also with an empty body), found %q; a web page cannot send that type to the mock without its consent (docs/security.md)", r.Method, r.URL.Path, r.Header.Get("Content-Type")))
		return true
	}
	return false
}

// changesState reports whether a request with that method may change the mock's state.
func changesState(method string) bool {
	return method != http.MethodGet && method != http.MethodHead && method != http.MethodOptions
}

// isJSONType reports whether a Content-Type value is application/json, parameters allowed.
func isJSONType(v string) bool {
	if v == "" {
		return false
	}
	mt, _, err := mime.ParseMediaType(v)
	return err == nil && mt == "application/json"
}

// sameOrigin reports whether origin is a page of the host and port the request was sent to: the
// dashboard's own calls. The Host has passed the guard, so it names the mock. The scheme is not
// compared: behind a proxy that ends TLS, the dashboard's origin is https while the mock sees
// plain HTTP, and a page on the mock's own host and port is the mock's, whatever the scheme.
func sameOrigin(r *http.Request, origin string) bool {
	rest, ok := strings.CutPrefix(origin, "http://")
	if !ok {
		rest, ok = strings.CutPrefix(origin, "https://")
	}
	return ok && strings.EqualFold(rest, r.Host)
}

// hostAllowed reports whether a Host header names the mock: a loopback name or address, or a
// host of admin.hosts, with any port.
func (g *adminGuard) hostAllowed(host string) bool {
	h, ok := hostOfHeader(host)
	if !ok {
		return false
	}
	return isLoopbackHost(h) || g.hosts[h]
}

// isLoopbackHost: localhost or a loopback address (127.0.0.0/8, ::1, ::ffff:127.x.y.z), in the
// form canonicalHost returns.
func isLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(h)
	return err == nil && a.Unmap().IsLoopback()
}

// hostOfHeader reads a Host header: host[:port] or [IPv6][:port], and returns the host as
// canonicalHost does; false for anything else (an empty Host, an IPv6 address without brackets,
// a port that is not a number, a zone).
func hostOfHeader(v string) (string, bool) {
	host := v
	port := ""
	if strings.HasPrefix(v, "[") {
		end := strings.IndexByte(v, ']')
		if end < 0 {
			return "", false
		}
		host, port = v[1:end], v[end+1:]
		if !strings.Contains(host, ":") { // brackets hold an IPv6 address only
			return "", false
		}
		if port != "" && !strings.HasPrefix(port, ":") {
			return "", false
		}
		port = strings.TrimPrefix(port, ":")
	} else if i := strings.IndexByte(v, ':'); i >= 0 {
		host, port = v[:i], v[i+1:]
		if strings.Contains(host, ":") || strings.Contains(port, ":") {
			return "", false
		}
	}
	if len(port) > 5 || strings.Trim(port, "0123456789") != "" {
		return "", false
	}
	return config.CanonicalHost(host)
}
