package devtools

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/authconform/authconform/mockserver"
	"github.com/authconform/authconform/mockserver/devtools/journal"
	"github.com/authconform/authconform/specs"
)

func TestAdminAccounts(t *testing.T) {
	loginCarol := func(h *harness) int {
		return h.do(h.req("POST", "/api/v2/login", `{"username":"carol","password":"carol-password"}`)).Code
	}
	cases := []struct {
		name string
		run  func(t *testing.T, h *harness)
	}{
		{name: "list redacts secrets", run: func(t *testing.T, h *harness) {
			rec := serve(h.s, h.req("GET", mockserver.AdminPrefix+"accounts?spec=pixfile", ""))
			h.expect(rec, 200)
			if strings.Contains(rec.Body.String(), "carol-password") {
				t.Errorf("a password is listed: %s", rec.Body.String())
			}
			var body struct{ Accounts []accountView }
			_ = json.Unmarshal(rec.Body.Bytes(), &body)
			if len(body.Accounts) != 3 || body.Accounts[1]["id"] != "carol" || body.Accounts[1]["password"] != "[redacted 14 chars]" {
				t.Errorf("accounts %+v", body.Accounts)
			}
			all := h.admin("GET", "accounts", "", 200)["accounts"].([]any)
			if len(all) < 10 {
				t.Errorf("all accounts: %d", len(all))
			}
		}},
		{name: "disable, then enable", run: func(t *testing.T, h *harness) {
			tok := h.pixfileToken("carol", "carol-password")
			if got := h.admin("POST", "accounts/pixfile/carol/disable", "", 200)["state"]; got != "disabled" {
				t.Errorf("state %v", got)
			}
			if code := loginCarol(h); code != 403 {
				t.Errorf("login of a disabled account: %d, want 403", code)
			}
			h.expect(h.do(h.req("GET", "/api/v2/customers", "", "X-Auth-Token", tok)), 401)
			h.admin("POST", "accounts/pixfile/carol/enable", "", 200)
			if code := loginCarol(h); code != 200 {
				t.Errorf("login after enable: %d", code)
			}
		}},
		{name: "expire a password", run: func(t *testing.T, h *harness) {
			h.admin("POST", "accounts/precrime/12345678-1234-1234-1234-123456789abc/expire-password", "", 200)
			h.expect(h.do(h.req("POST", "/user/login", `{"username":"john.doe","password":"SecurePass123!"}`)), 403)
		}},
		{name: "add one", run: func(t *testing.T, h *harness) {
			a := h.admin("POST", "accounts?spec=pixfile", `{"username":"erin","password":"erin-password","profile":{"userId":9}}`, 201)
			if a["id"] != "erin" || a["password"] == "erin-password" {
				t.Errorf("added %v", a)
			}
			h.pixfileToken("erin", "erin-password")
			h.admin("POST", "accounts?spec=pixfile", `{"username":"erin","password":"x"}`, 400)
		}},
		{name: "reset forgets changes", run: func(t *testing.T, h *harness) {
			h.admin("POST", "accounts/pixfile/carol/disable", "", 200)
			h.admin("POST", "accounts?spec=pixfile", `{"username":"erin","password":"erin-password"}`, 201)
			h.admin("POST", "reset", "", 200)
			if code := loginCarol(h); code != 200 {
				t.Errorf("carol after reset: %d", code)
			}
			h.expect(h.do(h.req("POST", "/api/v2/login", `{"username":"erin","password":"erin-password"}`)), 401)
		}},
		{name: "refusals", run: func(t *testing.T, h *harness) {
			h.admin("GET", "accounts?spec=nope", "", 404)
			h.admin("POST", "accounts/pixfile/nobody/disable", "", 404)
			h.admin("POST", "accounts/nope/carol/disable", "", 404)
			h.admin("POST", "accounts/pixfile/carol/explode", "", 404)
			h.admin("GET", "accounts/pixfile/carol/disable", "", 405)
			h.admin("POST", "accounts", `{"username":"erin"}`, 400) // several specs: which?
			h.admin("POST", "accounts?spec=pixfile", `{"state":"sleeping","username":"x"}`, 400)
			h.admin("PUT", "accounts", "", 405)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, newHarness(t)) })
	}
}

type sessionsBody struct {
	Now      string
	Sessions []sessionView
}

func (h *harness) sessions() sessionsBody {
	h.t.Helper()
	rec := serve(h.s, h.req("GET", mockserver.AdminPrefix+"sessions", ""))
	h.expect(rec, 200)
	var b sessionsBody
	if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil {
		h.t.Fatal(err)
	}
	return b
}

func TestAdminSessions(t *testing.T) {
	t.Run("listed with remaining lifetime, expire with the clock", func(t *testing.T) {
		h := newHarness(t)
		access, refresh := h.efaliaTokens("alice", "alice-password")
		b := h.sessions()
		if len(b.Sessions) != 1 {
			t.Fatalf("sessions %+v", b.Sessions)
		}
		se := b.Sessions[0]
		if se.Spec != "efalia" || se.Account != "alice" || se.State != "live" || se.Access == nil || se.Refresh == nil {
			t.Fatalf("session %+v", se)
		}
		if *se.AccessRemaining <= 0 || *se.RefreshRemaining <= *se.AccessRemaining {
			t.Errorf("remaining access %v refresh %v", *se.AccessRemaining, *se.RefreshRemaining)
		}
		raw, _ := json.Marshal(b)
		if strings.Contains(string(raw), access) || strings.Contains(string(raw), refresh) {
			t.Errorf("a whole token is listed")
		}
		h.clock.Advance(time.Duration(*se.RefreshRemaining+1) * time.Second)
		if se := h.sessions().Sessions[0]; se.State != "expired" || *se.AccessRemaining >= 0 {
			t.Errorf("after the refresh lifetime: %+v", se)
		}
	})
	t.Run("a refresh updates the session", func(t *testing.T) {
		h := newHarness(t)
		_, refresh := h.elyssaTokens(company1)
		h.expect(h.do(h.req("POST", "/auth/refresh/", `{"refresh":"`+refresh+`"}`)), 200)
		b := h.sessions()
		if len(b.Sessions) != 1 || b.Sessions[0].Access.Reissued != 1 {
			t.Errorf("sessions %+v", b.Sessions)
		}
	})
	t.Run("revoke one", func(t *testing.T) {
		h := newHarness(t)
		tok := h.pixfileToken("user", "pass")
		other := h.pixfileToken("carol", "carol-password")
		var sid string
		for _, se := range h.sessions().Sessions {
			if se.Account == "user" {
				sid = se.ID
			}
		}
		if got := h.admin("POST", "sessions/"+sid+"/revoke", "", 200)["state"]; got != "revoked" {
			t.Errorf("state after revoke: %v", got)
		}
		h.expect(h.do(h.req("GET", "/api/v2/customers", "", "X-Auth-Token", tok)), 401)
		h.expect(h.do(h.req("GET", "/api/v2/customers", "", "X-Auth-Token", other)), 200)
		h.admin("POST", "sessions/nope/revoke", "", 404)
		h.admin("GET", "sessions/"+sid+"/revoke", "", 405)
	})
	t.Run("logout shows as revoked; reset forgets", func(t *testing.T) {
		h := newHarness(t)
		tok := h.pixfileToken("user", "pass")
		_ = tok
		access, _ := h.efaliaTokens("alice", "alice-password")
		h.expect(h.do(h.req("POST", "/workey/api/auth/logout", "", "Authorization", "Bearer "+access)), 200)
		states := map[string]string{}
		for _, se := range h.sessions().Sessions {
			states[se.Spec] = se.State
		}
		if states["efalia"] != "revoked" || states["pixfile"] != "live" {
			t.Errorf("states %v", states)
		}
		h.admin("POST", "reset", "", 200)
		if n := len(h.sessions().Sessions); n != 0 {
			t.Errorf("%d sessions after reset", n)
		}
	})
}

// TestSessionRegistryBounded: however many logins, the registry keeps at most its limit.
func TestSessionRegistryBounded(t *testing.T) {
	tools := NewTools(Options{SessionLimit: 50, JournalSize: 10})
	s, err := mockserver.New([]*specs.Spec{loadSpec(t, "pixfile")}, mockserver.WithClock(mockserver.NewClockAt(t0)), mockserver.WithExtension(tools))
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, s: s, d: tools.last}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 100 {
				rec := serve(s, h.req("POST", "/api/v2/login", `{"username":"user","password":"pass"}`))
				if rec.Code != 200 {
					t.Errorf("login %d/%d: %d", g, i, rec.Code)
					return
				}
				if i%20 == 0 {
					_ = serve(s, h.req("GET", mockserver.AdminPrefix+"sessions", ""))
					_ = serve(s, h.req("GET", mockserver.AdminPrefix+"journal", ""))
				}
			}
		}()
	}
	wg.Wait()
	if n := tools.sessions.len(); n != 50 {
		t.Errorf("registry holds %d sessions, want 50", n)
	}
	if n := len(tools.journal.Last(1000)); n != 10 {
		t.Errorf("journal holds %d entries, want 10", n)
	}
}

type journalBody struct {
	Size    int
	Entries []journal.Entry
}

func (h *harness) journal(query string) journalBody {
	h.t.Helper()
	rec := serve(h.s, h.req("GET", mockserver.AdminPrefix+"journal"+query, ""))
	h.expect(rec, 200)
	var b journalBody
	if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil {
		h.t.Fatal(err)
	}
	return b
}

func TestJournal(t *testing.T) {
	h := newHarness(t)
	tok := h.pixfileToken("carol", "carol-password")
	h.expect(h.do(h.req("GET", "/api/v1/login?username=carol&password=carol-password", "")), 200)
	h.expect(h.do(h.req("GET", "/api/v2/customers", "", "X-Auth-Token", tok)), 200)
	key := h.precrimeKey(h.precrimeToken("john.doe", "SecurePass123!"), "ci")
	serve(h.s, h.req("GET", mockserver.AdminPrefix+"clock", "")) // not journaled

	b := h.journal("")
	if b.Size != DefaultJournalSize || len(b.Entries) != 5 {
		t.Fatalf("size %d, %d entries, want 200 and 5", b.Size, len(b.Entries))
	}
	raw, _ := json.Marshal(b)
	for _, secret := range []string{"carol-password", "SecurePass123!", tok, key} {
		if strings.Contains(string(raw), secret) {
			t.Errorf("the journal shows the secret %q", secret[:min(len(secret), 10)])
		}
	}
	first := b.Entries[len(b.Entries)-1] // oldest: the v2 login
	if first.Operation != "loginV2" || first.Status != 200 || first.Spec != "pixfile" || first.Account != "carol" {
		t.Errorf("first entry %+v", first)
	}
	if got := first.Request.Body.(map[string]any)["password"]; got != "[redacted 14 chars]" {
		t.Errorf("password shown as %v", got)
	}
	if got := first.Response.Headers["X-Auth-Token"]; got != mockserver.Redact(tok) {
		t.Errorf("X-Auth-Token shown as %q", got)
	}
	if len(first.JWTs) == 0 || first.JWTs[0].Claims["sub"] != "carol" || first.JWTs[0].Header["alg"] == nil {
		t.Errorf("JWTs %+v", first.JWTs)
	}
	if q := b.Entries[len(b.Entries)-2].Query["password"]; len(q) != 1 || strings.Contains(q[0], "carol") {
		t.Errorf("query password shown as %v", q)
	}
	if got := h.journal("?limit=2"); len(got.Entries) != 2 || got.Entries[0].ID <= got.Entries[1].ID {
		t.Errorf("limit=2: %+v", got.Entries)
	}
	h.expect(h.do(h.req("POST", "/api/v2/login", `{"username":"carol","password":"carol-password"}`, "Prefer", "status=404")), 404)
	if e := h.journal("?limit=1").Entries[0]; e.Status != 404 || e.Request.Body.(map[string]any)["password"] == "carol-password" {
		t.Errorf("provoked entry %+v", e)
	}
	h.admin("GET", "journal?limit=x", "", 400)
	h.admin("DELETE", "journal", "", 200)
	if n := len(h.journal("").Entries); n != 0 {
		t.Errorf("%d entries after clearing", n)
	}
}

func TestAdminToken(t *testing.T) {
	const token = "0123456789abcdef-admin"
	s, d, err := newMock([]*specs.Spec{loadSpec(t, "pixfile")}, mockserver.WithClock(mockserver.NewClockAt(t0)), mockserver.WithConfig(&mockserver.Config{Admin: mockserver.AdminConfig{Token: token}}))
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, s: s, d: d}
	cases := []struct {
		name   string
		method string
		path   string
		auth   string
		want   int
	}{
		{name: "clock without the token", method: "GET", path: "clock", want: 401},
		{name: "clock with a wrong token", method: "GET", path: "clock", auth: "Bearer nope", want: 401},
		{name: "clock with Basic", method: "GET", path: "clock", auth: "Basic " + token, want: 401},
		{name: "clock with the token", method: "GET", path: "clock", auth: "Bearer " + token, want: 200},
		{name: "reset without the token", method: "POST", path: "reset", want: 401},
		{name: "journal without the token", method: "GET", path: "journal", want: 401},
		{name: "faults with the token", method: "GET", path: "faults", auth: "bearer " + token, want: 200},
		{name: "the dashboard is public", method: "GET", path: "", want: 200},
		{name: "its files are public", method: "GET", path: "ui/app.js", want: 200},
		{name: "the API document is public", method: "GET", path: "openapi.yaml", want: 200},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := serve(s, h.req(tc.method, mockserver.AdminPrefix+tc.path, "", "Authorization", tc.auth))
			h.expect(rec, tc.want)
			if tc.want == 401 && !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("WWW-Authenticate %q", rec.Header().Get("WWW-Authenticate"))
			}
		})
	}
}

func TestConfigAdminToken(t *testing.T) {
	cases := []struct {
		name string
		yaml string
		err  string
	}{
		{name: "a token", yaml: "admin:\n  token: 0123456789abcdef\n"},
		{name: "too short", yaml: "admin:\n  token: short\n", err: "admin.token: at least 16 characters"},
		{name: "unknown field", yaml: "admin:\n  password: x\n", err: "admin.password: unknown field"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := mockserver.ParseConfig("mock.yaml", []byte(tc.yaml))
			if tc.err == "" {
				if err != nil || c.Admin.Token != "0123456789abcdef" {
					t.Errorf("config %+v, error %v", c, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("error %v, want %q", err, tc.err)
			}
		})
	}
}

func TestDashboardFiles(t *testing.T) {
	h := newHarness(t, "pixfile")
	cases := []struct {
		name   string
		method string
		path   string
		want   int
		ctype  string
		body   string
	}{
		{name: "index", method: "GET", path: "", want: 200, ctype: "text/html", body: "authconform mock"},
		{name: "index by name", method: "GET", path: "index.html", want: 200, ctype: "text/html"},
		{name: "script", method: "GET", path: "ui/app.js", want: 200, ctype: "javascript", body: "sessions"},
		{name: "style", method: "GET", path: "ui/style.css", want: 200, ctype: "text/css"},
		{name: "missing", method: "GET", path: "ui/nothing.js", want: 404},
		{name: "escape attempt", method: "GET", path: "ui/../../server.go", want: 404},
		{name: "directory", method: "GET", path: "ui/", want: 404},
		{name: "wrong method", method: "POST", path: "", want: 405},
		{name: "API document", method: "GET", path: "openapi.yaml", want: 200, ctype: "yaml", body: "openapi: 3.0.3"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := serve(h.s, h.req(tc.method, mockserver.AdminPrefix+tc.path, ""))
			h.expect(rec, tc.want)
			if !strings.Contains(rec.Header().Get("Content-Type"), tc.ctype) || !strings.Contains(rec.Body.String(), tc.body) {
				t.Errorf("Content-Type %q, body %.80q", rec.Header().Get("Content-Type"), rec.Body.String())
			}
			if tc.want == 200 && rec.Header().Get("Content-Security-Policy") == "" {
				t.Errorf("no Content-Security-Policy")
			}
		})
	}
}

// TestAdminOpenAPI: the admin API's document is valid OpenAPI and lists every endpoint the
// admin API serves; each GET it lists answers 200.
func TestAdminOpenAPI(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(adminOpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("invalid: %v", err)
	}
	want := []string{"/", "/index.html", "/ui/{file}", "/openapi.yaml", "/health", "/clock", "/clock/reset", "/reset", "/specs", "/accounts", "/accounts/{spec}/{id}/{action}",
		"/sessions", "/sessions/{id}/revoke", "/journal", "/faults", "/sandboxes", "/sandboxes/{id}"}
	for _, p := range want {
		if doc.Paths.Value(p) == nil {
			t.Errorf("the document lacks %s", p)
		}
	}
	if n := doc.Paths.Len(); n != len(want) {
		t.Errorf("the document has %d paths, the test knows %d", n, len(want))
	}
	h := newHarness(t)
	for p, item := range doc.Paths.Map() {
		if item.Get == nil || strings.Contains(p, "{") {
			continue
		}
		t.Run(p, func(t *testing.T) {
			h.expect(serve(h.s, h.req("GET", strings.TrimSuffix(mockserver.AdminPrefix, "/")+p, "")), 200)
		})
	}
}

// TestAdminRoutesMatchDocument: every path and method of the admin API's document is routed to its
// own handler (not to the 405 or 404 answers), and every method pattern of the routes is in the
// document.
func TestAdminRoutesMatchDocument(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(adminOpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	mux := adminMux()
	base := strings.TrimSuffix(mockserver.AdminPrefix, "/")
	documented := map[string]bool{}
	for p, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			route := base + p
			if p == "/" {
				route = base + "/{$}"
			}
			if p == "/ui/{file}" {
				route = base + "/ui/{file...}"
			}
			documented[method+" "+route] = true
			t.Run(method+" "+p, func(t *testing.T) {
				path := strings.NewReplacer("{spec}", "pixfile", "{id}", "x", "{action}", "disable", "{file}", "app.js").Replace(base + p)
				_, pattern := mux.Handler(httptest.NewRequest(method, path, nil))
				if pattern != method+" "+route {
					t.Errorf("%s %s is routed by %q, want %q", method, path, pattern, method+" "+route)
				}
			})
		}
	}
	for _, pattern := range mux.patterns {
		if strings.Contains(pattern, " ") && !documented[pattern] {
			t.Errorf("route %q is not in the document", pattern)
		}
	}
}

func TestAdminSpecs(t *testing.T) {
	h := newHarness(t)
	rec := serve(h.s, h.req("GET", mockserver.AdminPrefix+"specs", ""))
	h.expect(rec, 200)
	var b struct{ Specs []specView }
	if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil {
		t.Fatal(err)
	}
	got := map[string]specView{}
	for _, s := range b.Specs {
		got[s.Name] = s
	}
	if len(got) != len(specs.Names()) || got["efalia"].BasePath != "/workey/api" || got["elyssa"].Refresh == nil || got["pixfile"].Refresh != nil {
		t.Errorf("specs %+v", b.Specs)
	}
	if s := fmt.Sprint(got["elyssa"].Access.Seconds); s != "86400" {
		t.Errorf("elyssa access lifetime %s", s)
	}
	h.admin("POST", "clock/reset", "", 200)
	h.admin("GET", "clock/reset", "", 405)
	h.admin("GET", "nothing", "", http.StatusNotFound)
}
