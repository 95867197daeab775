package devtools

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/authconform/authconform/mockserver"
	"github.com/authconform/authconform/specs"
)

// adminFingerprint is everything the admin API can change, as one string: the clock, the queued
// faults, the journal (but the probes this function makes), the accounts and their states, the
// sessions and theirs, and whether a token issued before still works (a reset replaces the
// signing keys).
func adminFingerprint(t *testing.T, h *harness, tok string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString(h.s.Clock().Now().UTC().String())
	faults, _ := json.Marshal(must(h.d.faults.snapshot(context.Background(), h.s)))
	b.Write(faults)
	n := 0
	for _, e := range h.d.journal.Last(1000) {
		if e.Path != "/api/v2/customers" {
			n++
		}
	}
	b.WriteString(" journal " + strconv.Itoa(n) + " accounts")
	for _, sp := range h.s.Specs() {
		for _, a := range h.s.Accounts(sp.Name) {
			b.WriteString(" " + a.ID + ":" + string(a.State))
		}
	}
	now := h.s.Clock().Now()
	b.WriteString(" sessions")
	for _, se := range h.d.sessions.list(now) {
		b.WriteString(" " + se.Spec + "/" + se.Account + "/" + h.d.sessionView(context.Background(), se, now).State)
	}
	rec := serve(h.s, h.req("GET", "/api/v2/customers", "", "X-Auth-Token", tok))
	b.WriteString(" probe " + http.StatusText(rec.Code))
	return b.String()
}

// TestAdminGuard: no request a web page can make without the mock's consent changes anything,
// on every endpoint that changes state: a form post (text/plain, urlencoded, multipart), a
// no-cors fetch or sendBeacon (text/plain, or no Content-Type), a request from a foreign or an
// opaque ("null") origin, a request under another Host name (DNS rebinding). Each is refused
// with the status that says why, and the mock is as it was. The same call with what a real
// client sends is accepted.
func TestAdminGuard(t *testing.T) {
	endpoints := []struct {
		method, path, body string
		ok                 int // what the accepted call answers
	}{
		{"POST", "clock", `{"advance":"25h"}`, 200},
		{"POST", "clock/reset", "", 200},
		{"POST", "reset", "", 200},
		{"POST", "accounts?spec=pixfile", `{"username":"mallory","password":"mallory-password"}`, 201},
		{"POST", "accounts/pixfile/user/disable", "", 200},
		{"POST", "sessions/SID/revoke", "", 200},
		{"POST", "faults", `{"operation":"loginV2","status":404,"count":1000}`, 201},
		{"DELETE", "faults", "", 200},
		{"DELETE", "journal", "", 200},
	}
	attacks := []struct {
		name   string
		change func(r *http.Request)
		want   int
	}{
		{name: "form post as text/plain", want: 415, change: func(r *http.Request) { r.Header.Set("Content-Type", "text/plain") }},
		{name: "no-cors fetch with a text/plain charset", want: 415, change: func(r *http.Request) { r.Header.Set("Content-Type", "text/plain;charset=UTF-8") }},
		{name: "form post urlencoded", want: 415, change: func(r *http.Request) { r.Header.Set("Content-Type", "application/x-www-form-urlencoded") }},
		{name: "form post multipart", want: 415, change: func(r *http.Request) { r.Header.Set("Content-Type", "multipart/form-data; boundary=x") }},
		{name: "no Content-Type", want: 415, change: func(r *http.Request) { r.Header.Del("Content-Type") }},
		{name: "json smuggled in a parameter", want: 415, change: func(r *http.Request) { r.Header.Set("Content-Type", "text/plain; x=application/json") }},
		{name: "foreign origin", want: 403, change: func(r *http.Request) { r.Header.Set("Origin", "http://evil.example") }},
		{name: "lookalike origin", want: 403, change: func(r *http.Request) { r.Header.Set("Origin", "http://localhost.evil.example") }},
		{name: "opaque origin", want: 403, change: func(r *http.Request) { r.Header.Set("Origin", "null") }},
		{name: "DNS rebinding", want: 421, change: func(r *http.Request) { r.Host = "rebind.evil.example:8080" }},
		{name: "DNS rebinding to a lookalike", want: 421, change: func(r *http.Request) { r.Host = "localhost.evil.example" }},
		{name: "no Host", want: 421, change: func(r *http.Request) { r.Host = "" }},
	}
	// setUp gives each case a mock with something to lose: a moved clock, a session, a journal
	// entry, a fault.
	setUp := func(t *testing.T) (*harness, string, string) {
		h := newHarness(t)
		h.clock.Advance(time.Minute)
		tok := h.pixfileToken("user", "pass")
		sid := h.sessions().Sessions[0].ID
		h.admin("POST", "faults", `{"operation":"postToken","status":555}`, 201)
		return h, tok, sid
	}
	for _, ep := range endpoints {
		for _, at := range attacks {
			t.Run(ep.method+" "+ep.path+"/"+at.name, func(t *testing.T) {
				h, tok, sid := setUp(t)
				before := adminFingerprint(t, h, tok)
				r := h.req(ep.method, mockserver.AdminPrefix+strings.Replace(ep.path, "SID", sid, 1), ep.body)
				at.change(r)
				rec := serve(h.s, r)
				if rec.Code != at.want {
					t.Errorf("status %d, want %d: %s", rec.Code, at.want, rec.Body.String())
				}
				if rec.Header().Get(mockserver.MessageHeader) == "" {
					t.Error("no message says why")
				}
				if after := adminFingerprint(t, h, tok); after != before {
					t.Errorf("the mock changed:\nbefore %s\nafter  %s", before, after)
				}
			})
		}
		t.Run(ep.method+" "+ep.path+"/as a client sends it", func(t *testing.T) {
			h, tok, sid := setUp(t)
			before := adminFingerprint(t, h, tok)
			for _, origin := range []string{"", "http://" + adminHost, "http://localhost:3000"} {
				r := h.req(ep.method, mockserver.AdminPrefix+strings.Replace(ep.path, "SID", sid, 1), ep.body, "Origin", origin)
				rec := serve(h.s, r)
				if rec.Code != ep.ok && !(origin != "" && rec.Code >= 400 && rec.Code < 415) { // a second add, revoke... may conflict
					t.Errorf("Origin %q: status %d, want %d: %s", origin, rec.Code, ep.ok, rec.Body.String())
				}
			}
			if after := adminFingerprint(t, h, tok); after == before {
				t.Errorf("the accepted call changed nothing: %s", after)
			}
		})
	}
}

// TestAdminGuardReads: reading (journal, accounts, sessions) is guarded by Host and Origin too:
// DNS rebinding must not read the journal.
func TestAdminGuardReads(t *testing.T) {
	h := newHarness(t, "pixfile")
	h.pixfileToken("user", "pass")
	for _, path := range []string{"journal", "accounts", "sessions", "clock", "", "ui/app.js", "openapi.yaml"} {
		t.Run(path, func(t *testing.T) {
			r := h.req("GET", mockserver.AdminPrefix+path, "")
			r.Host = "rebind.evil.example"
			if rec := serve(h.s, r); rec.Code != http.StatusMisdirectedRequest || strings.Contains(rec.Body.String(), "user") {
				t.Errorf("under a foreign Host: %d %.200s", rec.Code, rec.Body.String())
			}
			r = h.req("GET", mockserver.AdminPrefix+path, "", "Origin", "http://evil.example")
			if rec := serve(h.s, r); rec.Code != http.StatusForbidden || rec.Header().Get("Access-Control-Allow-Origin") != "" {
				t.Errorf("from a foreign origin: %d, ACAO %q", rec.Code, rec.Header().Get("Access-Control-Allow-Origin"))
			}
			if rec := serve(h.s, h.req("GET", mockserver.AdminPrefix+path, "")); rec.Code != 200 {
				t.Errorf("from curl: %d", rec.Code)
			}
		})
	}
	t.Run("the specs' operations answer any Host", func(t *testing.T) {
		r := h.req("POST", "/api/v2/login", `{"username":"user","password":"pass"}`)
		r.Host = "mock.team.internal"
		h.expect(serve(h.s, r), 200)
	})
}

// TestAdminTrailingData: a JSON body with anything after the object is refused (the text/plain
// form trick writes "{...}=").
func TestAdminTrailingData(t *testing.T) {
	cases := []struct {
		name, path, body string
		want             int
	}{
		{name: "clock with a form's equals sign", path: "clock", body: "{\"advance\":\"25h\"}=\r\n", want: 400},
		{name: "clock with a second object", path: "clock", body: `{"advance":"25h"}{"advance":"25h"}`, want: 400},
		{name: "clock with trailing white space", path: "clock", body: "{\"advance\":\"25h\"} \r\n\t", want: 200},
		{name: "faults with a form's equals sign", path: "faults", body: `{"operation":"loginV2","status":404}=`, want: 400},
		{name: "accounts with trailing garbage", path: "accounts?spec=pixfile", body: `{"username":"m","password":"mallory-pass"} x`, want: 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, "pixfile")
			rec := serve(h.s, h.req("POST", mockserver.AdminPrefix+tc.path, tc.body))
			h.expect(rec, tc.want)
			if tc.want == 400 && (h.s.Clock().Now() != t0 || len(must(h.d.faults.snapshot(context.Background(), h.s))) != 0 || len(h.s.Accounts(h.s.Specs()[0].Name)) != 3) {
				t.Errorf("a refused body changed the mock: %s", rec.Body.String())
			}
			if tc.want == 400 && !strings.Contains(rec.Body.String(), "data after the JSON value") {
				t.Errorf("message %s", rec.Body.String())
			}
		})
	}
}

// TestAdminAnswersNotCached: every admin answer, success or refusal, dashboard file or API
// document, says no-store, nosniff and same-origin.
func TestAdminAnswersNotCached(t *testing.T) {
	h := newHarness(t, "pixfile")
	locked, _, err := newMock([]*specs.Spec{loadSpec(t, "pixfile")}, mockserver.WithConfig(&mockserver.Config{Admin: mockserver.AdminConfig{Token: "0123456789abcdef-admin"}}))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		s    *mockserver.Server
		r    *http.Request
		want int
	}{
		{name: "clock", s: h.s, r: h.req("GET", mockserver.AdminPrefix+"clock", ""), want: 200},
		{name: "move the clock", s: h.s, r: h.req("POST", mockserver.AdminPrefix+"clock", `{"advance":"1s"}`), want: 200},
		{name: "journal", s: h.s, r: h.req("GET", mockserver.AdminPrefix+"journal", ""), want: 200},
		{name: "dashboard", s: h.s, r: h.req("GET", mockserver.AdminPrefix, ""), want: 200},
		{name: "dashboard script", s: h.s, r: h.req("GET", mockserver.AdminPrefix+"ui/app.js", ""), want: 200},
		{name: "API document", s: h.s, r: h.req("GET", mockserver.AdminPrefix+"openapi.yaml", ""), want: 200},
		{name: "unknown endpoint", s: h.s, r: h.req("GET", mockserver.AdminPrefix+"nothing", ""), want: 404},
		{name: "wrong method", s: h.s, r: h.req("PUT", mockserver.AdminPrefix+"clock", ""), want: 405},
		{name: "no token", s: locked, r: h.req("GET", mockserver.AdminPrefix+"clock", ""), want: 401},
		{name: "foreign Host", s: h.s, r: h.req("GET", mockserver.AdminPrefix+"clock", ""), want: 421},
		{name: "foreign origin", s: h.s, r: h.req("GET", mockserver.AdminPrefix+"clock", "", "Origin", "http://evil.example"), want: 403},
		{name: "no JSON", s: h.s, r: h.req("POST", mockserver.AdminPrefix+"reset", "", "Content-Type", "text/plain"), want: 415},
		{name: "preflight", s: h.s, r: preflight(mockserver.AdminPrefix+"faults", "http://localhost:3000", "POST", "content-type"), want: 204},
	}
	cases[9].r.Host = "evil.example"
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := serve(tc.s, tc.r)
			h.expect(rec, tc.want)
			for k, v := range map[string]string{"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "Cross-Origin-Resource-Policy": "same-origin"} {
				if got := rec.Header().Get(k); got != v {
					t.Errorf("%s: %q, want %q", k, got, v)
				}
			}
		})
	}
}

// TestAdminOrigins: which origins may call the admin API: the mock's own (the dashboard), the
// CORS origins, but never "*" and never "null".
func TestAdminOrigins(t *testing.T) {
	cases := []struct {
		name    string
		origins []string
		origin  string
		tls     bool
		want    int
	}{
		{name: "the dashboard's own origin", origin: "http://" + adminHost, want: 200},
		{name: "own origin in another case", origin: "HTTP://127.0.0.1:8080", want: 200},
		{name: "own host on another port", origin: "http://127.0.0.1:8081", want: 200}, // a localhost origin: the default CORS list
		{name: "own origin over TLS", origin: "https://" + adminHost, tls: true, want: 200},
		{name: "own host behind a TLS proxy", origins: []string{"http://app.test"}, origin: "https://" + adminHost, want: 200},
		{name: "own host on another port, not listed", origins: []string{"http://app.test"}, origin: "http://127.0.0.1:8081", want: 403},
		{name: "own host as a prefix", origins: []string{"http://app.test"}, origin: "http://" + adminHost + ".evil.example", want: 403},
		{name: "own host in another scheme", origins: []string{"http://app.test"}, origin: "ftp://" + adminHost, want: 403},
		{name: "a localhost dev server by default", origin: "http://localhost:3000", want: 200},
		{name: "a foreign origin by default", origin: "https://evil.example", want: 403},
		{name: "null", origin: "null", want: 403},
		{name: "a listed origin", origins: []string{"http://app.test:8080"}, origin: "http://app.test:8080", want: 200},
		{name: "the list replaces localhost", origins: []string{"http://app.test:8080"}, origin: "http://localhost:3000", want: 403},
		{name: "the list keeps the dashboard", origins: []string{"http://app.test:8080"}, origin: "http://" + adminHost, want: 200},
		{name: "star does not open the admin API", origins: []string{"*"}, origin: "https://evil.example", want: 403},
		{name: "star keeps localhost for the admin API", origins: []string{"*"}, origin: "http://localhost:3000", want: 200},
		{name: "star with a list: the list", origins: []string{"*", "http://app.test"}, origin: "http://app.test", want: 200},
		{name: "star with a list: nothing else", origins: []string{"*", "http://app.test"}, origin: "http://localhost:3000", want: 403},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, d, err := newMock([]*specs.Spec{loadSpec(t, "pixfile")}, mockserver.WithClock(mockserver.NewClockAt(t0)), mockserver.WithConfig(&mockserver.Config{CORS: mockserver.CORSConfig{Origins: tc.origins}}))
			if err != nil {
				t.Fatal(err)
			}
			h := &harness{t: t, s: s, d: d}
			r := h.req("POST", mockserver.AdminPrefix+"clock", `{"advance":"1h"}`, "Origin", tc.origin)
			if tc.tls {
				r = httptest.NewRequest("POST", "https://"+adminHost+mockserver.AdminPrefix+"clock", strings.NewReader(`{"advance":"1h"}`))
				r.Header.Set("Content-Type", "application/json")
				r.Header.Set("Origin", tc.origin)
			}
			rec := serve(s, r)
			h.expect(rec, tc.want)
			if moved := s.Clock().Now() != t0; moved != (tc.want == 200) {
				t.Errorf("clock moved %v", moved)
			}
			if acao := rec.Header().Get("Access-Control-Allow-Origin"); tc.want == 403 && acao != "" {
				t.Errorf("a refused origin got Access-Control-Allow-Origin %q", acao)
			}
		})
	}
}

// TestAdminPreflight: a preflight for the admin API from a refused origin answers 403 and is
// logged with the reason; an allowed one gets the admin API's methods.
func TestAdminPreflight(t *testing.T) {
	var logs bytes.Buffer
	s, _, err := newMock([]*specs.Spec{loadSpec(t, "pixfile")}, mockserver.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	rec := serve(s, preflight(mockserver.AdminPrefix+"faults", "https://evil.example", "POST", "content-type"))
	if rec.Code != 403 || rec.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("foreign preflight: %d %v", rec.Code, rec.Header())
	}
	if !strings.Contains(logs.String(), "CORS preflight refused") || !strings.Contains(logs.String(), "evil.example") {
		t.Errorf("log: %s", logs.String())
	}
	rec = serve(s, preflight(mockserver.AdminPrefix+"faults", "http://localhost:3000", "DELETE", "content-type, authorization"))
	if rec.Code != 204 || !hasToken(rec.Header().Get("Access-Control-Allow-Methods"), "DELETE") ||
		!hasToken(rec.Header().Get("Access-Control-Allow-Headers"), "Content-Type") {
		t.Errorf("localhost preflight: %d %v", rec.Code, rec.Header())
	}
}

// TestAdminHosts: the Host names the admin API answers: loopback names and addresses with any
// port, the config's admin.hosts, nothing else.
func TestAdminHosts(t *testing.T) {
	g := newAdminGuard(&mockserver.Config{Admin: mockserver.AdminConfig{Hosts: []string{"Mock.Team.Internal.", "10.0.0.5", "[fd00::5]"}}})
	bare := newAdminGuard(&mockserver.Config{})
	cases := []struct {
		name, host string
		want       bool // with the hosts above
		wantBare   bool // without any
	}{
		{name: "loopback address with port", host: "127.0.0.1:8080", want: true, wantBare: true},
		{name: "loopback address without port", host: "127.0.0.1", want: true, wantBare: true},
		{name: "other loopback address", host: "127.42.0.7:1", want: true, wantBare: true},
		{name: "localhost", host: "localhost:8080", want: true, wantBare: true},
		{name: "localhost upper case, final dot", host: "LOCALHOST.:8080", want: true, wantBare: true},
		{name: "IPv6 loopback", host: "[::1]:8080", want: true, wantBare: true},
		{name: "IPv6 loopback without port", host: "[::1]", want: true, wantBare: true},
		{name: "IPv4-mapped loopback", host: "[::ffff:127.0.0.1]:80", want: true, wantBare: true},
		{name: "listed name", host: "mock.team.internal:8080", want: true},
		{name: "listed name in capitals", host: "MOCK.TEAM.INTERNAL", want: true},
		{name: "listed address", host: "10.0.0.5:8080", want: true},
		{name: "listed IPv6 address", host: "[fd00:0::5]:8080", want: true},
		{name: "suffix of a listed name", host: "evil.mock.team.internal"},
		{name: "listed name as a prefix", host: "mock.team.internal.evil.example"},
		{name: "foreign name", host: "evil.example"},
		{name: "localhost as a subdomain", host: "localhost.evil.example"},
		{name: "loopback as a subdomain", host: "127.0.0.1.nip.io"},
		{name: "a subdomain of localhost", host: "app.localhost"},
		{name: "empty", host: ""},
		{name: "only a port", host: ":8080"},
		{name: "IPv6 without brackets", host: "::1"},
		{name: "unclosed bracket", host: "[::1:8080"},
		{name: "name in brackets", host: "[localhost]:8080"},
		{name: "junk after the bracket", host: "[::1]x"},
		{name: "port not a number", host: "localhost:http"},
		{name: "two ports", host: "localhost:80:80"},
		{name: "zone", host: "[::1%25lo]:80"},
		{name: "user info", host: "evil@localhost"},
		{name: "unspecified address", host: "0.0.0.0:8080"},
		{name: "NUL", host: "localhost\x00.evil.example"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := g.hostAllowed(tc.host); got != tc.want {
				t.Errorf("with admin.hosts: hostAllowed(%q) = %v, want %v", tc.host, got, tc.want)
			}
			if got := bare.hostAllowed(tc.host); got != tc.wantBare {
				t.Errorf("without: hostAllowed(%q) = %v, want %v", tc.host, got, tc.wantBare)
			}
		})
	}
}

// TestConfigAdminHosts: admin.hosts takes host names and addresses, and refuses what is neither.
func TestConfigAdminHosts(t *testing.T) {
	cases := []struct {
		name, yaml, err string
	}{
		{name: "names and addresses", yaml: "admin:\n  hosts: [mock.team.internal, 10.0.0.5, '::1', '[fd00::5]']\n"},
		{name: "hosts without a token", yaml: "admin:\n  hosts: [mock.team.internal]\n"},
		{name: "a URL", yaml: "admin:\n  hosts: ['http://mock.team.internal']\n", err: "admin.hosts[0]"},
		{name: "a port", yaml: "admin:\n  hosts: ['mock.team.internal:8080']\n", err: "without scheme, port or path"},
		{name: "a wildcard", yaml: "admin:\n  hosts: ['*']\n", err: "admin.hosts[0]"},
		{name: "not a list", yaml: "admin:\n  hosts: mock\n", err: "admin.hosts: want a list"},
		{name: "empty admin section", yaml: "admin: {}\n", err: "admin.token"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := mockserver.ParseConfig("mock.yaml", []byte(tc.yaml))
			if tc.err == "" {
				if err != nil || len(c.Admin.Hosts) == 0 {
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

// FuzzAdminHost: the Host matcher never panics, lets through without admin.hosts only what
// net's own parsing calls localhost or a loopback address, and with admin.hosts only those and
// the listed name.
func FuzzAdminHost(f *testing.F) {
	for _, s := range []string{"127.0.0.1:8080", "[::1]:80", "localhost", "LOCALHOST.", "mock.team.internal:1", "evil.example",
		"[::ffff:127.0.0.1]", "::1", "[::1%lo]", "127.0.0.1.nip.io", "", ":", "[", "[]:", "a:b:c", "0x7f.1"} {
		f.Add(s)
	}
	bare := newAdminGuard(&mockserver.Config{})
	listed := newAdminGuard(&mockserver.Config{Admin: mockserver.AdminConfig{Hosts: []string{"mock.team.internal"}}})
	f.Fuzz(func(t *testing.T, host string) {
		name := host
		if h, _, err := net.SplitHostPort(host); err == nil {
			name = h
		}
		name = strings.ToLower(strings.TrimSuffix(strings.Trim(name, "[]"), "."))
		ip := net.ParseIP(name)
		loopback := name == "localhost" || ip != nil && ip.IsLoopback()
		if bare.hostAllowed(host) && !loopback {
			t.Fatalf("Host %q allowed without admin.hosts; net reads %q", host, name)
		}
		if listed.hostAllowed(host) && !loopback && name != "mock.team.internal" {
			t.Fatalf("Host %q allowed with admin.hosts [mock.team.internal]; net reads %q", host, name)
		}
	})
}
