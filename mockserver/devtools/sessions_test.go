package devtools

import (
	"fmt"
	"testing"
	"time"

	"github.com/authconform/authconform/mockserver/tokens"
)

// TestSessionRegistryBoundsAndOrder: the registry keeps at most its limit, forgets the oldest
// first, lists newest first, counts reissues, and sweeps the long expired, across many rounds
// of its insertion queue being reclaimed.
func TestSessionRegistryBoundsAndOrder(t *testing.T) {
	r := newSessionRegistry(5)
	now := t0
	tok := func(n int, life time.Duration) tokens.Issued {
		return tokens.Issued{Token: fmt.Sprintf("token-%d-%s", n, "padding-to-be-redacted"), JTI: fmt.Sprint("j", n), Expires: now.Add(life)}
	}
	for n := range 1000 {
		r.record("spec", "access", "alice", fmt.Sprint("s", n), 0, tok(n, time.Hour), now)
		if got := r.len(); got > 5 {
			t.Fatalf("after %d logins the registry holds %d sessions, limit 5", n+1, got)
		}
	}
	list := r.list(now)
	if len(list) != 5 {
		t.Fatalf("listed %d sessions, want 5", len(list))
	}
	for i, s := range list {
		if want := fmt.Sprint("s", 999-i); s.ID != want {
			t.Errorf("list[%d] = %s, want %s (newest first)", i, s.ID, want)
		}
	}
	if r.head > 2*5+1 || len(r.order) > 4*5 {
		t.Errorf("insertion queue not reclaimed: head %d, len %d", r.head, len(r.order))
	}

	// A refresh of a listed session counts as a reissue and keeps its place.
	r.record("spec", "refresh", "alice", "s997", 0, tok(1, 24*time.Hour), now)
	r.record("spec", "refresh", "alice", "s997", 0, tok(2, 24*time.Hour), now)
	s, ok := r.get("spec", "s997")
	if !ok || s.Refresh == nil || s.Refresh.Reissued != 1 || s.Access == nil || s.Access.Reissued != 0 {
		t.Fatalf("s997 = %+v, %v; want a refresh token reissued once", s, ok)
	}
	if got := r.find("s997"); len(got) != 1 || got[0].Spec != "spec" {
		t.Errorf("find(s997) = %+v", got)
	}

	// Past expiry plus sessionKeepExpired, only the session with a refresh token is still listed.
	later := now.Add(time.Hour + sessionKeepExpired + time.Minute)
	if list := r.list(later); len(list) != 1 || list[0].ID != "s997" {
		t.Fatalf("after the sweep: %+v, want only s997", list)
	}
	now = later
	r.record("spec", "access", "bob", "new", 0, tok(3, time.Hour), later)
	if list := r.list(later); len(list) != 2 || list[0].ID != "new" {
		t.Fatalf("after a new login: %+v", list)
	}
	r.clear()
	if r.len() != 0 || len(r.list(later)) != 0 {
		t.Error("clear left sessions")
	}
}
