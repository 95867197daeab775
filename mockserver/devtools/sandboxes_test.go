package devtools

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authconform/authconform/mockserver"
	"github.com/authconform/authconform/specs"
)

// sandboxMock serves pixfile with sandboxes, on a wall clock the test moves (for idle expiry).
type sandboxMock struct {
	t   testing.TB
	sb  *Sandboxes
	mu  sync.Mutex
	now time.Time
}

func newSandboxMock(t *testing.T, o SandboxOptions) *sandboxMock {
	return newSandboxMockOf(t, o, []string{"pixfile"})
}

// newSandboxMockOf serves the named bundled specs with sandboxes, built with opts.
func newSandboxMockOf(t testing.TB, o SandboxOptions, names []string, opts ...mockserver.Option) *sandboxMock {
	var list []*specs.Spec
	for _, n := range names {
		list = append(list, loadSpec(t, n))
	}
	live, err := NewLive(list, opts...)
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

// efalia logs alice of efalia in at prefix and returns her access and refresh tokens.
func (m *sandboxMock) efalia(prefix string) (access, refresh string) {
	m.t.Helper()
	rec, v := m.do(http.MethodPost, prefix+"/workey/api/auth/token", `{"username":"alice","password":"alice-password"}`)
	if rec.Code != http.StatusOK {
		m.t.Fatalf("efalia login at %q: %d %s", prefix, rec.Code, rec.Body)
	}
	return v["token"].(string), v["refreshToken"].(string)
}

// probe calls efalia's protected probe at prefix with the Authorization value and returns the status.
func (m *sandboxMock) probe(prefix, authorization string) int {
	rec, _ := m.do(http.MethodGet, prefix+"/workey/api/processes", "", "Authorization", authorization)
	return rec.Code
}

// refresh presents efalia's refresh token at prefix and returns the status (efalia rotates: a
// refresh token works once).
func (m *sandboxMock) refresh(prefix, token string) int {
	rec, _ := m.do(http.MethodPost, prefix+"/workey/api/auth/refresh", `{"refreshToken":"`+token+`"}`)
	return rec.Code
}

// TestSandboxRevocationsAreIsolated: a logout or a used refresh token in one sandbox revokes
// nothing in another, either way round. With the config's pinned signing key a token of sandbox
// A verifies in B too (pinning is for that), so the revocations alone tell them apart: the test
// holds the stores apart, not the keys. Alice's account-wide logout (Basic) in one sandbox leaves
// her sessions of the other working.
func TestSandboxRevocationsAreIsolated(t *testing.T) {
	pinned := mockserver.WithConfig(&mockserver.Config{Specs: map[string]*mockserver.SpecConfig{
		"efalia": {SigningKey: "a pinned key of thirty-two bytes!"}}})
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("alice:alice-password"))
	for _, tc := range []struct {
		name string
		opts []mockserver.Option
	}{
		{"random keys", nil},
		{"pinned key", []mockserver.Option{pinned}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newSandboxMockOf(t, SandboxOptions{}, []string{"efalia"}, tc.opts...)
			const a, b = "/__sandbox/a", "/__sandbox/b"
			accA, _ := m.efalia(a)
			accB, refB := m.efalia(b)
			accD, _ := m.efalia("")
			if got, want := m.probe(b, "Bearer "+accA), map[bool]int{true: 200, false: 401}[tc.opts != nil]; got != want {
				t.Fatalf("A's token in B before any logout: %d, want %d", got, want)
			}

			// A logs out with its bearer token and uses its refresh token.
			if rec, _ := m.do(http.MethodPost, a+"/workey/api/auth/logout", "", "Authorization", "Bearer "+accA); rec.Code != 200 {
				t.Fatalf("logout in A: %d %s", rec.Code, rec.Body)
			}
			if got := m.probe(a, "Bearer "+accA); got != 401 {
				t.Errorf("A's logged-out token in A: %d, want 401", got)
			}
			if tc.opts != nil {
				if got := m.probe(b, "Bearer "+accA); got != 200 {
					t.Errorf("A's logout revoked its token in B: %d, want 200 (the key is pinned, the revocation is A's)", got)
				}
			}
			for where, tok := range map[string]string{b: accB, "": accD} {
				if got := m.probe(where, "Bearer "+tok); got != 200 {
					t.Errorf("A's logout: the token of %q answers %d, want 200", where, got)
				}
			}
			_, refA2 := m.efalia(a)
			if got := m.refresh(a, refA2); got != 200 {
				t.Fatalf("refresh in A: %d", got)
			}
			if got := m.refresh(a, refA2); got == 200 {
				t.Error("a used refresh token worked again in A")
			}
			if tc.opts != nil {
				if got := m.refresh(b, refA2); got != 200 {
					t.Errorf("A's used refresh token in B: %d, want 200 (used in A only)", got)
				}
			}

			// The reverse: B ends every session of alice (Basic logout bumps her generation); her
			// session in A, opened before, lives on.
			accA3, refA3 := m.efalia(a)
			if got := m.probe(b, basic); got != 200 {
				t.Fatalf("Basic in B: %d", got)
			}
			if rec, _ := m.do(http.MethodPost, b+"/workey/api/auth/logout", "", "Authorization", basic); rec.Code != 200 {
				t.Fatalf("Basic logout in B: %d %s", rec.Code, rec.Body)
			}
			if got := m.probe(b, "Bearer "+accB); got != 401 {
				t.Errorf("alice's token in B after her logout in B: %d, want 401", got)
			}
			if got := m.refresh(b, refB); got == 200 {
				t.Error("alice's refresh token in B after her logout in B worked")
			}
			for _, c := range []struct {
				what  string
				where string
				tok   string
			}{
				{"A's token", a, accA3},
				{"the default's token", "", accD},
			} {
				if got := m.probe(c.where, "Bearer "+c.tok); got != 200 {
					t.Errorf("%s: %d, want 200", c.what, got)
				}
			}
			if got := m.refresh(a, refA3); got != 200 {
				t.Errorf("A's refresh token after B's logout: %d, want 200", got)
			}
		})
	}
}

// TestSandboxAccountsAreIsolated: an account disabled, added or whose password expired through
// one world's admin API is changed in that world alone: another sandbox, the default world, and a
// sandbox created after the change (built from the configured accounts, not from the default
// world's as changed) still see the spec's accounts.
func TestSandboxAccountsAreIsolated(t *testing.T) {
	const a, b, later = "/__sandbox/a", "/__sandbox/b", "/__sandbox/later"
	login := func(m *sandboxMock, prefix, user, pass string) int {
		rec, _ := m.do(http.MethodPost, prefix+"/api/v2/login", `{"username":"`+user+`","password":"`+pass+`"}`)
		return rec.Code
	}
	for _, tc := range []struct {
		name   string
		at     string // the world changed
		change string // an admin call there: path and body
		body   string
		user   string
		pass   string
		inAt   int // the account's login where it was changed
		others int // in every other world
	}{
		{"disable in A", a, "accounts/pixfile/carol/disable", "", "carol", "carol-password", 403, 200},
		{"expire the password in A", a, "accounts/pixfile/carol/expire-password", "", "carol", "carol-password", 403, 200},
		{"add in A", a, "accounts?spec=pixfile", `{"username":"erin","password":"erin-password"}`, "erin", "erin-password", 200, 401},
		{"disable in the default world", "", "accounts/pixfile/carol/disable", "", "carol", "carol-password", 403, 200},
		{"add in the default world", "", "accounts?spec=pixfile", `{"username":"erin","password":"erin-password"}`, "erin", "erin-password", 200, 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newSandboxMock(t, SandboxOptions{})
			_ = m.login(a) // A and B exist before the change
			_ = m.login(b)
			if rec, _ := m.do(http.MethodPost, tc.at+"/__authconform/"+tc.change, tc.body); rec.Code/100 != 2 {
				t.Fatalf("%s at %q: %d %s", tc.change, tc.at, rec.Code, rec.Body)
			}
			if got := login(m, tc.at, tc.user, tc.pass); got != tc.inAt {
				t.Errorf("%s's login at %q: %d, want %d", tc.user, tc.at, got, tc.inAt)
			}
			for _, where := range []string{a, b, "", later} {
				if where == tc.at {
					continue
				}
				if got := login(m, where, tc.user, tc.pass); got != tc.others {
					t.Errorf("%s's login at %q after the change at %q: %d, want %d", tc.user, where, tc.at, got, tc.others)
				}
				_, v := m.do(http.MethodGet, where+"/__authconform/accounts?spec=pixfile", "")
				if list, _ := v["accounts"].([]any); len(list) != 3 {
					t.Errorf("accounts at %q: %d, want the spec's 3", where, len(list))
				}
			}
		})
	}
}

// TestSandboxFaultsAreIsolated: a fault queued in A is taken by A's calls only: B's and the
// default world's calls to the same operation answer normally and leave it queued.
func TestSandboxFaultsAreIsolated(t *testing.T) {
	const a, b = "/__sandbox/a", "/__sandbox/b"
	m := newSandboxMock(t, SandboxOptions{})
	if rec, _ := m.do(http.MethodPost, a+"/__authconform/faults", `{"operation":"loginV2","count":1,"status":403}`); rec.Code != http.StatusCreated {
		t.Fatalf("queue a fault in A: %d %s", rec.Code, rec.Body)
	}
	for _, where := range []string{b, "", b} {
		m.login(where) // fails the test on anything but 200
		_, v := m.do(http.MethodGet, where+"/__authconform/faults", "")
		if list, _ := v["faults"].([]any); len(list) != 0 {
			t.Errorf("faults at %q: %v, want none", where, list)
		}
	}
	if _, v := m.do(http.MethodGet, a+"/__authconform/faults", ""); len(v["faults"].([]any)) != 1 {
		t.Errorf("A's fault was taken by another sandbox's calls: %v", v)
	}
	rec, _ := m.do(http.MethodPost, a+"/api/v2/login", `{"username":"user","password":"pass"}`)
	if rec.Code != http.StatusForbidden || !strings.Contains(rec.Header().Get(mockserver.MessageHeader), "queued fault") {
		t.Errorf("A's login with the fault queued: %d %q", rec.Code, rec.Header().Get(mockserver.MessageHeader))
	}
	m.login(a)
}

// TestSandboxJournalsAreIsolated: each sandbox's journal and session list hold its own requests
// and sessions alone.
func TestSandboxJournalsAreIsolated(t *testing.T) {
	const a, b = "/__sandbox/a", "/__sandbox/b"
	m := newSandboxMock(t, SandboxOptions{})
	login := func(prefix, user, pass string) {
		if rec, _ := m.do(http.MethodPost, prefix+"/api/v2/login", `{"username":"`+user+`","password":"`+pass+`"}`); rec.Code != 200 {
			t.Fatalf("login of %s at %q: %d", user, prefix, rec.Code)
		}
	}
	login(a, "carol", "carol-password")
	login(a, "carol", "carol-password")
	login(b, "user", "pass")
	m.do(http.MethodGet, "/__sandbox/c/__authconform/clock", "") // c exists, has served no spec request
	for _, tc := range []struct {
		where    string
		accounts []string // the accounts of its journal's entries and of its sessions
	}{
		{a, []string{"carol", "carol"}},
		{b, []string{"user"}},
		{"", nil},
		{"/__sandbox/c", nil},
	} {
		for _, view := range []struct{ path, list string }{{"journal", "entries"}, {"sessions", "sessions"}} {
			_, v := m.do(http.MethodGet, tc.where+"/__authconform/"+view.path, "")
			list, ok := v[view.list].([]any)
			if !ok {
				t.Fatalf("%s at %q: %v", view.path, tc.where, v)
			}
			var got []string
			for _, e := range list {
				acc, _ := e.(map[string]any)["account"].(string)
				got = append(got, acc)
			}
			if !slices.Equal(got, tc.accounts) {
				t.Errorf("%s at %q: accounts %q, want %q", view.path, tc.where, got, tc.accounts)
			}
		}
	}
}

// TestSandboxesConcurrent (run with -race): workers each in a sandbox of their own log in, call
// and move their clock, while one client keeps moving the default world's clock a day on and
// back and another creates, lists and deletes sandboxes. No worker's token may expire: only its
// own clock moves it, by half an hour a round.
func TestSandboxesConcurrent(t *testing.T) {
	m := newSandboxMock(t, SandboxOptions{})
	const workers, rounds = 6, 15
	done := make(chan struct{})
	var bg sync.WaitGroup
	bg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			default:
			}
			body := `{"advance":"25h"}`
			if i%2 == 1 {
				body = `{"set":"2026-05-01T09:00:00Z"}`
			}
			if rec, _ := m.do(http.MethodPost, "/__authconform/clock", body); rec.Code != 200 {
				t.Errorf("moving the default clock: %d", rec.Code)
				return
			}
		}
	})
	bg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			default:
			}
			id := fmt.Sprintf("churn-%d", i%3)
			m.do(http.MethodPost, "/__authconform/sandboxes", `{"id":"`+id+`"}`)
			m.do(http.MethodGet, "/__authconform/sandboxes", "")
			m.do(http.MethodDelete, "/__authconform/sandboxes/"+id, "")
		}
	})
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			prefix := fmt.Sprintf("/__sandbox/w%d", w)
			for r := range rounds {
				rec, _ := m.do(http.MethodPost, prefix+"/api/v2/login", `{"username":"user","password":"pass"}`)
				tok := rec.Header().Get("X-Auth-Token")
				if rec.Code != 200 || tok == "" {
					t.Errorf("worker %d round %d: login %d", w, r, rec.Code)
					return
				}
				for range 2 {
					if got := m.call(prefix, tok); got != 200 {
						t.Errorf("worker %d round %d: its token answered %d", w, r, got)
						return
					}
					if rec, _ := m.do(http.MethodPost, prefix+"/__authconform/clock", `{"advance":"30m"}`); rec.Code != 200 {
						t.Errorf("worker %d: moving its clock: %d", w, rec.Code)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(done)
	bg.Wait()
}

// TestSandboxBuiltOnce: requests arriving at once for a sandbox that does not exist yet get the
// one world the first of them creates (its world is built outside the lock): every token each
// got is accepted by the sandbox afterwards.
func TestSandboxBuiltOnce(t *testing.T) {
	m := newSandboxMock(t, SandboxOptions{})
	var wg sync.WaitGroup
	toks := make([]string, 8)
	for i := range toks {
		wg.Go(func() {
			rec, _ := m.do(http.MethodPost, "/__sandbox/new/api/v2/login", `{"username":"user","password":"pass"}`)
			toks[i] = rec.Header().Get("X-Auth-Token")
		})
	}
	wg.Wait()
	for i, tok := range toks {
		if got := m.call("/__sandbox/new", tok); got != 200 {
			t.Errorf("token %d of the requests at once: %d, want 200 (a world built twice?)", i, got)
		}
	}
	_, v := m.do(http.MethodGet, "/__authconform/sandboxes", "")
	if list, _ := v["sandboxes"].([]any); len(list) != 1 {
		t.Errorf("sandboxes: %v", v)
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
