package devtools

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/authconform/authconform/mockserver"
	"github.com/authconform/authconform/specs"
)

// The admin API, under AdminPrefix. Other tools and tests rely on these exact forms:
//
//	GET  /__authconform/clock                      -> {"now": "<RFC 3339, with fractional seconds>"}
//	POST /__authconform/clock {"advance": "24h1s"} -> {"now": ...}   (durations as specs.ParseDuration reads them, "360d" too)
//	POST /__authconform/clock {"set": "<RFC 3339>"} -> {"now": ...}   (between 1970 and 9999, else 400)
//	POST /__authconform/reset                      -> {"now": ..., "reset": true}: real time, all run-time state forgotten
//	GET  /__authconform/health                     -> {"status": "ok", "store": {"kind", "status"}}; 503 while the store is unavailable
//
// A reset is a restart without one: sessions, revocations, used refresh tokens and created API
// keys are forgotten, and random signing keys are replaced, so every token issued before is
// refused (keys pinned by the config stay, and so do their tokens).
//
// Errors answer 400 (bad body), 404 (unknown admin path), 405 (wrong method, with Allow) or 409
// (the clock given with WithClock cannot be moved), each with {"message": ...}. Before any of it,
// the admin guard (adminguard.go) answers 421 to a Host that is not the mock's, 403 to a foreign
// Origin and 415 to a POST or DELETE without Content-Type: application/json.
//
// The developer tools add (admin_dev.go, faults.go, dashboard.go; all described by the OpenAPI
// document served at /__authconform/openapi.yaml):
//
//	GET    /__authconform/                          -> the dashboard (HTML; its files under ui/)
//	GET    /__authconform/openapi.yaml              -> the OpenAPI document of the admin API
//	POST   /__authconform/clock/reset               -> {"now": ...}: real time again, nothing else reset
//	GET    /__authconform/specs                     -> {"specs": [{name, basePath, access, refresh, operations}]}
//	GET    /__authconform/accounts[?spec=NAME]      -> {"accounts": [...]} (secrets redacted)
//	POST   /__authconform/accounts?spec=NAME {"username": ..., "password": ...} -> 201 the account
//	POST   /__authconform/accounts/{spec}/{id}/disable | enable | expire-password -> the account
//	                                                (expire-password only where a login takes a password)
//	GET    /__authconform/sessions[?spec=NAME]      -> {"now": ..., "sessions": [{id, spec, account, access, refresh, state, accessRemaining, refreshRemaining}]}
//	POST   /__authconform/sessions/{id}/revoke[?spec=NAME] -> the session, revoked
//	GET    /__authconform/journal[?limit=N]         -> {"size": 200, "entries": [...]} newest first, redacted, JWTs decoded
//	DELETE /__authconform/journal                   -> cleared
//	GET    /__authconform/faults                    -> {"faults": [...]}
//	POST   /__authconform/faults {"operation": "postToken"|"POST /auth/token", "spec": "NAME", "count": 2, "status": 555 | "delay": "2s" | "drop": true} -> 201
//	DELETE /__authconform/faults                    -> cleared
//	POST   /__authconform/sandboxes {"id": "alice", "ttl": "2h"} (both optional) -> 201 {id, baseURL, created, expires, ...}
//	GET    /__authconform/sandboxes                 -> {"mode", "max", "idle", "sandboxes": [{id, baseURL, created, expires, age, idle, sessions}]}
//	DELETE /__authconform/sandboxes/{id}            -> 204
//
// With admin.token in the config, every admin call but the dashboard's files and openapi.yaml
// needs Authorization: Bearer <token> (else 401). A reset also clears faults, the journal, the
// session registry and account changes.

// maxAdminBody bounds an admin request body.
const maxAdminBody = 64 << 10

type clockRequest struct {
	Advance *string `json:"advance"`
	Set     *string `json:"set"`
}

// admin serves a request under AdminPrefix: the guard (adminguard.go), then the routes of
// adminRoutes. A path that is not in canonical form ("//", "/./", "/../") is answered as an
// unknown endpoint rather than redirected, as ServeMux would.
func (d *tooling) admin(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == mockserver.AdminPrefix+"health" && (r.Method == http.MethodGet || r.Method == http.MethodHead) && r.Header.Get("Origin") == "" {
		// A load balancer's or an orchestrator's probe names the replica by its address, which
		// is neither loopback nor in admin.hosts: the Host rule (against DNS rebinding, which
		// needs a browser, and so an Origin) would refuse it 421. Health changes nothing and
		// shows the store's kind and state alone.
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		d.adminHealth(w, r)
		return
	}
	if d.guardAdmin(w, r) { // Host, Origin, Content-Type (adminguard.go)
		return
	}
	if p := r.URL.Path; p != mockserver.AdminPrefix && path.Clean(p) != strings.TrimSuffix(p, "/") {
		// Not canonical ("//", "/./", "/../"): ServeMux would redirect. A dashboard file is
		// looked up by its cleaned name (serveDashboard); anything else is no endpoint.
		switch {
		case !strings.HasPrefix(p, mockserver.AdminPrefix+"ui/"):
			d.adminToken(http.HandlerFunc(adminUnknown)).ServeHTTP(w, r)
		case r.Method == http.MethodGet || r.Method == http.MethodHead:
			d.serveDashboard(w, r)
		default:
			methodNotAllowed(w, "GET, HEAD", "use GET")
		}
		return
	}
	if r.URL.RawPath != "" {
		// Routes match the decoded path, segment by segment ("a%2Fb" is two segments), as the
		// admin API always has.
		r = r.Clone(r.Context())
		r.URL.RawPath = ""
	}
	adminMux().ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), toolingKey{}, d)))
}

// adminRoutes routes the admin API by ServeMux patterns, one per documented path and method
// (adminapi.yaml; TestAdminRoutesMatchDocument holds the two equal). A pattern without a method
// beside each answers the other methods 405 with the methods the path takes; the catch-all
// answers 404. Everything but the dashboard's files and the document needs the admin token, also
// to learn that a path or a method does not exist. The routes are the same for every world (the
// default one and each sandbox), so they are built once (adminMux); a handler finds the world's
// tools in the request's context (admin).
func adminRoutes() *routeTable {
	mux := &routeTable{ServeMux: http.NewServeMux()}
	p := strings.TrimSuffix(mockserver.AdminPrefix, "/")
	tok := func(h toolHandler) toolHandler {
		return func(d *tooling, w http.ResponseWriter, r *http.Request) {
			if !d.adminAuthorized(r) {
				unauthorized(w)
				return
			}
			h(d, w, r)
		}
	}
	allow := func(methods, msg string) toolHandler {
		return func(_ *tooling, w http.ResponseWriter, _ *http.Request) { methodNotAllowed(w, methods, msg) }
	}
	for _, f := range []string{"/{$}", "/index.html", "/ui/{file...}", "/openapi.yaml"} {
		mux.Handle("GET "+p+f, toolHandler((*tooling).serveDashboard))
		mux.Handle(p+f, allow("GET, HEAD", "use GET"))
	}
	mux.Handle("GET "+p+"/health", toolHandler((*tooling).adminHealth)) // no token: load balancers send none
	mux.Handle(p+"/health", allow("GET, HEAD", "use GET"))
	mux.Handle("GET "+p+"/clock", tok(func(d *tooling, w http.ResponseWriter, _ *http.Request) { d.writeNow(w, false) }))
	mux.Handle("POST "+p+"/clock", tok((*tooling).moveClock))
	mux.Handle(p+"/clock", tok(allow("GET, HEAD, POST", "use GET to read the clock or POST to move it")))
	mux.Handle("POST "+p+"/clock/reset", tok((*tooling).resetClock))
	mux.Handle(p+"/clock/reset", tok(allow("POST", "use POST")))
	mux.Handle("POST "+p+"/reset", tok((*tooling).adminReset))
	mux.Handle(p+"/reset", tok(allow("POST", "use POST to reset")))
	mux.Handle("GET "+p+"/specs", tok(func(d *tooling, w http.ResponseWriter, _ *http.Request) {
		mockserver.WriteJSON(w, http.StatusOK, map[string]any{"specs": d.specViews()})
	}))
	mux.Handle(p+"/specs", tok(allow("GET, HEAD", "use GET")))
	mux.Handle("GET "+p+"/accounts", tok((*tooling).adminListAccounts))
	mux.Handle("POST "+p+"/accounts", tok((*tooling).adminAddAccount))
	mux.Handle(p+"/accounts", tok(allow("GET, HEAD, POST", "GET lists accounts, POST ?spec=NAME adds one")))
	mux.Handle("POST "+p+"/accounts/{spec}/{id}/{action}", tok((*tooling).adminAccountAction))
	mux.Handle(p+"/accounts/{spec}/{id}/{action}", tok((*tooling).adminAccountAction)) // 404 before 405
	mux.Handle("GET "+p+"/sessions", tok((*tooling).adminSessions))
	mux.Handle(p+"/sessions", tok(allow("GET, HEAD", "use GET")))
	mux.Handle("POST "+p+"/sessions/{id}/revoke", tok((*tooling).adminRevoke))
	mux.Handle(p+"/sessions/{id}/revoke", tok(allow("POST", "use POST")))
	mux.Handle("GET "+p+"/journal", tok((*tooling).adminJournal))
	mux.Handle("DELETE "+p+"/journal", tok((*tooling).adminClearJournal))
	mux.Handle(p+"/journal", tok(allow("GET, HEAD, DELETE", "GET reads the journal, DELETE clears it")))
	mux.Handle("GET "+p+"/faults", tok((*tooling).adminListFaults))
	mux.Handle("POST "+p+"/faults", tok((*tooling).adminAddFault))
	mux.Handle("DELETE "+p+"/faults", tok((*tooling).adminClearFaults))
	mux.Handle(p+"/faults", tok(allow("GET, HEAD, POST, DELETE", "GET lists the queued faults, POST queues one, DELETE clears them")))
	mux.Handle("GET "+p+"/sandboxes", tok((*tooling).adminListSandboxes))
	mux.Handle("POST "+p+"/sandboxes", tok((*tooling).adminCreateSandbox))
	mux.Handle(p+"/sandboxes", tok(allow("GET, HEAD, POST", "GET lists the sandboxes, POST creates one")))
	mux.Handle("DELETE "+p+"/sandboxes/{id}", tok((*tooling).adminDeleteSandbox))
	mux.Handle(p+"/sandboxes/{id}", tok(allow("DELETE", "use DELETE")))
	mux.Handle(p+"/", tok(func(_ *tooling, w http.ResponseWriter, r *http.Request) { adminUnknown(w, r) }))
	return mux
}

// adminMux is the admin API's routes, built once for every world.
var adminMux = sync.OnceValue(adminRoutes)

// toolingKey keys the tools of the world a request is for in its context (admin).
type toolingKey struct{}

// toolHandler is an admin handler: it serves the request for the world whose tools are d, which
// admin put in the request's context.
type toolHandler func(d *tooling, w http.ResponseWriter, r *http.Request)

func (h toolHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h(r.Context().Value(toolingKey{}).(*tooling), w, r)
}

// routeTable is a ServeMux that remembers its patterns, for the test that holds them equal to the
// admin API's document.
type routeTable struct {
	*http.ServeMux
	patterns []string
}

// Handle registers a pattern.
func (t *routeTable) Handle(pattern string, h http.Handler) {
	t.ServeMux.Handle(pattern, h)
	t.patterns = append(t.patterns, pattern)
}

// storeFailed answers an admin request the state store failed: 503 with Retry-After, saying
// what did not happen. The cause (which may name the store's address) goes to the log only, as
// the core's writeUnavailable does for the specs' operations.
func (d *tooling) storeFailed(w http.ResponseWriter, what string, err error) {
	d.log.Error("admin request: the state store failed", "what", what, "error", err)
	w.Header().Set("Retry-After", "1")
	mockserver.WritePlain(w, http.StatusServiceUnavailable, what+": the mock's state store is unavailable; try again when it is back ("+mockserver.AdminPrefix+"health tells)")
}

// adminUnknown answers a path the admin API does not have.
func adminUnknown(w http.ResponseWriter, r *http.Request) {
	mockserver.WritePlain(w, http.StatusNotFound, "no admin endpoint "+r.URL.Path+"; "+mockserver.AdminPrefix+"openapi.yaml lists them all")
}

// adminReset serves POST /__authconform/reset; 503 when the store could not forget its state
// (the rest is reset all the same).
func (d *tooling) adminReset(w http.ResponseWriter, r *http.Request) {
	if err := d.srv.Reset(r.Context()); err != nil {
		d.storeFailed(w, "the clock and this mock's keys were reset, but the store still holds its state; reset again", err)
		return
	}
	d.log.Info("admin reset: clock back to real time, run-time state forgotten")
	d.writeNow(w, true)
}

// resetClock serves POST /__authconform/clock/reset.
func (d *tooling) resetClock(w http.ResponseWriter, r *http.Request) {
	c, ok := d.srv.Clock().(mockserver.AdjustableClock)
	if !ok {
		mockserver.WritePlain(w, http.StatusConflict, "this mock runs on a clock that cannot be moved")
		return
	}
	c.Reset()
	if err := d.srv.SaveClock(r.Context()); err != nil {
		d.storeFailed(w, "clock reset", err)
		return
	}
	d.log.Info("admin clock back to real time")
	d.writeNow(w, false)
}

func (d *tooling) writeNow(w http.ResponseWriter, reset bool) {
	body := map[string]any{"now": d.srv.Clock().Now().UTC().Format(time.RFC3339Nano)}
	if reset {
		body["reset"] = true
	}
	mockserver.WriteJSON(w, http.StatusOK, body)
}

func (d *tooling) moveClock(w http.ResponseWriter, r *http.Request) {
	c, ok := d.srv.Clock().(mockserver.AdjustableClock)
	if !ok {
		mockserver.WritePlain(w, http.StatusConflict, "this mock runs on a clock that cannot be moved")
		return
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxAdminBody))
	if err != nil {
		mockserver.WritePlain(w, http.StatusRequestEntityTooLarge, "the body is too large")
		return
	}
	var req clockRequest
	if err := decodeAdminJSON(data, &req); err != nil {
		mockserver.WritePlain(w, http.StatusBadRequest, fmt.Sprintf(`body: expected {"advance": "24h1s"} or {"set": "2030-01-01T00:00:00Z"}: %v`, err))
		return
	}
	now := c.Now()
	to, err := clockTarget(now, req)
	if err != nil {
		mockserver.WritePlain(w, http.StatusBadRequest, err.Error())
		return
	}
	c.Set(to)
	if err := d.srv.SaveClock(r.Context()); err != nil {
		d.storeFailed(w, "clock move", err)
		return
	}
	if req.Advance != nil {
		d.log.Info("admin clock advanced", "by", to.Sub(now).String())
	} else {
		d.log.Info("admin clock set", "to", to.UTC().Format(time.RFC3339))
	}
	d.writeNow(w, false)
}

// The range of the admin clock: from the Unix epoch (before it, a JWT's iat and exp would be
// negative) to the last instant of year 9999 (the last RFC 3339 can write).
var (
	clockMin = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	clockMax = time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)
)

// clockTarget is the time a clock request moves a clock that reads now to, or the reason it may
// not: a value that does not parse, an advance larger than a time.Duration holds, or a result
// outside clockMin..clockMax. Nothing about the clock changes here.
func clockTarget(now time.Time, req clockRequest) (time.Time, error) {
	var to time.Time
	switch {
	case req.Advance != nil && req.Set != nil:
		return time.Time{}, errors.New("body: give either advance or set, not both")
	case req.Advance != nil:
		d, err := parseSignedDuration(*req.Advance)
		if err != nil {
			return time.Time{}, fmt.Errorf("body /advance: %v; write it like 24h1s, 90m or 360d, at most %s (about 292 years) at once", err, specs.Duration(math.MaxInt64))
		}
		to = now.Add(d)
	case req.Set != nil:
		t, err := time.Parse(time.RFC3339Nano, *req.Set)
		if err != nil {
			return time.Time{}, errors.New("body /set: expected an RFC 3339 time such as 2030-01-01T00:00:00Z")
		}
		to = t
	default:
		return time.Time{}, errors.New(`body: expected {"advance": "24h1s"} or {"set": "2030-01-01T00:00:00Z"}`)
	}
	what := "body /set"
	if req.Advance != nil {
		what = fmt.Sprintf("body /advance: from %s it", now.UTC().Format(time.RFC3339))
	}
	switch {
	case to.Before(clockMin):
		return time.Time{}, fmt.Errorf("%s would put the clock at %s, before %s, the earliest it may show", what, to.UTC().Format(time.RFC3339), clockMin.Format(time.RFC3339))
	case to.After(clockMax):
		return time.Time{}, fmt.Errorf("%s would put the clock at %s, after %s, the latest it may show", what, to.UTC().Format(time.RFC3339), clockMax.Truncate(time.Second).Format(time.RFC3339))
	}
	return to, nil
}

// parseSignedDuration reads specs.ParseDuration's forms with an optional leading minus; the
// rest must not be negative itself ("--1h").
func parseSignedDuration(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	neg := strings.HasPrefix(v, "-")
	d, err := specs.ParseDuration(strings.TrimPrefix(v, "-"))
	if err != nil {
		return 0, err
	}
	if d < 0 {
		return 0, fmt.Errorf("%q is not a duration", v)
	}
	if neg {
		return -d.D(), nil
	}
	return d.D(), nil
}
