package store

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/authconform/authconform/mockserver/clock"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// TestMemoryKeysLeaveNoEmptyLists: deleting an account's last key drops its list.
func TestMemoryKeysLeaveNoEmptyLists(t *testing.T) {
	ctx := context.Background()
	st := NewMemory(clock.At(t0))
	_ = st.AddKey(ctx, APIKey{ID: "1", Scope: "a", AccountID: "alice", Token: "k", Hash: KeyHash("k"), Created: t0})
	_ = st.AddKey(ctx, APIKey{ID: "2", Scope: "a", AccountID: "bob", Token: "k", Hash: KeyHash("k"), Created: t0}) // moves to bob
	if _, ok := st.owned[scoped{"a", "alice"}]; ok || len(st.owned) != 1 {
		t.Errorf("owner lists: %v", st.owned)
	}
	if ok, _ := st.DeleteKey(ctx, "a", "bob", KeyHash("k")); !ok || len(st.owned) != 0 {
		t.Errorf("after the last delete: %v", st.owned)
	}
}

// forwardClock is a Clock the admin API cannot set.
type forwardClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *forwardClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

// TestMemorySweeps: on a clock that cannot be set, entries a day past their expiry are forgotten
// once the store reaches its sweep size, and live ones stay; on one that can, nothing is
// forgotten.
func TestMemorySweeps(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name      string
		clock     clock.Clock
		move      func(clock.Clock)
		wantSwept bool
	}{
		{name: "a clock that cannot be set", clock: &forwardClock{now: t0}, wantSwept: true,
			move: func(c clock.Clock) {
				fc := c.(*forwardClock)
				fc.mu.Lock()
				fc.now = fc.now.Add(48 * time.Hour)
				fc.mu.Unlock()
			}},
		{name: "a clock that can", clock: clock.At(t0), wantSwept: false,
			move: func(c clock.Clock) { c.(*clock.Controlled).Advance(48 * time.Hour) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := NewMemory(tc.clock)
			for i := range MinSweep - 2 { // with the two sessions, the next insert sweeps
				_, _ = st.UseRefresh(ctx, "s", "old-"+strconv.Itoa(i), t0.Add(time.Hour))
			}
			_ = st.RevokeSession(ctx, "s", "old-session", t0.Add(time.Hour))
			_ = st.RevokeSession(ctx, "s", "live-session", t0.Add(72*time.Hour))
			tc.move(tc.clock)
			_, _ = st.UseRefresh(ctx, "s", "trigger", tc.clock.Now().Add(time.Hour))
			swept := st.Len() < MinSweep
			if swept != tc.wantSwept {
				t.Errorf("%d entries left, swept %v, want %v", st.Len(), swept, tc.wantSwept)
			}
			live, _ := st.Revoked(ctx, "s", "live-session")
			again, _ := st.UseRefresh(ctx, "s", "trigger", t0)
			if !live || again {
				t.Error("a live entry was forgotten")
			}
			if old, _ := st.Revoked(ctx, "s", "old-session"); old == tc.wantSwept {
				t.Errorf("old session revoked %v", old)
			}
		})
	}
}

// BenchmarkStore is what a request asks of the store: the account's generation and a session's
// revocation on every protected call, a refresh token's use on every rotating refresh, a
// revocation on every logout.
func BenchmarkStore(b *testing.B) {
	ctx := context.Background()
	st := NewMemory(clock.At(t0))
	until := t0.Add(time.Hour)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		n++
		id := strconv.Itoa(n)
		_, _ = st.Generation(ctx, "spec", "alice")
		_, _ = st.Revoked(ctx, "spec", id)
		_, _ = st.UseRefresh(ctx, "spec", "jti-"+id, until)
		_ = st.RevokeSession(ctx, "spec", "sid-"+id, until)
	}
}
