package storetest

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authconform/authconform/mockserver/clock"
	"github.com/authconform/authconform/mockserver/store"
)

// testClock: the zero State until one is saved; the saved one back, times exact.
func testClock(t *testing.T, st store.Store, _ *clock.Controlled) {
	ctx := context.Background()
	if got := must(st.Clock(ctx)); got != (clock.State{}) {
		t.Errorf("a new store's clock: %+v, want not moved", got)
	}
	want := clock.State{Moved: true, At: T0.Add(25 * time.Hour).Add(123 * time.Nanosecond), Anchor: T0}
	check(t, st.SaveClock(ctx, want))
	got := must(st.Clock(ctx))
	if !got.Moved || !got.At.Equal(want.At) || !got.Anchor.Equal(want.Anchor) {
		t.Errorf("the clock saved: %+v, read back: %+v", want, got)
	}
	check(t, st.SaveClock(ctx, clock.State{}))
	if got := must(st.Clock(ctx)); got.Moved {
		t.Errorf("after saving real time the clock is still moved: %+v", got)
	}
}

// testSigningKeys: the first key stored for a scope is the one every later caller gets, also
// when many race; scopes have their own.
func testSigningKeys(t *testing.T, st store.Store, _ *clock.Controlled) {
	ctx := context.Background()
	var wg sync.WaitGroup
	got := make([][]byte, 8)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i] = must(st.SigningKey(ctx, "a", []byte{byte('A' + i)}))
		}()
	}
	wg.Wait()
	for i := range got {
		if !bytes.Equal(got[i], got[0]) {
			t.Fatalf("racing callers got different keys: %q and %q", got[0], got[i])
		}
	}
	if k := must(st.SigningKey(ctx, "a", []byte("later"))); !bytes.Equal(k, got[0]) {
		t.Errorf("a later caller got %q, want the first key %q", k, got[0])
	}
	if k := must(st.SigningKey(ctx, "b", []byte("b's"))); string(k) != "b's" {
		t.Errorf("scope b got %q, want its own key", k)
	}
}

// testOpaqueTokens: a token's claims back, per scope; an unknown token is not found.
func testOpaqueTokens(t *testing.T, st store.Store, _ *clock.Controlled) {
	ctx := context.Background()
	check(t, st.PutToken(ctx, "a", "tok", []byte(`{"sub":"alice"}`), T0.Add(time.Hour)))
	if c, ok := must2(st.Token(ctx, "a", "tok")); !ok || string(c) != `{"sub":"alice"}` {
		t.Errorf("Token(a, tok) = %q, %v", c, ok)
	}
	if _, ok := must2(st.Token(ctx, "b", "tok")); ok {
		t.Error("a token of scope a is found in scope b")
	}
	if _, ok := must2(st.Token(ctx, "a", "other")); ok {
		t.Error("a token never put is found")
	}
}

// testAccounts: none saved until the admin API changes one; a saved list back; nil forgets it.
func testAccounts(t *testing.T, st store.Store, _ *clock.Controlled) {
	ctx := context.Background()
	if _, ok := must2(st.Accounts(ctx, "a")); ok {
		t.Error("a new store has accounts saved")
	}
	check(t, st.SaveAccounts(ctx, "a", []byte(`[{"ID":"alice"}]`)))
	if l, ok := must2(st.Accounts(ctx, "a")); !ok || string(l) != `[{"ID":"alice"}]` {
		t.Errorf("Accounts(a) = %q, %v", l, ok)
	}
	if _, ok := must2(st.Accounts(ctx, "b")); ok {
		t.Error("scope b has scope a's accounts")
	}
	check(t, st.SaveAccounts(ctx, "a", nil))
	if _, ok := must2(st.Accounts(ctx, "a")); ok {
		t.Error("SaveAccounts(nil) did not forget the list")
	}
}

// testAccountsIf: SaveAccountsIf saves over the list it was given (none, then a saved one) and
// refuses, saving nothing, when the saved list is another; nil forgets the list. Two concurrent
// changes each retried until saved are both kept.
func testAccountsIf(t *testing.T, st store.Store, _ *clock.Controlled) {
	ctx := context.Background()
	one, two := []byte(`["alice"]`), []byte(`["alice","bob"]`)
	if ok := must(st.SaveAccountsIf(ctx, "a", one, two)); ok {
		t.Error("saved over a list that was never saved")
	}
	if ok := must(st.SaveAccountsIf(ctx, "a", nil, one)); !ok {
		t.Error("not saved over no list")
	}
	if ok := must(st.SaveAccountsIf(ctx, "a", nil, two)); ok {
		t.Error("saved as if none were saved, over a saved list")
	}
	if ok := must(st.SaveAccountsIf(ctx, "a", []byte(`["bob"]`), two)); ok {
		t.Error("saved over another list than the saved one")
	}
	if l, _ := must2(st.Accounts(ctx, "a")); string(l) != string(one) {
		t.Errorf("after refused saves: %q, want %q", l, one)
	}
	if ok := must(st.SaveAccountsIf(ctx, "a", one, two)); !ok {
		t.Error("not saved over the saved list")
	}
	if l, _ := must2(st.Accounts(ctx, "a")); string(l) != string(two) {
		t.Errorf("Accounts(a) = %q, want %q", l, two)
	}
	if _, ok := must2(st.Accounts(ctx, "b")); ok {
		t.Error("scope b has scope a's accounts")
	}
	if ok := must(st.SaveAccountsIf(ctx, "a", two, nil)); !ok {
		t.Error("not forgotten")
	}
	if _, ok := must2(st.Accounts(ctx, "a")); ok {
		t.Error("SaveAccountsIf(nil) did not forget the list")
	}

	// Each of n writers appends its name, reading again until its save is not refused.
	const n = 8
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			for range 1000 {
				cur, saved := must2(st.Accounts(ctx, "c"))
				next := []byte(fmt.Sprintf("%s,%d", cur, i))
				if !saved {
					cur = nil
				}
				if must(st.SaveAccountsIf(ctx, "c", cur, next)) {
					return
				}
			}
			t.Error("a writer never saved")
		})
	}
	wg.Wait()
	l, _ := must2(st.Accounts(ctx, "c"))
	if got := strings.Count(string(l), ","); got != n {
		t.Errorf("the concurrent writers left %q: %d of %d appends", l, got, n)
	}
}

// testResetShared: Reset forgets the clock, signing keys, opaque tokens and saved accounts.
func testResetShared(t *testing.T, st store.Store, _ *clock.Controlled) {
	ctx := context.Background()
	check(t, st.SaveClock(ctx, clock.State{Moved: true, At: T0, Anchor: T0}))
	_ = must(st.SigningKey(ctx, "a", []byte("old")))
	check(t, st.PutToken(ctx, "a", "tok", []byte(`{}`), T0.Add(time.Hour)))
	check(t, st.SaveAccounts(ctx, "a", []byte(`[]`)))
	check(t, st.Reset(ctx))
	if c := must(st.Clock(ctx)); c.Moved {
		t.Error("the clock stayed moved after Reset")
	}
	if k := must(st.SigningKey(ctx, "a", []byte("new"))); string(k) != "new" {
		t.Errorf("the signing key survived Reset: %q", k)
	}
	if _, ok := must2(st.Token(ctx, "a", "tok")); ok {
		t.Error("an opaque token survived Reset")
	}
	if _, ok := must2(st.Accounts(ctx, "a")); ok {
		t.Error("saved accounts survived Reset")
	}
}

func must2[V any](v V, ok bool, err error) (V, bool) {
	if err != nil {
		panic("the store failed: " + err.Error())
	}
	return v, ok
}

// Replicas are two handles on one shared store, as two replicas of the mock hold them.
type Replicas func(t *testing.T, c clock.Clock) (a, b store.Store)

// RunReplicas runs the tests of stores shared by replicas: what one writes the other reads at
// once, and a change one announces reaches the other's Watch (and not its own).
func RunReplicas(t *testing.T, newPair Replicas) {
	t.Run("state is shared", func(t *testing.T) {
		a, b := newPair(t, clock.At(T0))
		ctx := context.Background()
		check(t, a.RevokeSession(ctx, "s", "sid", T0.Add(time.Hour)))
		if !must(b.Revoked(ctx, "s", "sid")) {
			t.Error("a session revoked on a is not revoked on b")
		}
		if !must(a.UseRefresh(ctx, "s", "j", T0.Add(time.Hour))) || must(b.UseRefresh(ctx, "s", "j", T0.Add(time.Hour))) {
			t.Error("a refresh token was used on both replicas")
		}
		ka := must(a.SigningKey(ctx, "s", []byte("a's")))
		if kb := must(b.SigningKey(ctx, "s", []byte("b's"))); !bytes.Equal(ka, kb) {
			t.Errorf("the replicas sign with different keys: %q and %q", ka, kb)
		}
	})
	t.Run("changes are announced to the others", func(t *testing.T) {
		a, b := newPair(t, clock.At(T0))
		got := make(chan store.Change, 4)
		stopA := a.Watch(func(c store.Change) { got <- c })
		defer stopA()
		seen := make(chan store.Change, 4)
		stopB := b.Watch(func(c store.Change) { seen <- c })
		defer stopB()
		want := store.Change{What: store.ChangedAccounts, Scope: "s"}
		deadline := time.After(5 * time.Second)
		// A subscription may take a moment to be in place: announce until b hears it.
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for heard := false; !heard; {
			check(t, a.Announce(context.Background(), want))
			select {
			case c := <-seen:
				if c != want {
					t.Fatalf("b heard %+v, want %+v", c, want)
				}
				heard = true
			case <-tick.C:
			case <-deadline:
				t.Fatal("b never heard a's change")
			}
		}
		select {
		case c := <-got:
			t.Errorf("a heard its own change: %+v", c)
		case <-time.After(200 * time.Millisecond):
		}
	})
}

// testFaults: faults are numbered, taken first queued first per operation, each for its count of
// calls, bounded, listed and cleared; Reset empties the queue but never reuses an id.
func testFaults(t *testing.T, st store.Store, _ *clock.Controlled) {
	ctx := context.Background()
	queue := func(spec, op string, n int, data string) store.Fault {
		t.Helper()
		f, err := st.QueueFault(ctx, store.Fault{Spec: spec, Operation: op, Remaining: n, Data: []byte(data)}, 3)
		check(t, err)
		return f
	}
	f1 := queue("a", "POST /login", 2, "first")
	f2 := queue("a", "POST /login", 1, "second")
	f3 := queue("b", "POST /login", 1, "other spec")
	if f1.ID == 0 || f1.ID == f2.ID || f2.ID == f3.ID {
		t.Errorf("fault ids %d, %d, %d: want distinct, non-zero", f1.ID, f2.ID, f3.ID)
	}
	if _, err := st.QueueFault(ctx, store.Fault{Spec: "a", Operation: "x", Remaining: 1}, 3); err != store.ErrQueueFull {
		t.Errorf("a fourth fault in a queue of 3: %v, want ErrQueueFull", err)
	}
	take := func(spec, op string) string {
		f, ok, _, err := st.TakeFault(ctx, spec, op)
		check(t, err)
		if !ok {
			return "none"
		}
		return string(f.Data)
	}
	var got []string
	for range 4 {
		got = append(got, take("a", "POST /login"))
	}
	if want := "[first first second none]"; fmt.Sprint(got) != want {
		t.Errorf("takes of a's login: %v, want %s", got, want)
	}
	if list := must(st.Faults(ctx)); len(list) != 1 || list[0].ID != f3.ID {
		t.Errorf("left in the queue: %+v, want fault %d alone", list, f3.ID)
	}
	if _, _, left, _ := st.TakeFault(ctx, "b", "GET /other"); left != 1 {
		t.Errorf("left after a take that found nothing: %d, want 1", left)
	}
	check(t, st.ClearFaults(ctx))
	if list := must(st.Faults(ctx)); len(list) != 0 {
		t.Errorf("after ClearFaults: %+v", list)
	}
	queue("a", "x", 1, "")
	check(t, st.Reset(ctx))
	if list := must(st.Faults(ctx)); len(list) != 0 {
		t.Errorf("after Reset: %+v", list)
	}
	if f := queue("a", "x", 1, ""); f.ID <= f3.ID {
		t.Errorf("an id after Reset: %d, not above the earlier %d", f.ID, f3.ID)
	}
}
