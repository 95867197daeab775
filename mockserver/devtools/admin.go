package devtools

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"path"
	"strings"
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
	d.adminMux.ServeHTTP(w, r)
}

// adminRoutes routes the admin API by ServeMux patterns, one per documented path and method
// (adminapi.yaml; TestAdminRoutesMatchDocument holds the two equal). A pattern without a method
// beside each answers the other methods 405 with the methods the path takes; the catch-all
// answers 404. Everything but the dashboard's files and the document needs the admin token, also
// to learn that a path or a method does not exist.
func (d *tooling) adminRoutes() *routeTable {
	mux := &routeTable{ServeMux: http.NewServeMux()}
	p := strings.TrimSuffix(mockserver.AdminPrefix, "/")
	tok := d.adminToken
	allow := func(methods, msg string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { methodNotAllowed(w, methods, msg) })
	}
	for _, f := range []string{"/{$}", "/index.html", "/ui/{file...}", "/openapi.yaml"} {
		mux.Handle("GET "+p+f, http.HandlerFunc(d.serveDashboard))
		mux.Handle(p+f, allow("GET, HEAD", "use GET"))
	}
	mux.Handle("GET "+p+"/health", http.HandlerFunc(d.adminHealth)) // no token: load balancers send none
	mux.Handle(p+"/health", allow("GET, HEAD", "use GET"))
	mux.Handle("GET "+p+"/clock", tok(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { d.writeNow(w, false) })))
	mux.Handle("POST "+p+"/clock", tok(http.HandlerFunc(d.moveClock)))
	mux.Handle(p+"/clock", tok(allow("GET, HEAD, POST", "use GET to read the clock or POST to move it")))
	mux.Handle("POST "+p+"/clock/reset", tok(http.HandlerFunc(d.resetClock)))
	mux.Handle(p+"/clock/reset", tok(allow("POST", "use POST")))
	mux.Handle("POST "+p+"/reset", tok(http.HandlerFunc(d.adminReset)))
	mux.Handle(p+"/reset", tok(allow("POST", "use POST to reset")))
	mux.Handle("GET "+p+"/specs", tok(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mockserver.WriteJSON(w, http.StatusOK, map[string]any{"specs": d.specViews()})
	})))
	mux.Handle(p+"/specs", tok(allow("GET, HEAD", "use GET")))
	mux.Handle("GET "+p+"/accounts", tok(http.HandlerFunc(d.adminListAccounts)))
	mux.Handle("POST "+p+"/accounts", tok(http.HandlerFunc(d.adminAddAccount)))
	mux.Handle(p+"/accounts", tok(allow("GET, HEAD, POST", "GET lists accounts, POST ?spec=NAME adds one")))
	mux.Handle("POST "+p+"/accounts/{spec}/{id}/{action}", tok(http.HandlerFunc(d.adminAccountAction)))
	mux.Handle(p+"/accounts/{spec}/{id}/{action}", tok(http.HandlerFunc(d.adminAccountAction))) // 404 before 405
	mux.Handle("GET "+p+"/sessions", tok(http.HandlerFunc(d.adminSessions)))
	mux.Handle(p+"/sessions", tok(allow("GET, HEAD", "use GET")))
	mux.Handle("POST "+p+"/sessions/{id}/revoke", tok(http.HandlerFunc(d.adminRevoke)))
	mux.Handle(p+"/sessions/{id}/revoke", tok(allow("POST", "use POST")))
	mux.Handle("GET "+p+"/journal", tok(http.HandlerFunc(d.adminJournal)))
	mux.Handle("DELETE "+p+"/journal", tok(http.HandlerFunc(d.adminClearJournal)))
	mux.Handle(p+"/journal", tok(allow("GET, HEAD, DELETE", "GET reads the journal, DELETE clears it")))
	mux.Handle("GET "+p+"/faults", tok(http.HandlerFunc(d.adminListFaults)))
	mux.Handle("POST "+p+"/faults", tok(http.HandlerFunc(d.adminAddFault)))
	mux.Handle("DELETE "+p+"/faults", tok(http.HandlerFunc(d.adminClearFaults)))
	mux.Handle(p+"/faults", tok(allow("GET, HEAD, POST, DELETE", "GET lists the queued faults, POST queues one, DELETE clears them")))
	mux.Handle("GET "+p+"/sandboxes", tok(http.HandlerFunc(d.adminListSandboxes)))
	mux.Handle("POST "+p+"/sandboxes", tok(http.HandlerFunc(d.adminCreateSandbox)))
	mux.Handle(p+"/sandboxes", tok(allow("GET, HEAD, POST", "GET lists the sandboxes, POST creates one")))
	mux.Handle("DELETE "+p+"/sandboxes/{id}", tok(http.HandlerFunc(d.adminDeleteSandbox)))
	mux.Handle(p+"/sandboxes/{id}", tok(allow("DELETE", "use DELETE")))
	mux.Handle(p+"/", tok(http.HandlerFunc(adminUnknown)))
	return mux
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

// adminUnknown answers a path the admin API does not have.
func adminUnknown(w http.ResponseWriter, r *http.Request) {
	mockserver.WritePlain(w, http.StatusNotFound, "no admin endpoint "+r.URL.Path+"; "+mockserver.AdminPrefix+"openapi.yaml lists them all")
}

// adminReset serves POST /__authconform/reset; 503 when the store could not forget its state
// (the rest is reset all the same).
func (d *tooling) adminReset(w http.ResponseWriter, _ *http.Request) {
	if err := d.srv.Reset(); err != nil {
		w.Header().Set("Retry-After", "1")
		mockserver.WritePlain(w, http.StatusServiceUnavailable, "the clock and this mock's keys were reset, but the state store is unavailable and still holds its state; reset again when it is back ("+mockserver.AdminPrefix+"health tells)")
		return
	}
	d.log.Info("admin reset: clock back to real time, run-time state forgotten")
	d.writeNow(w, true)
}

// resetClock serves POST /__authconform/clock/reset.
func (d *tooling) resetClock(w http.ResponseWriter, _ *http.Request) {
	c, ok := d.srv.Clock().(mockserver.AdjustableClock)
	if !ok {
		mockserver.WritePlain(w, http.StatusConflict, "this mock runs on a clock that cannot be moved")
		return
	}
	c.Reset()
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
