package devtools

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authconform/authconform/specs"
)

// sandboxMock serves pixfile with sandboxes, on a wall clock the test moves (for idle expiry).
type sandboxMock struct {
	t   *testing.T
	sb  *Sandboxes
	mu  sync.Mutex
	now time.Time
}

func newSandboxMock(t *testing.T, o SandboxOptions) *sandboxMock {
	sp, err := specs.Load("pixfile")
	if err != nil {
		t.Fatal(err)
	}
	live, err := NewLive([]*specs.Spec{sp})
	if err != nil {
		t.Fatal(err)
	}
	m := &sandboxMock{t: t, now: time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)}
	o.Now = func() time.Time { m.mu.Lock(); defer m.mu.Unlock(); return m.now }
	m.sb = NewSandboxes(live, live.Tools(), live.World, o)
	return m
}

func (m *sandboxMock) wait(d time.Duration) { m.mu.Lock(); m.now = m.now.Add(d); m.mu.Unlock() }

// do sends a request through the sandbox router; kv are header name/value pairs.
func (m *sandboxMock) do(method, path, body string, kv ...string) (*httptest.ResponseRecorder, map[string]any) {
	r := httptest.NewRequest(method, "http://127.0.0.1:8080"+path, strings.NewReader(body))
	if body != "" || method == http.MethodPost || method == http.MethodDelete {
		r.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i] == "Host" {
			r.Host = kv[i+1]
			continue
		}
		r.Header.Set(kv[i], kv[i+1])
	}
	rec := httptest.NewRecorder()
	m.sb.ServeHTTP(rec, r)
	var v map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &v)
	return rec, v
}

// login logs pixfile's demo user in at prefix and returns its token.
func (m *sandboxMock) login(prefix string, kv ...string) string {
	m.t.Helper()
	rec, _ := m.do(http.MethodPost, prefix+"/api/v2/login", `{"username":"user","password":"pass"}`, kv...)
	if rec.Code != http.StatusOK || rec.Header().Get("X-Auth-Token") == "" {
		m.t.Fatalf("login at %q: %d %s", prefix, rec.Code, rec.Body)
	}
	return rec.Header().Get("X-Auth-Token")
}

// call calls the protected operation at prefix with token and returns the status.
func (m *sandboxMock) call(prefix, token string, kv ...string) int {
	rec, _ := m.do(http.MethodGet, prefix+"/api/v2/customers", "", append([]string{"X-Auth-Token", token}, kv...)...)
	return rec.Code
}

func (m *sandboxMock) clock(prefix string) time.Time {
	_, v := m.do(http.MethodGet, prefix+"/__authconform/clock", "")
	now, _ := time.Parse(time.RFC3339Nano, v["now"].(string))
	return now
}

// TestSandboxesAreIsolated: a token of one world is refused in every other; one world's clock
// and reset move nothing else; the header reaches the same world as the path prefix.
func TestSandboxesAreIsolated(t *testing.T) {
	m := newSandboxMock(t, SandboxOptions{})
	a := m.login("/__sandbox/alice")
	for _, tc := range []struct {
		where  string
		prefix string
		kv     []string
		want   int
	}{
		{"alice by prefix", "/__sandbox/alice", nil, 200},
		{"alice by header", "", []string{SandboxHeader, "alice"}, 200},
		{"bob", "/__sandbox/bob", nil, 401},
		{"the default", "", nil, 401},
		{"the default by its name", "/__sandbox/default", nil, 401},
	} {
		if got := m.call(tc.prefix, a, tc.kv...); got != tc.want {
			t.Errorf("alice's token at %s: %d, want %d", tc.where, got, tc.want)
		}
	}
	d := m.login("")
	if m.call("", d) != 200 || m.call("/__sandbox/alice", d) != 401 {
		t.Error("the default world's token is not the default world's alone")
	}

	before := m.clock("")
	if rec, _ := m.do(http.MethodPost, "/__sandbox/alice/__authconform/clock", `{"advance":"25h"}`); rec.Code != 200 {
		t.Fatalf("moving alice's clock: %d %s", rec.Code, rec.Body)
	}
	if got := m.clock("/__sandbox/alice"); got.Sub(before) < 25*time.Hour {
		t.Errorf("alice's clock did not move: %s", got)
	}
	if got := m.clock(""); got.Sub(before) > time.Hour {
		t.Errorf("the default clock moved with alice's: %s", got)
	}
	if got := m.clock("/__sandbox/bob"); got.Sub(before) > time.Hour {
		t.Errorf("bob's clock moved with alice's: %s", got)
	}
	if m.call("/__sandbox/alice", a) != 401 || m.call("", d) != 200 {
		t.Error("25 h on alice's clock should expire alice's token only")
	}
	b := m.login("/__sandbox/bob")
	if rec, _ := m.do(http.MethodPost, "/__sandbox/alice/__authconform/reset", ""); rec.Code != 200 {
		t.Fatalf("reset of alice: %d", rec.Code)
	}
	if m.call("/__sandbox/bob", b) != 200 || m.call("", d) != 200 {
		t.Error("a reset of alice's world reset another")
	}
}

// TestSandboxLifecycle: create (with id and ttl, or neither), list, conflict, delete, the default
// protected, bad ids, explicit mode, the cap and idle expiry.
func TestSandboxLifecycle(t *testing.T) {
	m := newSandboxMock(t, SandboxOptions{Explicit: true, Max: 2, Idle: time.Hour})
	rec, v := m.do(http.MethodPost, "/__authconform/sandboxes", `{"id":"qa-run.1","ttl":"2h"}`)
	if rec.Code != http.StatusCreated || v["id"] != "qa-run.1" || v["baseURL"] != "http://127.0.0.1:8080/__sandbox/qa-run.1" {
		t.Fatalf("create: %d %v", rec.Code, v)
	}
	if exp, _ := time.Parse(time.RFC3339, v["expires"].(string)); !exp.Equal(m.now.Add(2 * time.Hour)) {
		t.Errorf("expires %v, want two hours on", v["expires"])
	}
	if rec, _ := m.do(http.MethodPost, "/__authconform/sandboxes", `{"id":"qa-run.1"}`); rec.Code != http.StatusConflict {
		t.Errorf("the same id again: %d", rec.Code)
	}
	for _, body := range []string{`{"id":"no/slash"}`, `{"id":"default"}`, `{"ttl":"soon"}`, `{"nope":1}`, `{} {}`} {
		if rec, _ := m.do(http.MethodPost, "/__authconform/sandboxes", body); rec.Code != http.StatusBadRequest {
			t.Errorf("create %s: %d, want 400", body, rec.Code)
		}
	}
	rec, v = m.do(http.MethodPost, "/__authconform/sandboxes", "")
	id, _ := v["id"].(string)
	if rec.Code != http.StatusCreated || !strings.HasPrefix(id, "sb-") {
		t.Fatalf("create without a body: %d %v", rec.Code, v)
	}
	if rec, _ := m.do(http.MethodPost, "/__authconform/sandboxes", `{"id":"third"}`); rec.Code != http.StatusTooManyRequests || !strings.Contains(rec.Body.String(), "--max-sandboxes") {
		t.Errorf("past the cap: %d %s", rec.Code, rec.Body)
	}
	if rec, _ := m.do(http.MethodGet, "/__sandbox/unknown/api/v2/customers", ""); rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), "explicit") {
		t.Errorf("an unknown sandbox in explicit mode: %d %s", rec.Code, rec.Body)
	}
	_, v = m.do(http.MethodGet, "/__authconform/sandboxes", "")
	if list, _ := v["sandboxes"].([]any); len(list) != 2 || v["mode"] != "explicit" {
		t.Errorf("list: %v", v)
	}
	if rec, _ := m.do(http.MethodDelete, "/__authconform/sandboxes/default", ""); rec.Code != http.StatusConflict {
		t.Errorf("deleting the default: %d", rec.Code)
	}
	if rec, _ := m.do(http.MethodDelete, "/__authconform/sandboxes/"+id, ""); rec.Code != http.StatusNoContent {
		t.Errorf("delete: %d", rec.Code)
	}
	if rec, _ := m.do(http.MethodDelete, "/__authconform/sandboxes/"+id, ""); rec.Code != http.StatusNotFound {
		t.Errorf("delete again: %d", rec.Code)
	}
	if rec, _ := m.do(http.MethodGet, "/__sandbox/"+id+"/__authconform/clock", ""); rec.Code != http.StatusNotFound {
		t.Errorf("a deleted sandbox still answers: %d", rec.Code)
	}
	if _, v := m.do(http.MethodGet, "/__sandbox/qa-run.1/__authconform/sandboxes", ""); v["mode"] != "off" {
		t.Errorf("a sandbox lists sandboxes: %v", v)
	}
	if rec, _ := m.do(http.MethodPost, "/__sandbox/qa-run.1/__authconform/sandboxes", `{"id":"nested"}`); rec.Code != http.StatusNotFound {
		t.Errorf("a sandbox created inside a sandbox: %d", rec.Code)
	}
	m.wait(2*time.Hour + time.Minute)
	_, v = m.do(http.MethodGet, "/__authconform/sandboxes", "")
	if list, _ := v["sandboxes"].([]any); len(list) != 0 {
		t.Errorf("an idle sandbox outlived its ttl: %v", v)
	}
}

// TestSandboxAuto: in auto mode a request to an unknown sandbox creates it; a bad id is refused.
func TestSandboxAuto(t *testing.T) {
	m := newSandboxMock(t, SandboxOptions{})
	if tok := m.login("/__sandbox/fresh"); m.call("/__sandbox/fresh", tok) != 200 {
		t.Error("an auto-created sandbox does not work")
	}
	if rec, _ := m.do(http.MethodGet, "/__sandbox/bad%20id/api/v2/customers", ""); rec.Code != http.StatusBadRequest {
		t.Errorf("a bad id: %d", rec.Code)
	}
	if rec, _ := m.do(http.MethodGet, "/__authconform/sandboxes", "", "Host", "evil.example"); rec.Code == http.StatusOK {
		t.Error("the lifecycle API answered a foreign Host")
	}
}

// TestSandboxCORS: a browser page reaches a sandbox under the prefix as it reaches the mock: the
// preflight is answered by the sandbox's CORS, and a preflight naming the sandbox header (sent to
// the default world, as preflights carry no header values) allows it.
func TestSandboxCORS(t *testing.T) {
	m := newSandboxMock(t, SandboxOptions{})
	for _, tc := range []struct{ path, headers string }{
		{"/__sandbox/web/api/v2/login", "content-type"},
		{"/api/v2/login", "content-type, authconform-sandbox"},
	} {
		rec, _ := m.do(http.MethodOptions, tc.path, "", "Origin", "http://localhost:5173",
			"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", tc.headers)
		if rec.Code/100 != 2 || rec.Header().Get("Access-Control-Allow-Origin") != "http://localhost:5173" ||
			!strings.Contains(strings.ToLower(rec.Header().Get("Access-Control-Allow-Headers")), strings.Fields(tc.headers)[len(strings.Fields(tc.headers))-1]) {
			t.Errorf("preflight of %s (%s): %d %v", tc.path, tc.headers, rec.Code, rec.Header())
		}
	}
}

// TestBrowserSandboxDashboard: a sandbox's dashboard, in headless Chromium, lists the sandboxes
// with its own selected, and shows that sandbox's sessions only; the default's shows none of them.
func TestBrowserSandboxDashboard(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium is not on PATH, and CI=true")
		}
		t.Skip("chromium is not on PATH (Debian: apt-get install -y chromium); skipping the browser test")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	m := newSandboxMock(t, SandboxOptions{})
	m.sb.opts.Now = time.Now // a browser's requests must not expire the sandboxes
	srv := httptest.NewServer(m.sb)
	defer srv.Close()
	if rec, _ := m.do(http.MethodPost, "/__authconform/sandboxes", `{"id":"qa"}`); rec.Code != http.StatusCreated {
		t.Fatalf("create: %d", rec.Code)
	}
	m.login("/__sandbox/qa")
	_, v := m.do(http.MethodGet, "/__sandbox/qa/__authconform/sessions", "")
	list, _ := v["sessions"].([]any)
	if len(list) != 1 {
		t.Fatalf("sessions of qa: %v", v)
	}
	sid := list[0].(map[string]any)["id"].(string)[:10]
	dir := t.TempDir()
	dom := string(runChromium(ctx, t, chromium, dir, "--virtual-time-budget=15000", "--dump-dom", srv.URL+"/__sandbox/qa/__authconform/"))
	for _, want := range []string{`<option value="default">default</option>`, `<option value="qa">qa</option>`, sid, "1 sessions"} {
		if !strings.Contains(dom, want) {
			t.Errorf("qa's dashboard lacks %q:\n%s", want, tail(dom, 3000))
		}
	}
	if !regexp.MustCompile(`<select id="sandbox"[^>]*>`).MatchString(dom) {
		t.Error("no sandbox picker")
	}
	def := string(runChromium(ctx, t, chromium, dir, "--virtual-time-budget=15000", "--dump-dom", srv.URL+"/__authconform/"))
	if strings.Contains(def, sid) || !strings.Contains(def, `<option value="qa">qa</option>`) {
		t.Errorf("the default dashboard shows qa's session, or lacks the picker's qa:\n%s", tail(def, 3000))
	}
}
