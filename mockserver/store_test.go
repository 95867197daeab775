package mockserver

import (
	"fmt"
	"strconv"
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
