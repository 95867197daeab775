package storetest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authconform/authconform/mockserver/clock"
	"github.com/authconform/authconform/mockserver/store"
)

// NewBackend makes an empty backend; the suite calls it once per test.
type NewBackend func(t *testing.T) store.Backend

// RunBackend runs the tests of a backend: the sandbox registry, and worlds apart.
func RunBackend(t *testing.T, newBackend NewBackend) {
	t.Run("registry", func(t *testing.T) { testRegistry(t, newBackend(t)) })
	t.Run("the cap holds under a race", func(t *testing.T) { testRegistryCap(t, newBackend(t)) })
	t.Run("worlds are apart", func(t *testing.T) { testWorldsApart(t, newBackend(t)) })
}

func testRegistry(t *testing.T, b store.Backend) {
	ctx := context.Background()
	sb := func(id string, created time.Duration) store.Sandbox {
		return store.Sandbox{ID: id, Created: T0.Add(created), Used: T0.Add(created), Idle: time.Hour}
	}
	for _, s := range []store.Sandbox{sb("b", time.Second), sb("a", time.Second), sb("old", 0)} {
		if created := must(b.AddSandbox(ctx, s, 10)); !created {
			t.Errorf("AddSandbox(%s) = false for a new id", s.ID)
		}
	}
	if must(b.AddSandbox(ctx, sb("a", time.Hour), 10)) {
		t.Error("AddSandbox of an existing id created it again")
	}
	var ids []string
	for _, s := range must(b.Sandboxes(ctx)) {
		ids = append(ids, s.ID)
	}
	if fmt.Sprint(ids) != "[old a b]" {
		t.Errorf("Sandboxes: %v, want [old a b]", ids)
	}
	if got, ok := must2(b.Sandbox(ctx, "a")); !ok || !got.Created.Equal(T0.Add(time.Second)) || got.Idle != time.Hour {
		t.Errorf("Sandbox(a) = %+v, %v (the second AddSandbox must not change it)", got, ok)
	}
	if !must(b.TouchSandbox(ctx, "a", T0.Add(time.Minute))) || !must(b.TouchSandbox(ctx, "a", T0.Add(time.Second))) {
		t.Error("TouchSandbox of an existing sandbox said it is gone")
	}
	if got, _ := must2(b.Sandbox(ctx, "a")); !got.Used.Equal(T0.Add(time.Minute)) {
		t.Errorf("Used after touches at +1m then +1s: %v, want the latest", got.Used)
	}
	if !must(b.DeleteSandbox(ctx, "a")) || must(b.DeleteSandbox(ctx, "a")) {
		t.Error("DeleteSandbox did not delete exactly once")
	}
	if must(b.TouchSandbox(ctx, "a", T0)) {
		t.Error("TouchSandbox of a deleted sandbox said it exists")
	}
	if _, ok := must2(b.Sandbox(ctx, "a")); ok {
		t.Error("a deleted sandbox is found")
	}
}

// testRegistryCap: many replicas creating sandboxes at once never exceed the cap.
func testRegistryCap(t *testing.T, b store.Backend) {
	ctx := context.Background()
	var created atomic.Int32
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := b.AddSandbox(ctx, store.Sandbox{ID: fmt.Sprint("s", i), Created: T0, Used: T0, Idle: time.Hour}, 5)
			if err != nil && err != store.ErrTooManySandboxes {
				t.Error(err)
			}
			if ok {
				created.Add(1)
			}
		}()
	}
	wg.Wait()
	if n := created.Load(); n != 5 {
		t.Errorf("%d sandboxes created under a cap of 5", n)
	}
	if n := len(must(b.Sandboxes(ctx))); n != 5 {
		t.Errorf("%d sandboxes listed under a cap of 5", n)
	}
}

// testWorldsApart: what one world's store holds, another's does not, and a reset of one leaves
// the other.
func testWorldsApart(t *testing.T, b store.Backend) {
	ctx := context.Background()
	c := clock.At(T0)
	x, y := must(b.World("x", c)), must(b.World("y", c))
	check(t, x.RevokeSession(ctx, "spec", "sid", T0.Add(time.Hour)))
	check(t, y.RevokeSession(ctx, "spec", "other", T0.Add(time.Hour)))
	if must(y.Revoked(ctx, "spec", "sid")) {
		t.Error("a revocation in world x is seen in world y")
	}
	check(t, x.Reset(ctx))
	if !must(y.Revoked(ctx, "spec", "other")) {
		t.Error("a reset of world x reset world y")
	}
}
