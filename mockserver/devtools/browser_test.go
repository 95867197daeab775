//go:build unix

package devtools

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/authconform/authconform/internal/redistest"
	"github.com/authconform/authconform/mockserver"
	"github.com/authconform/authconform/mockserver/store/redisstore"
	"github.com/authconform/authconform/specs"
)

// The end-to-end browser test: headless Chromium loads a page from another origin that logs in
// against the mock, reads X-Auth-Token from the response (only possible when CORS exposes it),
// calls a protected operation with it, provokes a 401 with Prefer, and writes what it saw into
// the DOM; then the dashboard, loaded in the same way, must list that token's session, and a
// screenshot of it is taken. Skipped where Chromium is not installed (.ci/run installs it).

// browserPage is the test page; MOCK is replaced by the mock's URL.
const browserPage = `<!doctype html>
<html><head><meta charset="utf-8"><title>frontend</title></head>
<body><pre id="result">pending</pre>
<script>
(async () => {
  const mock = "MOCK";
  const out = {};
  try {
    const r = await fetch(mock + "/api/v2/login", {method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({username: "user", password: "pass"})});
    out.loginStatus = r.status;
    const tok = r.headers.get("X-Auth-Token");
    out.tokenRead = !!tok;
    const claims = JSON.parse(atob(tok.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
    out.jti = claims.jti; out.sub = claims.sub;
    const r2 = await fetch(mock + "/api/v2/customers", {headers: {"X-Auth-Token": tok}});
    out.protectedStatus = r2.status;
    // A header no spec names, as a tracing library adds to every call.
    try {
      out.tracedStatus = (await fetch(mock + "/api/v2/customers", {headers: {"X-Auth-Token": tok,
        "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "X-Request-Id": "42"}})).status;
    } catch (e) { out.tracedStatus = String(e); }
    const r3 = await fetch(mock + "/api/v2/customers", {headers: {"X-Auth-Token": tok, "Prefer": "status=401"}});
    out.forcedStatus = r3.status;
    out.forcedMessage = r3.headers.get("X-Authconform-Message");

    // Every flow of every other spec, each with its own headers (each needs a preflight).
    const json = {"Content-Type": "application/json"};
    const post = (path, body, headers) => fetch(mock + path, {method: "POST", headers: Object.assign({}, json, headers || {}), body: JSON.stringify(body)});
    const flows = {};
    let b;
    let res = await post("/workey/api/auth/token", {username: "alice", password: "alice-password"}); b = await res.json(); flows.efaliaLogin = res.status;
    flows.efaliaBearer = (await fetch(mock + "/workey/api/processes", {headers: {"Authorization": "Bearer " + b.token}})).status;
    flows.efaliaKey = (await fetch(mock + "/workey/api/processes", {headers: {"X-API-KEY": "efalia-demo-key"}})).status;
    res = await post("/workey/api/auth/refresh", {refreshToken: b.refreshToken}); const nb = await res.json(); flows.efaliaRefresh = res.status;
    flows.efaliaLogout = (await post("/workey/api/auth/logout", {}, {"Authorization": "Bearer " + nb.token})).status;
    res = await post("/auth/login/", {companyId: "11111111-1111-4111-8111-111111111111"}); b = await res.json(); flows.elyssaLogin = res.status;
    flows.elyssaCompany = (await fetch(mock + "/companies/me", {headers: {"Authorization": "Bearer " + b.accessToken, "x-company-id": "11111111-1111-4111-8111-111111111111"}})).status;
    flows.elyssaRefresh = (await post("/auth/refresh/", {refresh: b.refreshToken})).status;
    res = await post("/user/login", {username: "john.doe", password: "SecurePass123!"}); b = await res.json(); flows.precrimeLogin = res.status;
    const auth = {"Authorization": "Bearer " + b.Token};
    res = await post("/authheader/add", {name: "browser"}, auth); const key = (await res.json()).token; flows.precrimeAdd = res.status;
    flows.precrimeList = (await fetch(mock + "/authheader/list", {headers: auth})).status;
    flows.precrimeKeyCall = (await fetch(mock + "/authheader/list", {headers: {"Authorization": key}})).status;
    flows.precrimeDelete = (await post("/authheader/delete", {text: key}, auth)).status;
    flows.pixfileV1 = (await fetch(mock + "/api/v1/login?username=carol&password=carol-password")).status;
    out.flows = flows;
  } catch (e) {
    out.error = String(e);
  }
  document.getElementById("result").textContent = JSON.stringify(out);
})();
</script></body></html>`

// browserResult is what the page writes.
type browserResult struct {
	LoginStatus     int
	TokenRead       bool
	JTI             string
	Sub             string
	ProtectedStatus int
	TracedStatus    any
	ForcedStatus    int
	ForcedMessage   string
	Flows           map[string]int
	Error           string
}

func TestBrowserEndToEnd(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not on PATH (Debian: apt-get install -y chromium); skipping the browser test")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	var list []*specs.Spec
	for _, n := range specs.Names() {
		list = append(list, loadSpec(t, n))
	}
	mock, d, err := newMock(list)
	if err != nil {
		t.Fatal(err)
	}
	mockSrv := httptest.NewServer(mock) // 127.0.0.1
	defer mockSrv.Close()
	page := strings.Replace(browserPage, "MOCK", mockSrv.URL, 1)
	pageSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(page))
	}))
	defer pageSrv.Close()
	if pageSrv.URL == mockSrv.URL {
		t.Fatal("the page and the mock share an origin")
	}

	dir := t.TempDir()
	browse := func(t *testing.T, extra ...string) []byte {
		t.Helper()
		return runChromium(ctx, t, chromium, dir, append([]string{"--virtual-time-budget=15000"}, extra...)...)
	}

	var got browserResult
	t.Run("a page of another origin logs in and calls a protected operation", func(t *testing.T) {
		dom := browse(t, "--dump-dom", pageSrv.URL)
		m := regexp.MustCompile(`(?s)<pre id="result">(.*?)</pre>`).FindSubmatch(dom)
		if m == nil {
			t.Fatalf("no result in the page:\n%s", tail(string(dom), 2000))
		}
		if err := json.Unmarshal([]byte(html.UnescapeString(string(m[1]))), &got); err != nil {
			t.Fatalf("result %q: %v", m[1], err)
		}
		if got.Error != "" || got.LoginStatus != 200 || !got.TokenRead || got.Sub != "user" || got.JTI == "" ||
			got.ProtectedStatus != 200 || got.TracedStatus != 200.0 || got.ForcedStatus != 401 || !strings.Contains(got.ForcedMessage, "forced") {
			t.Fatalf("the page saw %+v", got)
		}
		flows := []string{"efaliaLogin", "efaliaBearer", "efaliaKey", "efaliaRefresh", "efaliaLogout", "elyssaLogin", "elyssaCompany",
			"elyssaRefresh", "precrimeLogin", "precrimeAdd", "precrimeList", "precrimeKeyCall", "precrimeDelete", "pixfileV1"}
		for _, f := range flows {
			if got.Flows[f] != 200 {
				t.Errorf("%s from the browser: %d, want 200 (all: %v)", f, got.Flows[f], got.Flows)
			}
		}
	})
	if got.JTI == "" {
		return
	}
	t.Run("the dashboard shows the token", func(t *testing.T) {
		h := &harness{t: t, s: mock, d: d}
		if rec := serve(mock, h.req("POST", mockserver.AdminPrefix+"faults", `{"operation":"postToken","status":555,"count":3}`)); rec.Code != 201 {
			t.Fatalf("queueing a fault: %d %s", rec.Code, rec.Body.String())
		}
		dom := string(browse(t, "--dump-dom", mockSrv.URL+mockserver.AdminPrefix))
		for _, want := range []string{"Live tokens", got.JTI, "pixfile", "GET /api/v2/customers", "POST /auth/token</td><td>555</td>", "[redacted "} {
			if !strings.Contains(dom, want) {
				t.Errorf("the dashboard lacks %q:\n%s", want, tail(dom, 3000))
			}
		}
		// Account actions: "expire password" only where the spec's login takes a password.
		rows := regexp.MustCompile(`<tr><td>(\w+)</td><td>[^<]*</td><td>[^<]*</td><td class="mono">[^<]*</td><td class="state-(\w+)">\w+</td><td class="buttons">(.*?)</td></tr>`).FindAllStringSubmatch(dom, -1)
		seen := map[string]bool{}
		for _, row := range rows {
			spec, state, buttons := row[1], row[2], row[3]
			seen[spec] = true
			want := spec != "elyssa" && state != "passwordExpired"
			if offered := strings.Contains(buttons, "expire password"); offered != want {
				t.Errorf("a %s account (%s) offers expire password: %v, want %v (buttons %s)", spec, state, offered, want, buttons)
			}
		}
		if !seen["elyssa"] || !seen["pixfile"] {
			t.Errorf("the accounts table lacks elyssa or pixfile rows: %v", seen)
		}
		// A token shows as its length only: not even the "eyJhbG" every JWT starts with.
		if i := strings.Index(dom, "eyJ"); i >= 0 {
			t.Errorf("the dashboard shows part of a token: %q", dom[max(0, i-40):min(len(dom), i+40)])
		}
	})
	t.Run("the dashboard asks for the admin token", func(t *testing.T) {
		locked, _, err := newMock(list, mockserver.WithConfig(&mockserver.Config{Admin: mockserver.AdminConfig{Token: "0123456789abcdef-admin"}}))
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(locked)
		defer srv.Close()
		dom := string(browse(t, "--dump-dom", srv.URL+mockserver.AdminPrefix))
		if !strings.Contains(dom, `<section id="auth">`) || !strings.Contains(dom, "needs the admin token") {
			t.Errorf("no token prompt:\n%s", tail(dom, 3000))
		}
	})
	t.Run("on Redis the dashboard says the live tokens and the journal are this replica's", func(t *testing.T) {
		notes := []string{"sessions-replica", "journal-replica"}
		dom := string(browse(t, "--dump-dom", mockSrv.URL+mockserver.AdminPrefix))
		for _, id := range notes {
			if !strings.Contains(dom, `<p id="`+id+`" class="note" hidden="">`) {
				t.Errorf("with the memory store, the note %s is not there hidden:\n%s", id, tail(dom, 3000))
			}
		}
		srv := redistest.New(t)
		st, err := redisstore.Open(ctx, srv.URL(0), "dashboard:", mockserver.NewClock())
		if err != nil {
			t.Fatal(err)
		}
		backend := redisstore.NewBackend(st)
		defer backend.Close()
		replica, err := NewLiveOn(backend, list)
		if err != nil {
			t.Fatal(err)
		}
		rs := httptest.NewServer(replica)
		defer rs.Close()
		dom = string(browse(t, "--dump-dom", rs.URL+mockserver.AdminPrefix))
		for _, id := range notes {
			if !strings.Contains(dom, `<p id="`+id+`" class="note">`) {
				t.Errorf("with the Redis store, the note %s is not shown:\n%s", id, tail(dom, 3000))
			}
		}
		if !strings.Contains(dom, "this replica's") {
			t.Errorf("the notes do not say whose the list is")
		}
	})
	t.Run("a screenshot of the dashboard", func(t *testing.T) {
		shot := filepath.Join(dir, "dashboard.png")
		browse(t, "--screenshot="+shot, "--window-size=1280,1600", "--hide-scrollbars", mockSrv.URL+mockserver.AdminPrefix)
		f, err := os.Open(shot)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		img, err := png.Decode(f)
		if err != nil {
			t.Fatalf("not a PNG: %v", err)
		}
		b := img.Bounds()
		if b.Dx() != 1280 || b.Dy() != 1600 {
			t.Errorf("screenshot %v, want 1280x1600", b)
		}
		// Not blank: the page drew text and tables, so many distinct colours appear.
		colours := map[[3]uint32]bool{}
		for y := b.Min.Y; y < b.Max.Y && len(colours) < 50; y += 3 {
			for x := b.Min.X; x < b.Max.X; x += 3 {
				r, g, bl, _ := img.At(x, y).RGBA()
				colours[[3]uint32{r, g, bl}] = true
			}
		}
		if len(colours) < 10 {
			t.Errorf("the screenshot looks blank: %d colours", len(colours))
		}
		if out := os.Getenv("AUTHCONFORM_SCREENSHOT"); out != "" {
			data, _ := os.ReadFile(shot)
			if err := os.WriteFile(out, data, 0o644); err != nil {
				t.Errorf("copying the screenshot: %v", err)
			}
		}
	})
}

// runChromium runs headless Chromium with a profile under dir and returns what it wrote to
// stdout (--dump-dom).
func runChromium(ctx context.Context, t *testing.T, chromium, dir string, extra ...string) []byte {
	t.Helper()
	args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
		"--user-data-dir=" + filepath.Join(dir, "profile")}, extra...)
	cmd := exec.CommandContext(ctx, chromium, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) } // the whole group
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %s: %v\nstderr: %s", strings.Join(extra, " "), err, tail(stderr.String(), 2000))
	}
	return stdout.Bytes()
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return fmt.Sprintf("…%s", s[len(s)-n:])
}
