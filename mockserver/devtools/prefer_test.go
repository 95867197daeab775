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

	"github.com/authconform/authconform/mockserver"
)

func TestPreferHeader(t *testing.T) {
	cases := []struct {
		name    string
		req     func(h *harness) *http.Request
		checked bool // the answer is checked against the spec (a documented status)
		want    int
		applied string // Preference-Applied
		message string // part of the message
	}{
		{name: "forced 555 in the spec's error body", checked: true, want: 555, applied: "status=555", message: "status 555 forced by the Prefer header",
			req: func(h *harness) *http.Request {
				return h.req("POST", "/workey/api/auth/token", `{"username":"alice","password":"alice-password"}`, "Prefer", "status=555")
			}},
		{name: "forced 401 on a protected call", checked: true, want: 401, applied: "status=401",
			req: func(h *harness) *http.Request {
				return h.req("GET", "/api/v2/customers", "", "X-Auth-Token", h.pixfileToken("user", "pass"), "Prefer", "status=401")
			}},
		{name: "forced documented 404 without credentials", checked: true, want: 404,
			req: func(h *harness) *http.Request {
				return h.req("POST", "/api/v2/login", `{"username":"user","password":"pass"}`, "Prefer", "status=404")
			}},
		{name: "undocumented status refused naming the documented ones", want: 400, message: "documented statuses are 200, 400, 401, 403, 404",
			req: func(h *harness) *http.Request {
				return h.req("POST", "/api/v2/login", `{"username":"user","password":"pass"}`, "Prefer", "status=418")
			}},
		{name: "an undocumented status is refused by the mock, not with the vendor's 555", want: 400, message: "documented statuses are 200, 555",
			req: func(h *harness) *http.Request {
				return h.req("POST", "/workey/api/auth/token", `{"username":"alice","password":"alice-password"}`, "Prefer", "status=400")
			}},
		{name: "not a status", want: 400, message: "expected an HTTP status",
			req: func(h *harness) *http.Request {
				return h.req("POST", "/api/v2/login", `{"username":"user","password":"pass"}`, "Prefer", "status=teapot")
			}},
		{name: "the success status serves for real", checked: true, want: 200,
			req: func(h *harness) *http.Request {
				return h.req("POST", "/api/v2/login", `{"username":"user","password":"pass"}`, "Prefer", "status=200")
			}},
		{name: "unknown preference ignored", checked: true, want: 200,
			req: func(h *harness) *http.Request {
				return h.req("POST", "/api/v2/login", `{"username":"user","password":"pass"}`, "Prefer", "return=minimal, respond-async")
			}},
		{name: "delay too long", want: 400, message: "between 0 and 25s",
			req: func(h *harness) *http.Request {
				return h.req("POST", "/api/v2/login", `{"username":"user","password":"pass"}`, "Prefer", "delay=1h")
			}},
		{name: "auth=expired on a protected call", checked: true, want: 401, applied: "auth=expired", message: "expired",
			req: func(h *harness) *http.Request {
				return h.req("GET", "/api/v2/customers", "", "X-Auth-Token", h.pixfileToken("user", "pass"), "Prefer", "auth=expired")
			}},
		{name: "auth=expired on a refresh answers its invalidCredential status", checked: true, want: 555,
			req: func(h *harness) *http.Request {
				_, refresh := h.efaliaTokens("alice", "alice-password")
				return h.req("POST", "/workey/api/auth/refresh", `{"refreshToken":"`+refresh+`"}`, "Prefer", "auth=expired")
			}},
		{name: "auth=expired on a login answers passwordExpired", checked: true, want: 403,
			req: func(h *harness) *http.Request {
				return h.req("POST", "/user/login", `{"username":"john.doe","password":"SecurePass123!"}`, "Prefer", "auth=expired")
			}},
		{name: "several preferences in two headers", checked: true, want: 555, applied: "status=555, delay=1ms",
			req: func(h *harness) *http.Request {
				r := h.req("GET", "/workey/api/processes", "", "Prefer", "status=555")
				r.Header.Add("Prefer", "delay=1ms")
				return r
			}},
		{name: "bad auth value refused by the mock", want: 400, message: "the only value is expired",
			req: func(h *harness) *http.Request {
				return h.req("GET", "/api/v2/customers", "", "Prefer", "auth=revoked")
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			var rec *httptest.ResponseRecorder
			if tc.checked {
				rec = h.do(tc.req(h))
			} else {
				rec = serve(h.s, tc.req(h))
			}
			h.expect(rec, tc.want)
			if tc.applied != "" && rec.Header().Get("Preference-Applied") != tc.applied {
				t.Errorf("Preference-Applied %q, want %q", rec.Header().Get("Preference-Applied"), tc.applied)
			}
			if !strings.Contains(rec.Header().Get(mockserver.MessageHeader), tc.message) {
				t.Errorf("message %q does not contain %q", rec.Header().Get(mockserver.MessageHeader), tc.message)
			}
		})
	}
}

func TestPreferDelay(t *testing.T) {
	h := newHarness(t, "pixfile")
	start := time.Now()
	rec := h.do(h.req("POST", "/api/v2/login", `{"username":"user","password":"pass"}`, "Prefer", "delay=50ms"))
	h.expect(rec, 200)
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Errorf("answered after %v, want at least 50ms", d)
	}

	t.Run("honours cancellation", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
		defer cancel()
		r := h.req("POST", "/api/v2/login", `{"username":"user","password":"pass"}`, "Prefer", "delay=20s").WithContext(ctx)
		start := time.Now()
		rec := serve(h.s, r)
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("a cancelled request waited %v", d)
		}
		if rec.Header().Get("X-Auth-Token") != "" {
			t.Errorf("a cancelled request was served")
		}
	})
}

func TestParseDelay(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want time.Duration
		err  bool
	}{
		{name: "milliseconds", in: "800ms", want: 800 * time.Millisecond},
		{name: "bare number is ms", in: "250", want: 250 * time.Millisecond},
		{name: "seconds", in: "2s", want: 2 * time.Second},
		{name: "the maximum", in: "25s", want: MaxDelay},
		{name: "too long", in: "26s", err: true},
		{name: "negative", in: "-1s", err: true},
		{name: "garbage", in: "soon", err: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseDelay(tc.in)
			if (err != nil) != tc.err || got != tc.want {
				t.Errorf("parseDelay(%q) = %v, %v; want %v, error %v", tc.in, got, err, tc.want, tc.err)
			}
		})
	}
}

// admin sends an admin request and decodes the JSON answer.
func (h *harness) admin(method, path, body string, want int) map[string]any {
	h.t.Helper()
	rec := serve(h.s, h.req(method, mockserver.AdminPrefix+path, body))
	h.expect(rec, want)
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		h.t.Fatalf("%s %s: not a JSON object: %s", method, path, rec.Body.String())
	}
	return m
}

func TestFaultQueue(t *testing.T) {
	login := func(h *harness) *httptest.ResponseRecorder {
		return h.do(h.req("POST", "/workey/api/auth/token", `{"username":"alice","password":"alice-password"}`))
	}
	t.Run("next N calls answer the status, then normal", func(t *testing.T) {
		h := newHarness(t)
		f := h.admin("POST", "faults", `{"operation":"postToken","count":2,"status":555}`, 201)
		if f["spec"] != "efalia" || f["operation"] != "POST /auth/token" || f["remaining"] != 2.0 {
			t.Errorf("queued %v", f)
		}
		for i := range 2 {
			rec := login(h)
			h.expect(rec, 555)
			if !strings.Contains(rec.Header().Get(mockserver.MessageHeader), "queued fault") {
				t.Errorf("call %d: message %q", i, rec.Header().Get(mockserver.MessageHeader))
			}
		}
		h.expect(login(h), 200)
		if l := h.admin("GET", "faults", "", 200)["faults"].([]any); len(l) != 0 {
			t.Errorf("faults left: %v", l)
		}
	})
	cases := []struct {
		name    string
		body    string
		want    int
		message string
	}{
		{name: "METHOD and documented path", body: `{"operation":"POST /auth/token","status":555}`, want: 201},
		{name: "METHOD and served path", body: `{"operation":"post /workey/api/auth/token","status":555}`, want: 201},
		{name: "with its spec", body: `{"spec":"pixfile","operation":"loginV2","status":403}`, want: 201},
		{name: "delay only", body: `{"operation":"getCustomers","delay":"10ms"}`, want: 201},
		{name: "undocumented status", body: `{"operation":"postToken","status":500}`, want: 400, message: "documented statuses are 200, 555"},
		{name: "unknown operation", body: `{"operation":"nothing","status":500}`, want: 400, message: "no operation"},
		{name: "unknown spec", body: `{"spec":"nope","operation":"postToken","status":555}`, want: 400, message: "no served spec"},
		{name: "operation in another spec", body: `{"spec":"pixfile","operation":"postToken","status":555}`, want: 400, message: "no operation"},
		{name: "nothing to do", body: `{"operation":"postToken"}`, want: 400, message: "at least one of status, delay or drop"},
		{name: "count too big", body: `{"operation":"postToken","status":555,"count":100000}`, want: 400, message: "between 1 and 1000"},
		{name: "drop and status", body: `{"operation":"postToken","status":555,"drop":true}`, want: 400},
		{name: "delay too long", body: `{"operation":"postToken","delay":"1h"}`, want: 400},
		{name: "unknown field", body: `{"operation":"postToken","status":555,"colour":"red"}`, want: 400},
		{name: "not JSON", body: `status=555`, want: 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			m := h.admin("POST", "faults", tc.body, tc.want)
			if msg, _ := m["message"].(string); !strings.Contains(msg, tc.message) {
				t.Errorf("message %q does not contain %q", msg, tc.message)
			}
		})
	}
	t.Run("queue is bounded and clears", func(t *testing.T) {
		h := newHarness(t)
		for range maxFaults {
			h.admin("POST", "faults", `{"operation":"postToken","status":555}`, 201)
		}
		h.admin("POST", "faults", `{"operation":"postToken","status":555}`, 409)
		h.admin("DELETE", "faults", "", 200)
		h.expect(login(h), 200)
	})
	t.Run("reset clears the queue", func(t *testing.T) {
		h := newHarness(t)
		h.admin("POST", "faults", `{"operation":"postToken","status":555}`, 201)
		h.admin("POST", "reset", "", 200)
		h.expect(login(h), 200)
	})
	t.Run("delay", func(t *testing.T) {
		h := newHarness(t)
		h.admin("POST", "faults", `{"operation":"postToken","delay":"40ms"}`, 201)
		start := time.Now()
		h.expect(login(h), 200)
		if d := time.Since(start); d < 40*time.Millisecond {
			t.Errorf("answered after %v, want at least 40ms", d)
		}
	})
}

func TestFaultDrop(t *testing.T) {
	h := newHarness(t)
	ts := httptest.NewServer(h.s)
	defer ts.Close()
	h.admin("POST", "faults", `{"operation":"loginV2","drop":true}`, 201)
	post := func() (*http.Response, error) {
		return ts.Client().Post(ts.URL+"/api/v2/login", "application/json", strings.NewReader(`{"username":"user","password":"pass"}`))
	}
	if res, err := post(); err == nil {
		res.Body.Close()
		t.Fatalf("a dropped call got a response: %d", res.StatusCode)
	}
	res, err := post()
	if err != nil {
		t.Fatalf("the call after the drop: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Errorf("the call after the drop: %d", res.StatusCode)
	}
}

// TestFaultQueueConcurrent: N queued faults apply to exactly N of many concurrent calls.
func TestFaultQueueConcurrent(t *testing.T) {
	h := newHarness(t, "efalia")
	h.admin("POST", "faults", `{"operation":"getProcesses","status":555,"count":25}`, 201)
	var wg sync.WaitGroup
	var mu sync.Mutex
	counts := map[int]int{}
	for i := range 60 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := httptest.NewRequest("GET", "/workey/api/processes", nil)
			r.Header.Set("X-API-KEY", "efalia-demo-key")
			if i%2 == 0 {
				r.Header.Set("Prefer", "delay=1ms")
			}
			rec := serve(h.s, r)
			mu.Lock()
			counts[rec.Code]++
			mu.Unlock()
		}()
		if i%10 == 0 {
			go func() { _ = serve(h.s, h.req("GET", mockserver.AdminPrefix+"faults", "")) }()
		}
	}
	wg.Wait()
	if counts[555] != 25 || counts[200] != 35 {
		t.Errorf("statuses %v, want 25 of 555 and 35 of 200", counts)
	}
	if got := fmt.Sprint(h.admin("GET", "faults", "", 200)["faults"]); got != "[]" {
		t.Errorf("faults left: %s", got)
	}
}

// TestPreferRefusedByTheMock: a Prefer header the mock will not apply is refused by the mock
// itself, 400 application/problem+json with the reason, in every spec, whatever the spec's
// invalidRequest status and error shape. Before, efalia answered Prefer: status=299 with 555, its
// own server error, so a tool's refusal looked like the vendor's failure.
func TestPreferRefusedByTheMock(t *testing.T) {
	cases := []struct {
		name, method, path, body, prefer, reason string
	}{
		{name: "efalia, undocumented status", method: "POST", path: "/workey/api/auth/token", body: `{"username":"alice","password":"alice-password"}`,
			prefer: "status=299", reason: "does not document 299"},
		{name: "efalia, bad syntax", method: "GET", path: "/workey/api/processes", prefer: "status=5xx", reason: "expected an HTTP status"},
		{name: "pixfile, undocumented status", method: "POST", path: "/api/v2/login", body: `{"username":"user","password":"pass"}`,
			prefer: "status=418", reason: "does not document 418"},
		{name: "elyssa, delay out of range", method: "POST", path: "/auth/login/", body: `{"companyId":"` + company1 + `"}`,
			prefer: "delay=1h", reason: "between 0 and 25s"},
		{name: "precrime, bad auth value", method: "POST", path: "/user/login", body: `{"username":"john.doe","password":"SecurePass123!"}`,
			prefer: "auth=revoked", reason: "the only value is expired"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			rec := serve(h.s, h.req(tc.method, tc.path, tc.body, "Prefer", tc.prefer))
			h.expect(rec, 400)
			if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type %q, want application/problem+json", ct)
			}
			var p struct {
				Type, Title, Detail string
				Status              int
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Status != 400 || p.Type != "about:blank" || p.Title != "Bad Request" ||
				!strings.Contains(p.Detail, tc.reason) || !strings.Contains(p.Detail, "the mock refused the Prefer header") {
				t.Errorf("body %s (%v)", rec.Body.String(), err)
			}
			if msg := rec.Header().Get(mockserver.MessageHeader); msg != p.Detail {
				t.Errorf("%s %q, want the detail %q", mockserver.MessageHeader, msg, p.Detail)
			}
			if n := len(h.sessions().Sessions); n != 0 {
				t.Errorf("the refused request was served: %d sessions", n)
			}
		})
	}
}
