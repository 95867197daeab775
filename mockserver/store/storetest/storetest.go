// Package storetest is the one test suite of the store interfaces: every implementation of
// store.Store (the memory store, the Redis store of package redisstore) runs Run against itself,
// so they all keep the same promises.
package storetest

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/authconform/authconform/mockserver/clock"
	"github.com/authconform/authconform/mockserver/store"
)

// T0 is the time the suite's clock stands at.
var T0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// New makes an empty store on a clock; the suite calls it once per test.
type New func(t *testing.T, c clock.Clock) store.Store

// Run runs every test of the suite against stores made by newStore.
func Run(t *testing.T, newStore New) {
	tests := []struct {
		name string
		fn   func(t *testing.T, st store.Store, c *clock.Controlled)
	}{
		{"generations", testGenerations},
		{"revocations", testRevocations},
		{"check answers generation and revocation at once", testCheck},
		{"refresh tokens are used once", testRefresh},
		{"revocations outlive clock moves", testClockMoves},
		{"api keys", testKeys},
		{"reset forgets everything", testReset},
		{"concurrent use", testConcurrent},
		{"clock", testClock},
		{"signing keys: the first stored wins", testSigningKeys},
		{"opaque tokens", testOpaqueTokens},
		{"accounts", testAccounts},
		{"accounts saved only over the list read", testAccountsIf},
		{"reset forgets the shared state", testResetShared},
		{"fault queue", testFaults},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := clock.At(T0)
			tc.fn(t, newStore(t, c), c)
		})
	}
}

// must returns v, and fails the test (by a panic, which the test reports with its stack) when the
// store failed: the memory store never does, and a failing Redis store must not pass.
func must[V any](v V, err error) V {
	if err != nil {
		panic(fmt.Sprintf("the store failed: %v", err))
	}
	return v
}

func check(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// testGenerations: an account starts at generation 0, RevokeAccount moves it on, per scope.
func testGenerations(t *testing.T, st store.Store, _ *clock.Controlled) {
	ctx := context.Background()
	if g := must(st.Generation(ctx, "a", "alice")); g != 0 {
		t.Errorf("a new account is at generation %d", g)
	}
	check(t, st.RevokeAccount(ctx, "a", "alice"))
	check(t, st.RevokeAccount(ctx, "a", "alice"))
	if g := must(st.Generation(ctx, "a", "alice")); g != 2 {
		t.Errorf("after two revocations: generation %d, want 2", g)
	}
	if g := must(st.Generation(ctx, "b", "alice")); g != 0 {
		t.Errorf("another scope's account moved too: %d", g)
	}
	if g := must(st.Generation(ctx, "a", "bob")); g != 0 {
		t.Errorf("another account moved too: %d", g)
	}
}

// testRevocations: a revoked session stays revoked, in its scope only.
func testRevocations(t *testing.T, st store.Store, _ *clock.Controlled) {
	ctx := context.Background()
	if must(st.Revoked(ctx, "a", "s1")) {
		t.Error("a session no one revoked is revoked")
	}
	check(t, st.RevokeSession(ctx, "a", "s1", T0.Add(time.Hour)))
	if !must(st.Revoked(ctx, "a", "s1")) {
		t.Error("a revoked session is not revoked")
	}
	if must(st.Revoked(ctx, "b", "s1")) {
		t.Error("a session of another scope is revoked too")
	}
}

// testCheck: Check answers what Generation and Revoked answer, for any number of ids, per scope.
func testCheck(t *testing.T, st store.Store, _ *clock.Controlled) {
	ctx := context.Background()
	check(t, st.RevokeAccount(ctx, "a", "alice"))
	check(t, st.RevokeSession(ctx, "a", "jti-2", T0.Add(time.Hour)))
	for _, tc := range []struct {
		scope, account string
		ids            []string
		gen            uint64
		revoked        bool
	}{
		{"a", "alice", nil, 1, false},
		{"a", "alice", []string{"sid-1"}, 1, false},
		{"a", "alice", []string{"sid-1", "jti-2"}, 1, true},
		{"a", "alice", []string{"jti-2", "sid-1"}, 1, true},
		{"a", "bob", []string{"jti-2"}, 0, true},
		{"b", "alice", []string{"jti-2"}, 0, false},
	} {
		gen, revoked, err := st.Check(ctx, tc.scope, tc.account, tc.ids...)
		if err != nil || gen != tc.gen || revoked != tc.revoked {
			t.Errorf("Check(%s, %s, %v) = %d, %v, %v; want %d, %v", tc.scope, tc.account, tc.ids, gen, revoked, err, tc.gen, tc.revoked)
		}
	}
}

// testRefresh: a refresh token is used once, per scope.
func testRefresh(t *testing.T, st store.Store, _ *clock.Controlled) {
	ctx := context.Background()
	until := T0.Add(time.Hour)
	if !must(st.UseRefresh(ctx, "a", "j1", until)) {
		t.Error("the first use was refused")
	}
	if must(st.UseRefresh(ctx, "a", "j1", until)) {
		t.Error("the second use was accepted")
	}
	if !must(st.UseRefresh(ctx, "b", "j1", until)) {
		t.Error("the same jti in another scope was refused")
	}
}

// testClockMoves: the admin API moves the mock's clock anywhere, also back into a token's
// lifetime after its expiry, so a revocation or a used refresh token must not be forgotten when
// the mock's clock passes its expiry (the token would work again once the clock is set back).
func testClockMoves(t *testing.T, st store.Store, c *clock.Controlled) {
	ctx := context.Background()
	until := T0.Add(time.Hour)
	check(t, st.RevokeSession(ctx, "a", "s1", until))
	_ = must(st.UseRefresh(ctx, "a", "j1", until))
	c.Advance(30 * 24 * time.Hour)
	check(t, st.RevokeSession(ctx, "a", "s2", c.Now().Add(time.Hour))) // a write later on the clock
	_ = must(st.UseRefresh(ctx, "a", "j2", c.Now().Add(time.Hour)))
	c.Set(T0)
	if !must(st.Revoked(ctx, "a", "s1")) || !must(st.Revoked(ctx, "a", "s2")) {
		t.Error("a revocation was forgotten after the clock passed its expiry and came back")
	}
	if must(st.UseRefresh(ctx, "a", "j1", until)) || must(st.UseRefresh(ctx, "a", "j2", until)) {
		t.Error("a used refresh token was forgotten after the clock passed its expiry and came back")
	}
}

// testKeys: keys are listed per scope and account, oldest first, deleted only by their owner, and
// a key added again belongs to its new owner alone.
func testKeys(t *testing.T, st store.Store, _ *clock.Controlled) {
	ctx := context.Background()
	key := func(scope, account, token string, created time.Duration) store.APIKey {
		return store.APIKey{ID: "id-" + token, Scope: scope, AccountID: account, Token: token, Hash: store.KeyHash(token), Created: T0.Add(created)}
	}
	for _, k := range []store.APIKey{
		key("a", "alice", "k2", 2*time.Second),
		key("a", "alice", "k1", time.Second),
		key("a", "alice", "k3", time.Second), // same time as k1: ordered by id
		key("a", "bob", "kb", 0),
		key("b", "alice", "other-spec", 0),
	} {
		check(t, st.AddKey(ctx, k))
	}
	ids := func(scope, account string) string {
		var out []string
		for _, k := range must(st.Keys(ctx, scope, account)) {
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
	if must(st.DeleteKey(ctx, "a", "bob", store.KeyHash("k1"))) {
		t.Error("bob deleted alice's key")
	}
	if !must(st.DeleteKey(ctx, "a", "alice", store.KeyHash("k1"))) || must(st.DeleteKey(ctx, "a", "alice", store.KeyHash("k1"))) {
		t.Error("alice could not delete her key exactly once")
	}
	if _, ok, err := st.KeyByHash(ctx, "a", store.KeyHash("k1")); err != nil || ok {
		t.Errorf("a deleted key is still found (%v)", err)
	}
	if k, ok, err := st.KeyByHash(ctx, "a", store.KeyHash("k2")); err != nil || !ok || k.AccountID != "alice" || k.Token != "k2" {
		t.Errorf("KeyByHash(k2) = %+v, %v, %v", k, ok, err)
	}
	named := store.APIKey{ID: "id-named", Scope: "a", AccountID: "carol", Name: "CI key: é ✓", Token: "kn", Hash: store.KeyHash("kn"), Created: T0.Add(90 * time.Minute)}
	check(t, st.AddKey(ctx, named))
	if k, ok, err := st.KeyByHash(ctx, "a", named.Hash); err != nil || !ok || k.ID != named.ID || k.Scope != "a" || k.AccountID != "carol" ||
		k.Name != named.Name || k.Token != "kn" || k.Hash != named.Hash || !k.Created.Equal(named.Created) {
		t.Errorf("KeyByHash(kn) = %+v, %v, %v; want every field as added: %+v", k, ok, err, named)
	}
	if _, ok, _ := st.KeyByHash(ctx, "b", store.KeyHash("k2")); ok {
		t.Error("a key of scope a is found in scope b")
	}
	check(t, st.AddKey(ctx, key("a", "bob", "k2", 3*time.Second))) // the same key, now bob's
	if got := ids("a", "alice") + ids("a", "bob"); got != "[k3][kb k2]" {
		t.Errorf("after k2 moved to bob: %s, want [k3][kb k2]", got)
	}
}

// testReset: Reset forgets generations, revocations, used tokens and keys.
func testReset(t *testing.T, st store.Store, _ *clock.Controlled) {
	ctx := context.Background()
	until := T0.Add(time.Hour)
	check(t, st.RevokeAccount(ctx, "a", "alice"))
	check(t, st.RevokeSession(ctx, "a", "s1", until))
	_ = must(st.UseRefresh(ctx, "a", "j1", until))
	check(t, st.AddKey(ctx, store.APIKey{ID: "1", Scope: "a", AccountID: "alice", Token: "k", Hash: store.KeyHash("k"), Created: T0}))
	check(t, st.Reset(ctx))
	if g := must(st.Generation(ctx, "a", "alice")); g != 0 {
		t.Errorf("generation %d after Reset", g)
	}
	if must(st.Revoked(ctx, "a", "s1")) {
		t.Error("a revocation survived Reset")
	}
	if !must(st.UseRefresh(ctx, "a", "j1", until)) {
		t.Error("a used refresh token survived Reset")
	}
	if keys := must(st.Keys(ctx, "a", "alice")); len(keys) != 0 {
		t.Errorf("keys survived Reset: %v", keys)
	}
}

// testConcurrent: every method at once from many goroutines (run with -race); each refresh token
// is still used exactly once.
func testConcurrent(t *testing.T, st store.Store, _ *clock.Controlled) {
	ctx := context.Background()
	until := T0.Add(time.Hour)
	const workers, per = 8, 50
	var wg sync.WaitGroup
	var mu sync.Mutex
	firsts := map[string]int{}
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range per {
				jti := "j" + strconv.Itoa(i) // every worker tries every jti
				first, err := st.UseRefresh(ctx, "a", jti, until)
				if err != nil {
					t.Error(err)
					return
				}
				if first {
					mu.Lock()
					firsts[jti]++
					mu.Unlock()
				}
				id := strconv.Itoa(w) + "-" + strconv.Itoa(i)
				_ = st.RevokeSession(ctx, "a", id, until)
				_, _ = st.Revoked(ctx, "a", id)
				_ = st.RevokeAccount(ctx, "a", "alice")
				_, _ = st.Generation(ctx, "a", "alice")
				_, _, _ = st.Check(ctx, "a", "alice", id, jti)
				_ = st.AddKey(ctx, store.APIKey{ID: id, Scope: "a", AccountID: "w" + strconv.Itoa(w), Token: id, Hash: store.KeyHash(id), Created: T0})
				_, _ = st.Keys(ctx, "a", "w"+strconv.Itoa(w))
				_, _ = st.DeleteKey(ctx, "a", "w"+strconv.Itoa(w), store.KeyHash(id))
			}
		}()
	}
	wg.Wait()
	for i := range per {
		if n := firsts["j"+strconv.Itoa(i)]; n != 1 {
			t.Errorf("j%d was used for the first time %d times", i, n)
		}
	}
	if g := must(st.Generation(ctx, "a", "alice")); g != workers*per {
		t.Errorf("generation %d after %d revocations", g, workers*per)
	}
}
