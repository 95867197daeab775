//go:build unix

package devtools

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authconform/authconform/mockserver"
	"github.com/authconform/authconform/specs"
)

// attackPage is a page of a foreign origin that tries every way a page can send a request to the
// admin API without the mock's consent: forms (text/plain, urlencoded), no-cors fetches,
// fetches with credentials (simple ones, which need no preflight, and ones that do), sendBeacon,
// image and script tags, and all of it again from an opaque origin (a sandboxed frame). MOCK is
// replaced by the mock's URL. When every attempt has ended it posts what it saw to /report on its
// own server, which then lets /hold answer: the image holds the page's load event, and with it
// Chromium's --dump-dom, until then (real time: virtual time does not wait for frames).
const attackPage = `<!doctype html>
<html><head><meta charset="utf-8"><title>a page on the web</title></head>
<body><pre id="result">pending</pre><img src="/hold" alt="">
<script>
const admin = "MOCK/__authconform/";
const out = {fetch: {}};
const wait = (ms) => new Promise((r) => setTimeout(r, ms));

// A form posted into a hidden frame; resolves when the frame has loaded the answer.
function post(path, enctype, fields) {
  return new Promise((resolve) => {
    const name = "sink" + Math.random().toString(36).slice(2);
    const frame = document.createElement("iframe");
    frame.name = name;
    document.body.append(frame);
    frame.onload = () => resolve("loaded");
    const form = document.createElement("form");
    form.method = "POST"; form.enctype = enctype; form.action = admin + path; form.target = name;
    for (const [k, v] of fields) {
      const i = document.createElement("input"); i.type = "hidden"; i.name = k; i.value = v; form.append(i);
    }
    document.body.append(form);
    form.submit();
    setTimeout(() => resolve("timeout"), 5000);
  });
}

const show = () => { document.getElementById("result").textContent = JSON.stringify(out); };

async function tryFetch(label, path, init) {
  try { const r = await fetch(admin + path, init); out.fetch[label] = r.type === "opaque" ? "opaque" : r.status; }
  catch (e) { out.fetch[label] = "refused: " + e.name; }
  show();
}

function tag(kind, path) {
  return new Promise((resolve) => {
    const e = document.createElement(kind);
    e.onload = () => resolve("load"); e.onerror = () => resolve("error");
    e.src = admin + path;
    document.body.append(e);
    setTimeout(() => resolve("timeout"), 5000);
  });
}

// A frame with an opaque origin: Origin: null.
function sandboxed() {
  return new Promise((resolve) => {
    window.addEventListener("message", (ev) => { if (ev.data && ev.data.sandbox) resolve(ev.data); });
    const f = document.createElement("iframe");
    f.sandbox = "allow-scripts allow-forms";
    f.srcdoc = "<script>(async () => { const a = '" + admin + "'; const got = {sandbox: true};" +
      "try { await fetch(a + 'clock', {method: 'POST', mode: 'no-cors', body: '{\"advance\":\"25h\"}'}); got.noCors = 'sent'; } catch (e) { got.noCors = String(e); }" +
      "try { const r = await fetch(a + 'faults', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: '{\"operation\":\"postToken\",\"drop\":true,\"count\":1000}'}); got.cors = r.status; } catch (e) { got.cors = 'refused'; }" +
      "try { await fetch(a + 'reset', {method: 'POST', credentials: 'include', body: 'x'}); got.simple = 'sent'; } catch (e) { got.simple = 'refused'; }" +
      "parent.postMessage(got, '*'); })();<\/script>";
    document.body.append(f);
    setTimeout(() => resolve({sandbox: "timeout"}), 5000);
  });
}

(async () => {
  try {
    out.formClock = await post("clock", "text/plain", [['{"advance":"25h"}', ""]]); show();
    out.formFault = await post("faults", "text/plain", [['{"operation":"postToken","drop":true,"count":1000}', ""]]); show();
    out.formDisable = await post("accounts/pixfile/user/disable", "text/plain", [["x", "y"]]); show();
    out.formReset = await post("reset", "application/x-www-form-urlencoded", [["x", "y"]]); show();
    await tryFetch("noCorsClock", "clock", {method: "POST", mode: "no-cors", body: '{"advance":"25h"}'});
    await tryFetch("noCorsClockJSON", "clock", {method: "POST", mode: "no-cors", headers: {"Content-Type": "application/json"}, body: '{"advance":"25h"}'});
    await tryFetch("noCorsRevoke", "sessions/SID/revoke", {method: "POST", mode: "no-cors"});
    await tryFetch("credentialsSimple", "faults", {method: "POST", credentials: "include", headers: {"Content-Type": "text/plain"}, body: '{"operation":"postToken","drop":true,"count":1000}'});
    await tryFetch("credentialsJSON", "clock", {method: "POST", credentials: "include", headers: {"Content-Type": "application/json"}, body: '{"advance":"25h"}'});
    await tryFetch("credentialsDelete", "journal", {method: "DELETE", credentials: "include"});
    await tryFetch("credentialsRead", "journal", {credentials: "include"});
    out.beacon = navigator.sendBeacon(admin + "clock", '{"advance":"25h"}');
    out.img = await tag("img", "reset");
    out.imgClock = await tag("img", "clock/reset");
    out.script = await tag("script", "journal");
    out.sandbox = await sandboxed();
    await wait(500); // the beacon
    out.done = true;
  } catch (e) {
    out.error = String(e);
  }
  show();
  await fetch("/report", {method: "POST", body: JSON.stringify(out)});
})();
</script></body></html>`

// friendlyPage is a page of an allowed origin (a localhost dev server) that moves the clock
// through the admin API the way it is meant to be called: a JSON POST after a preflight.
const friendlyPage = `<!doctype html>
<html><head><meta charset="utf-8"><title>frontend</title></head>
<body><pre id="result">pending</pre>
<script>
(async () => {
  const out = {};
  try {
    const r = await fetch("MOCK/__authconform/clock", {method: "POST", credentials: "include",
      headers: {"Content-Type": "application/json"}, body: '{"advance":"1h"}'});
    out.status = r.status; out.now = (await r.json()).now;
  } catch (e) { out.error = String(e); }
  document.getElementById("result").textContent = JSON.stringify(out);
})();
</script></body></html>`

// adminCall is one request the admin API received, and its answer.
type adminCall struct {
	method, path, origin, ctype string
	status                      int
}

// TestBrowserForeignPageChangesNothing: a page of a foreign origin, loaded in Chromium, changes
// nothing in the mock by any of: form post (text/plain, urlencoded), no-cors fetch, fetch with
// credentials, sendBeacon, an image or a script tag pointing at the admin API, from its own origin
// or an opaque one. The requests do reach the mock (the test checks they arrived, so a browser
// that blocked them itself would not make it pass); the guard refuses each. A page of an allowed
// origin still moves the clock.
func TestBrowserForeignPageChangesNothing(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not on PATH (Debian: apt-get install -y chromium); skipping the browser test")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	var list []*specs.Spec
	for _, n := range specs.Names() {
		list = append(list, loadSpec(t, n))
	}
	clock := mockserver.NewClockAt(t0)
	mock, d, err := newMock(list, mockserver.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var calls []adminCall
	mockSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		mock.ServeHTTP(rec, r)
		if strings.HasPrefix(r.URL.Path, mockserver.AdminPrefix) {
			mu.Lock()
			calls = append(calls, adminCall{r.Method, strings.TrimPrefix(r.URL.Path, mockserver.AdminPrefix), r.Header.Get("Origin"), r.Header.Get("Content-Type"), rec.Code})
			mu.Unlock()
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	}))
	defer mockSrv.Close()

	h := &harness{t: t, s: mock, d: d, clock: clock}
	tok := h.pixfileToken("user", "pass")
	sid := h.sessions().Sessions[0].ID
	h.admin("POST", "faults", `{"operation":"postToken","status":555}`, 201)
	before := adminFingerprint(t, h, tok)

	page := strings.NewReplacer("MOCK", mockSrv.URL, "SID", sid).Replace(attackPage)
	report := make(chan []byte, 1)
	reported := make(chan struct{})
	pageSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/friendly":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = w.Write([]byte(strings.Replace(friendlyPage, "MOCK", mockSrv.URL, 1)))
		case "/report":
			b, _ := io.ReadAll(r.Body)
			select {
			case report <- b:
				close(reported)
			default:
			}
		case "/hold":
			select {
			case <-reported:
			case <-time.After(40 * time.Second):
			case <-r.Context().Done():
			}
			w.WriteHeader(http.StatusNoContent)
		default:
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = w.Write([]byte(page))
		}
	}))
	defer pageSrv.Close()
	u, _ := url.Parse(pageSrv.URL)
	dir := t.TempDir()
	// The page's origin is http://attacker.test:PORT, resolved by Chromium to the page server.
	runChromium(ctx, t, chromium, dir, "--host-resolver-rules=MAP attacker.test 127.0.0.1", "--dump-dom", "http://attacker.test:"+u.Port()+"/")
	var result []byte
	select {
	case result = <-report:
	default:
		mu.Lock()
		t.Fatalf("the page reported nothing; the mock saw %+v", calls)
	}
	var got map[string]any
	if err := json.Unmarshal(result, &got); err != nil || got["done"] != true {
		mu.Lock()
		t.Fatalf("the page did not finish: %s (%v); the mock saw %+v", result, err, calls)
	}
	t.Logf("the page saw %s", result)

	if after := adminFingerprint(t, h, tok); after != before {
		t.Errorf("a foreign page changed the mock:\nbefore %s\nafter  %s", before, after)
	}
	mu.Lock()
	arrived := map[string]int{}
	for _, c := range calls {
		arrived[c.method+" "+strings.SplitN(c.path, "/", 2)[0]]++
		switch {
		case c.method == http.MethodOptions:
			if c.status != http.StatusForbidden {
				t.Errorf("preflight %s from %q answered %d, want 403", c.path, c.origin, c.status)
			}
		case c.method == http.MethodPost || c.method == http.MethodDelete:
			if c.status != http.StatusForbidden && c.status != http.StatusUnsupportedMediaType {
				t.Errorf("%s %s from %q (%s) answered %d, want 403 or 415", c.method, c.path, c.origin, c.ctype, c.status)
			}
		case c.status < 400 && c.path != "journal":
			t.Errorf("%s %s answered %d", c.method, c.path, c.status)
		}
	}
	// Each way of sending did reach the mock: the guard, not the browser, refused it.
	for what, least := range map[string]int{"POST clock": 5, "POST faults": 2, "POST accounts": 1, "POST reset": 2, "POST sessions": 1,
		"OPTIONS clock": 1, "OPTIONS faults": 1, "OPTIONS journal": 1, "GET reset": 1, "GET journal": 2} {
		if arrived[what] < least {
			t.Errorf("%s arrived %d times, want at least %d (all: %v)", what, arrived[what], least, arrived)
		}
	}
	mu.Unlock()

	t.Run("a page of an allowed origin moves the clock", func(t *testing.T) {
		dom := runChromium(ctx, t, chromium, t.TempDir(), "--virtual-time-budget=15000", "--dump-dom", "http://localhost:"+u.Port()+"/friendly")
		m := regexp.MustCompile(`(?s)<pre id="result">(.*?)</pre>`).FindSubmatch(dom)
		if m == nil || !strings.Contains(string(m[1]), `"status":200`) {
			t.Fatalf("the page saw %s", dom)
		}
		if now := clock.Now(); !now.Equal(t0.Add(time.Hour)) {
			t.Errorf("clock at %s, want %s", now, t0.Add(time.Hour))
		}
	})
}
