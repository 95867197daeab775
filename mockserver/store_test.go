package mockserver

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestMemStoreKeys: keys are listed per spec and account, oldest first, deleted only by their
// owner, and a key added again belongs to its new owner alone.
func TestMemStoreKeys(t *testing.T) {
	st := newMemStore(NewClockAt(t0))
	key := func(scope, account, token string, created time.Duration) APIKey {
		return APIKey{ID: "id-" + token, Scope: scope, AccountID: account, Token: token, Hash: keyHash(token), Created: t0.Add(created)}
	}
	st.AddKey(key("a", "alice", "k2", 2*time.Second))
	st.AddKey(key("a", "alice", "k1", time.Second))
	st.AddKey(key("a", "alice", "k3", time.Second)) // same time as k1: ordered by id
	st.AddKey(key("a", "bob", "kb", 0))
	st.AddKey(key("b", "alice", "other-spec", 0))

	ids := func(scope, account string) string {
		var out []string
		for _, k := range st.Keys(scope, account) {
			out = append(out, k.Token)
		}
		return fmt.Sprint(out)
	}
	if got := ids("a", "alice"); got != "[k1 k3 k2]" {
		t.Errorf("alice's keys in a: %s, want [k1 k3 k2]", got)
	}
	if got := ids("b", "alice"); got != "[other-spec]" {
		t.Errorf("alice's keys in b: %s", got)
	}
	if got := ids("a", "nobody"); got != "[]" {
		t.Errorf("nobody's keys: %s", got)
	}
	if st.DeleteKey("a", "bob", keyHash("k1")) {
		t.Error("bob deleted alice's key")
	}
	if !st.DeleteKey("a", "alice", keyHash("k1")) || st.DeleteKey("a", "alice", keyHash("k1")) {
		t.Error("alice could not delete her key exactly once")
	}
	if _, ok := st.KeyByHash("a", keyHash("k1")); ok {
		t.Error("a deleted key is still found")
	}
	if k, ok := st.KeyByHash("a", keyHash("k2")); !ok || k.AccountID != "alice" {
		t.Errorf("KeyByHash(k2) = %+v, %v", k, ok)
	}
	st.AddKey(key("a", "bob", "k2", 3*time.Second)) // the same key, now bob's
	if got := ids("a", "alice") + ids("a", "bob"); got != "[k3][kb k2]" {
		t.Errorf("after k2 moved to bob: %s, want [k3][kb k2]", got)
	}
	st.DeleteKey("a", "alice", keyHash("k3"))
	if len(st.owned) != 2 { // a/bob, b/alice, and no empty list left for a/alice
		t.Errorf("owner lists: %v", st.owned)
	}
	st.Reset()
	if got := ids("a", "bob"); got != "[]" || len(st.keys) != 0 || len(st.owned) != 0 {
		t.Errorf("after Reset: %s, %d keys", got, len(st.keys))
	}
}

// BenchmarkStore is what a request asks of the store: the account's generation and a session's
// revocation on every protected call, a refresh token's use on every rotating refresh, a
// revocation on every logout.
func BenchmarkStore(b *testing.B) {
	st := newMemStore(NewClockAt(t0))
	until := t0.Add(time.Hour)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		n++
		id := strconv.Itoa(n)
		_ = st.Generation("spec", "alice")
		_ = st.Revoked(id)
		st.UseRefresh("jti-"+id, until)
		st.RevokeSession("sid-"+id, until)
	}
}

// TestRevocationsSurviveClockTravel: a used refresh token and a logged-out session stay refused
// after the clock goes far forward, the store grows past its sweep size there, and the clock
// comes back ("past refresh expiry" then "back to real time" on the dashboard). Before, the sweep
// forgot both and they worked again.
func TestRevocationsSurviveClockTravel(t *testing.T) {
	cases := []struct {
		name string
		back string // POST body of the move back; "" for clock/reset
	}{
		{name: "back to real time", back: ""},
		{name: "set back", back: `{"set":"2026-03-01T12:00:30Z"}`},
		{name: "advance back", back: `{"advance":"-400d"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, "efalia")
			_, used := h.efaliaTokens("alice", "alice-password")
			h.expect(h.do(h.req("POST", "/workey/api/auth/refresh", `{"refreshToken":"`+used+`"}`)), 200) // used up
			out, outRefresh := h.efaliaTokens("bob", "bob-password")
			h.expect(h.do(h.req("POST", "/workey/api/auth/logout", "", "Authorization", "Bearer "+out)), 200)

			h.admin("POST", "clock", `{"advance":"400d"}`, 200) // far past every lifetime and the sweep margin
			for i := range 2 * minSweep {                       // grow the store past its sweep size, on the moved clock
				h.s.store.UseRefresh("filler-"+strconv.Itoa(i), h.s.clock.Now().Add(time.Hour))
			}
			h.s.store.RevokeSession("filler", h.s.clock.Now().Add(time.Hour))

			if tc.back == "" {
				h.admin("POST", "clock/reset", "", 200)
			} else {
				h.admin("POST", "clock", tc.back, 200)
			}
			if now := h.s.clock.Now(); now.Before(t0) || now.After(t0.Add(time.Minute)) {
				t.Fatalf("the clock is at %s, not back", now)
			}
			rec := h.do(h.req("POST", "/workey/api/auth/refresh", `{"refreshToken":"`+used+`"}`))
			h.expect(rec, 555)
			if !strings.Contains(rec.Header().Get(MessageHeader), "already been used") {
				t.Errorf("the used refresh token: %q", rec.Header().Get(MessageHeader))
			}
			h.expect(h.do(h.req("GET", "/workey/api/processes", "", "Authorization", "Bearer "+out)), 401)
			h.expect(h.do(h.req("POST", "/workey/api/auth/refresh", `{"refreshToken":"`+outRefresh+`"}`)), 555)
		})
	}
}

// forwardClock is a Clock the admin API cannot set.
type forwardClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *forwardClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

// TestMemStoreSweeps: on a clock that cannot be set, entries a day past their expiry are
// forgotten once the store reaches its sweep size, and live ones stay; on one that can, nothing
// is forgotten.
func TestMemStoreSweeps(t *testing.T) {
	cases := []struct {
		name      string
		clock     Clock
		move      func(Clock)
		wantSwept bool
	}{
		{name: "a clock that cannot be set", clock: &forwardClock{now: t0}, wantSwept: true,
			move: func(c Clock) {
				fc := c.(*forwardClock)
				fc.mu.Lock()
				fc.now = fc.now.Add(48 * time.Hour)
				fc.mu.Unlock()
			}},
		{name: "a clock that can", clock: NewClockAt(t0), wantSwept: false,
			move: func(c Clock) { c.(*ControlledClock).Advance(48 * time.Hour) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := newMemStore(tc.clock)
			for i := range minSweep - 2 { // with the two sessions, the next insert sweeps
				st.UseRefresh("old-"+strconv.Itoa(i), t0.Add(time.Hour))
			}
			st.RevokeSession("old-session", t0.Add(time.Hour))
			st.RevokeSession("live-session", t0.Add(72*time.Hour))
			tc.move(tc.clock)
			st.UseRefresh("trigger", tc.clock.Now().Add(time.Hour))
			swept := len(st.used)+len(st.revoked) < minSweep
			if swept != tc.wantSwept {
				t.Errorf("%d entries left, swept %v, want %v", len(st.used)+len(st.revoked), swept, tc.wantSwept)
			}
			if !st.Revoked("live-session") || st.UseRefresh("trigger", t0) {
				t.Error("a live entry was forgotten")
			}
			if st.Revoked("old-session") == tc.wantSwept {
				t.Errorf("old session revoked %v", st.Revoked("old-session"))
			}
		})
	}
}
