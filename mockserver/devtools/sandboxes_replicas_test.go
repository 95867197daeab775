package devtools

import (
	"net/http"
	"testing"
	"time"

	"github.com/authconform/authconform/mockserver/store/storetest"
	"github.com/authconform/authconform/specs"
)

// replicaSandboxMocks are n mocks with sandboxes on one shared backend (in-process replicas), on
// one wall clock the test moves.
func replicaSandboxMocks(t *testing.T, n int, o SandboxOptions) (wall *sandboxMock, _ []*sandboxMock) {
	sp, err := specs.Load("pixfile")
	if err != nil {
		t.Fatal(err)
	}
	backends := storetest.SharedBackends(n)
	wall = &sandboxMock{now: time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)}
	out := make([]*sandboxMock, n)
	for i := range out {
		live, err := NewLiveOn(backends[i], []*specs.Spec{sp})
		if err != nil {
			t.Fatal(err)
		}
		m := &sandboxMock{t: t}
		oi := o
		oi.Now = func() time.Time { wall.mu.Lock(); defer wall.mu.Unlock(); return wall.now }
		oi.Registry = backends[i]
		m.sb = NewSandboxes(live, live.Tools(), live.World, oi)
		out[i] = m
	}
	return wall, out
}

// TestSandboxesAcrossReplicas: a sandbox made through one replica is served by the other with the
// same state (its tokens, its clock), the cap counts both replicas' sandboxes, and a sandbox
// deleted through one is gone on the other.
func TestSandboxesAcrossReplicas(t *testing.T) {
	wall, r := replicaSandboxMocks(t, 2, SandboxOptions{Explicit: true, Max: 2})
	a, b := r[0], r[1]
	if rec, _ := a.do(http.MethodPost, "/__authconform/sandboxes", `{"id":"alice"}`); rec.Code != 201 {
		t.Fatalf("creating alice on a: %d %s", rec.Code, rec.Body)
	}
	tok := a.login("/__sandbox/alice")
	if got := b.call("/__sandbox/alice", tok); got != 200 {
		t.Errorf("alice's token from a, in alice on b: %d, want 200", got)
	}
	if got := b.call("", tok); got != 401 {
		t.Errorf("alice's token in b's default world: %d, want 401", got)
	}
	if rec, _ := b.do(http.MethodPost, "/__sandbox/alice/__authconform/clock", `{"advance":"25h"}`); rec.Code != 200 {
		t.Fatalf("moving alice's clock on b: %d", rec.Code)
	}
	eventually(t, "alice's clock on a follows b's move", func() bool { return time.Until(a.clock("/__sandbox/alice")) > 24*time.Hour })
	if time.Until(a.clock("")) > time.Hour {
		t.Error("a's default clock moved with alice's")
	}

	_, list := b.do(http.MethodGet, "/__authconform/sandboxes", "")
	if boxes, _ := list["sandboxes"].([]any); len(boxes) != 1 {
		t.Errorf("b lists %v, want alice", list["sandboxes"])
	}
	if rec, _ := b.do(http.MethodPost, "/__authconform/sandboxes", `{"id":"bob"}`); rec.Code != 201 {
		t.Fatalf("creating bob on b: %d", rec.Code)
	}
	if rec, _ := a.do(http.MethodPost, "/__authconform/sandboxes", `{"id":"carol"}`); rec.Code != http.StatusTooManyRequests {
		t.Errorf("a third sandbox past a cap of 2 (one on each replica): %d, want 429", rec.Code)
	}

	if rec, _ := b.do(http.MethodDelete, "/__authconform/sandboxes/alice", ""); rec.Code != http.StatusNoContent {
		t.Fatalf("deleting alice on b: %d", rec.Code)
	}
	if got := a.call("/__sandbox/alice", tok); got != http.StatusUnauthorized {
		t.Errorf("alice's token right after alice was deleted on b, on a: %d, want 401 (the state is gone at once)", got)
	}
	wall.wait(31 * time.Second) // a touches the registry at most every 30 s
	if got := a.call("/__sandbox/alice", tok); got != http.StatusNotFound {
		t.Errorf("alice deleted on b, on a after 31 s: %d, want 404 (explicit sandboxes)", got)
	}
}

// TestSandboxIdleAcrossReplicas: a sandbox in use on one replica does not expire on the other,
// which has not seen a request for longer than the idle time; once no replica serves it for the
// idle time, it is gone on both.
func TestSandboxIdleAcrossReplicas(t *testing.T) {
	wall, r := replicaSandboxMocks(t, 2, SandboxOptions{Explicit: true, Idle: time.Hour})
	a, b := r[0], r[1]
	if rec, _ := a.do(http.MethodPost, "/__authconform/sandboxes", `{"id":"dora"}`); rec.Code != 201 {
		t.Fatalf("creating dora on a: %d", rec.Code)
	}
	tok := a.login("/__sandbox/dora")
	for range 6 { // two hours of use on b alone
		wall.wait(20 * time.Minute)
		if got := b.call("/__sandbox/dora", tok); got != 200 {
			t.Fatalf("dora in use on b: %d", got)
		}
	}
	if got := a.call("/__sandbox/dora", tok); got != 200 {
		t.Errorf("dora, in use on b, on a after two hours without a request there: %d, want 200", got)
	}
	wall.wait(61 * time.Minute)
	if got := b.call("/__sandbox/dora", tok); got != http.StatusNotFound {
		t.Errorf("dora after an idle hour on every replica: %d, want 404", got)
	}
}
