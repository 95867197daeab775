package mockserver

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The soak test: concurrent clients over loopback, every flow of every bundled spec mixed with bad
// input, for a bounded time and a bounded number of requests. Run under -race (make test does) it
// proves there is no data race on these paths; it also checks that the goroutine count comes back
// to its baseline, the heap grows within soakHeapBound plus soakHeapPerRequest per request, and the
// invariants hold throughout:
//   - no lost API key: a created key is listed to its owner and works until its owner deletes it;
//   - a revoked token is never accepted: after a logout, the session's access token is refused;
//   - a rotated refresh token is accepted exactly once, even when raced;
//   - a non-rotated refresh token keeps working; a deleted key never works again.
//
// By default it runs soakDefault; -soak=1m (go test ./mockserver -run Soak -soak=1m) or
// AUTHCONFORM_SOAK=1m runs it longer.

var soakFlag = flag.Duration("soak", 0, "run TestSoak this long (default "+soakDefault.String()+"; also AUTHCONFORM_SOAK)")

const (
	soakDefault         = 2 * time.Second
	soakWorkers         = 8
	soakRoundsPerSecond = 1000 // per worker and second of the run: bounds it in count as well as in time
	// Heap growth allowed over a run, after GC: a fixed part, and a part per request for what the
	// mock must remember (revocations and used refresh tokens until they expire, which on the
	// test's still clock they never do; sessions). About 80 bytes per request are measured.
	soakHeapBound      = 32 << 20
	soakHeapPerRequest = 512
	soakSlack          = 4 // goroutines allowed over the baseline once everything is closed
)

func soakDuration(t *testing.T) time.Duration {
	if *soakFlag > 0 {
		return *soakFlag
	}
	if v := os.Getenv("AUTHCONFORM_SOAK"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("AUTHCONFORM_SOAK=%q: %v", v, err)
		}
		return d
	}
	return soakDefault
}

// soakClient is one worker's client and what it has seen.
type soakClient struct {
	t      *testing.T
	base   string
	hc     *http.Client
	rnd    *rand.Rand
	id     int
	failed atomic.Bool
	calls  atomic.Int64 // requests sent (the raced refresh sends two at once)
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) field(name string) string {
	var m map[string]any
	_ = json.Unmarshal(a.body, &m)
	s, _ := m[name].(string)
	return s
}

func (c *soakClient) call(method, path, body string, kv ...string) answer {
	c.calls.Add(1)
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.fail("%s %s: %v", method, path, err)
		return answer{}
	}
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(kv); i += 2 {
		r.Header.Set(kv[i], kv[i+1])
	}
	res, err := c.hc.Do(r)
	if err != nil {
		c.fail("%s %s: %v", method, path, err)
		return answer{}
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 500 && !strings.HasPrefix(path, efalia) {
		c.fail("%s %s: %d %s", method, path, res.StatusCode, b)
	}
	if strings.Contains(string(b), "internal error") {
		c.fail("%s %s: internal error: %s", method, path, b)
	}
	return answer{status: res.StatusCode, header: res.Header, body: b}
}

// want fails the worker unless a has status; it reports the invariant broken.
func (c *soakClient) want(a answer, status int, invariant string) bool {
	if a.status != status {
		c.fail("%s: got %d, want %d (%s)", invariant, a.status, status, a.header.Get(MessageHeader))
		return false
	}
	return true
}

func (c *soakClient) fail(format string, args ...any) {
	if c.failed.CompareAndSwap(false, true) { // one report per worker: the rest would repeat it
		c.t.Errorf("worker %d: "+format, append([]any{c.id}, args...)...)
	}
}

// The scenarios: each runs one flow through to its invariant.

func (c *soakClient) efaliaFlow() {
	a := c.call("POST", efalia+"/auth/token", `{"username":"alice","password":"alice-password"}`)
	if !c.want(a, 200, "efalia login") {
		return
	}
	access, refresh := a.field("token"), a.field("refreshToken")
	c.want(c.call("GET", efalia+"/processes", "", "Authorization", "Bearer "+access), 200, "efalia fresh token accepted")
	// Two refreshes with one rotated token, raced: exactly one wins.
	var wg sync.WaitGroup
	var res [2]answer
	for i := range res {
		wg.Go(func() { res[i] = c.call("POST", efalia+"/auth/refresh", `{"refreshToken":"`+refresh+`"}`) })
	}
	wg.Wait()
	wins := 0
	var next answer
	for _, r := range res {
		if r.status == 200 {
			wins++
			next = r
		}
	}
	if wins != 1 {
		c.fail("a rotated refresh token was accepted %d times, want exactly once (%d, %d)", wins, res[0].status, res[1].status)
		return
	}
	c.want(c.call("POST", efalia+"/auth/refresh", `{"refreshToken":"`+refresh+`"}`), 555, "a used refresh token is refused")
	newAccess := next.field("token")
	c.want(c.call("POST", efalia+"/auth/logout", "", "Authorization", "Bearer "+newAccess), 200, "efalia logout")
	for range 2 {
		c.want(c.call("GET", efalia+"/processes", "", "Authorization", "Bearer "+newAccess), 401, "a revoked token is never accepted")
		c.want(c.call("GET", efalia+"/processes", "", "Authorization", "Bearer "+access), 401, "a revoked session's first token is never accepted")
	}
	c.want(c.call("POST", efalia+"/auth/refresh", `{"refreshToken":"`+next.field("refreshToken")+`"}`), 555, "a logged-out session cannot refresh")
	// The API key of the spec's account works, with and without impersonation.
	c.want(c.call("GET", efalia+"/processes", "", "X-API-KEY", "efalia-demo-key", "X-API-KEY-IMPERSONATE", "bob"), 200, "efalia API key")
}

func (c *soakClient) pixfileFlow() {
	a := c.call("POST", "/api/v2/login", `{"username":"user","password":"pass"}`)
	if !c.want(a, 200, "pixfile login") {
		return
	}
	tok := a.header.Get("X-Auth-Token")
	c.want(c.call("GET", "/api/v2/customers", "", "X-Auth-Token", tok), 200, "pixfile token accepted")
	c.want(c.call("GET", "/api/v1/login?username=user&password=pass", ""), 200, "pixfile v1 login")
	c.want(c.call("POST", "/api/v2/login", `{"username":"dave","password":"dave-password"}`), 403, "pixfile disabled account")
	c.want(c.call("POST", "/api/v2/login", `{"username":"user","password":"wrong"}`), 401, "pixfile wrong password")
}

func (c *soakClient) elyssaFlow() {
	a := c.call("POST", "/auth/login/", `{"companyId":"`+company1+`"}`)
	if !c.want(a, 200, "elyssa login") {
		return
	}
	access, refresh := a.field("accessToken"), a.field("refreshToken")
	c.want(c.call("GET", "/companies/me", "", "Authorization", "Bearer "+access, "x-company-id", company1), 200, "elyssa token accepted")
	c.want(c.call("GET", "/companies/me", "", "Authorization", "Bearer "+access, "x-company-id", company2), 401, "elyssa other company refused")
	for range 2 {
		r := c.call("POST", "/auth/refresh/", `{"refresh":"`+refresh+`"}`)
		if c.want(r, 200, "a non-rotated refresh token keeps working") {
			c.want(c.call("GET", "/companies/me", "", "Authorization", "Bearer "+r.field("accessToken"), "x-company-id", company1), 200, "elyssa refreshed token accepted")
		}
	}
}

func (c *soakClient) precrimeFlow() {
	a := c.call("POST", "/user/login", `{"username":"john.doe","password":"SecurePass123!"}`)
	if !c.want(a, 200, "precrime login") {
		return
	}
	bearer := "Bearer " + a.field("Token")
	name := fmt.Sprintf("soak-%d-%d", c.id, c.calls.Load())
	k := c.call("POST", "/authheader/add", `{"name":"`+name+`"}`, "Authorization", bearer)
	if !c.want(k, 200, "precrime key created") {
		return
	}
	key := k.field("token")
	for range 2 {
		l := c.call("GET", "/authheader/list", "", "Authorization", key)
		if c.want(l, 200, "a created key works") && !bytes.Contains(l.body, []byte(`"`+name+`"`)) {
			c.fail("no lost API key: %s is not listed to its owner", name)
		}
	}
	other := c.call("POST", "/user/login", `{"username":"jane.roe","password":"jane-password"}`)
	if c.want(other, 200, "precrime second login") {
		c.want(c.call("POST", "/authheader/delete", `{"text":"`+key+`"}`, "Authorization", "Bearer "+other.field("Token")), 404, "another account cannot delete the key")
	}
	c.want(c.call("POST", "/authheader/delete", `{"text":"`+key+`"}`, "Authorization", bearer), 200, "precrime key deleted")
	c.want(c.call("GET", "/authheader/list", "", "Authorization", key), 401, "a deleted key never works again")
	c.want(c.call("POST", "/authheader/delete", `{"text":"`+key+`"}`, "Authorization", bearer), 404, "a deleted key cannot be deleted twice")
}

// badFlow sends one bad request of a few kinds; each must be refused with a 4xx (or efalia's
// documented 555), never crash the mock.
func (c *soakClient) badFlow() {
	none := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"sub": "alice", "use": "access", "iss": "authconform/efalia"})
	noneTok, _ := none.SignedString(jwt.UnsafeAllowNoneSignatureType)
	bad := []func() answer{
		func() answer { return c.call("POST", "/user/login", `{"username":`) },
		func() answer { return c.call("POST", "/api/v2/login", `{"username":["x"],"password":{}}`) },
		func() answer {
			return c.call("GET", "/companies/me", "", "Authorization", "Bearer x.y.z", "x-company-id", company1)
		},
		func() answer { return c.call("GET", efalia+"/processes", "", "Authorization", "Bearer "+noneTok) },
		func() answer { return c.call("GET", efalia+"/processes", "", "Authorization", "Basic !!!") },
		func() answer { return c.call("BREW", "/api/v2/login", "") },
		func() answer { return c.call("GET", "/../../etc/passwd", "") },
		func() answer { return c.call("POST", "/auth/refresh/", `{"refresh":12}`) },
		func() answer {
			return c.call("POST", "/authheader/delete", `{"text":"ak_nothing"}`, "Authorization", "Bearer garbage")
		},
		func() answer { return c.call("POST", "/user/login", strings.Repeat("[", 20000)) },
	}
	a := bad[c.rnd.IntN(len(bad))]()
	if a.status != 0 && (a.status < 400 || a.status >= 500 && a.status != 555) {
		c.fail("a bad request got %d: %s", a.status, a.body)
	}
}

func TestSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("soak")
	}
	d := soakDuration(t)
	runtime.GC()
	baseline := runtime.NumGoroutine()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	h := newHarness(t)
	ts := httptest.NewServer(h.s)
	tr := &http.Transport{MaxIdleConnsPerHost: soakWorkers * 2, DisableCompression: true}
	flows := []func(*soakClient){(*soakClient).efaliaFlow, (*soakClient).pixfileFlow, (*soakClient).elyssaFlow, (*soakClient).precrimeFlow, (*soakClient).badFlow}
	deadline := time.Now().Add(d)
	maxRounds := soakRoundsPerSecond * max(1, int(d/time.Second))
	var wg sync.WaitGroup
	var total atomic.Int64
	clients := make([]*soakClient, soakWorkers)
	for i := range soakWorkers {
		c := &soakClient{t: t, base: ts.URL, hc: &http.Client{Transport: tr, Timeout: 30 * time.Second}, rnd: rand.New(rand.NewPCG(uint64(i), 7)), id: i}
		clients[i] = c
		wg.Go(func() {
			for round := 0; round < maxRounds && time.Now().Before(deadline) && !c.failed.Load(); round++ {
				flows[c.rnd.IntN(len(flows))](c)
			}
			total.Add(c.calls.Load())
		})
	}
	wg.Wait()

	// Nothing lost: every key a worker created was deleted by it, so none is left.
	probe := &soakClient{t: t, base: ts.URL, hc: &http.Client{Transport: tr}}
	a := probe.call("POST", "/user/login", `{"username":"john.doe","password":"SecurePass123!"}`)
	if l := probe.call("GET", "/authheader/list", "", "Authorization", "Bearer "+a.field("Token")); string(l.body) != "[]" {
		t.Errorf("keys left over after every worker deleted its own: %.300s", l.body)
	}

	ts.Close()
	tr.CloseIdleConnections()
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(h) // the mock's state (revocations, sessions, keys) counts: it must stay reachable
	bound := soakHeapBound + soakHeapPerRequest*total.Load()
	if grown := int64(after.HeapAlloc) - int64(before.HeapAlloc); grown > bound {
		t.Errorf("the heap grew by %d MB over %d requests; the bound is %d MB", grown>>20, total.Load(), bound>>20)
	}
	n := runtime.NumGoroutine()
	for end := time.Now().Add(5 * time.Second); n > baseline+soakSlack && time.Now().Before(end); n = runtime.NumGoroutine() {
		time.Sleep(20 * time.Millisecond)
	}
	if n > baseline+soakSlack {
		buf := make([]byte, 1<<20)
		t.Errorf("%d goroutines after the soak, baseline %d:\n%s", n, baseline, buf[:runtime.Stack(buf, true)])
	}
	t.Logf("%d requests by %d workers in %s; heap %+d KB; goroutines %d (baseline %d)", total.Load(), soakWorkers, d,
		(int64(after.HeapAlloc)-int64(before.HeapAlloc))>>10, n, baseline)
}
