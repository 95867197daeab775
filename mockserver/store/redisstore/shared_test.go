package redisstore

import (
	"context"
	"testing"
	"time"

	"github.com/authconform/authconform/internal/redistest"
	"github.com/authconform/authconform/mockserver/clock"
	"github.com/authconform/authconform/mockserver/store"
	"github.com/authconform/authconform/mockserver/store/storetest"
)

// TestReplicasSuite: two clients of one Redis under one prefix (two replicas) share the state
// and hear each other's changes, not their own.
func TestReplicasSuite(t *testing.T) {
	srv := redistest.New(t)
	storetest.RunReplicas(t, func(t *testing.T, c clock.Clock) (store.Store, store.Store) {
		p := testPrefix(t)
		return open(t, srv, p, c), open(t, srv, p, c)
	})
}

// TestBackendSuite: the sandbox registry and the worlds apart, on Redis.
func TestBackendSuite(t *testing.T) {
	srv := redistest.New(t)
	storetest.RunBackend(t, func(t *testing.T) store.Backend {
		return NewBackend(open(t, srv, testPrefix(t), clock.At(storetest.T0)))
	})
}

// TestResyncAfterLostConnection: a replica whose subscription was cut (Redis restarted) is told
// store.ChangedUnknown once it is subscribed again, since what was announced meanwhile is lost.
func TestResyncAfterLostConnection(t *testing.T) {
	srv := redistest.New(t)
	st := open(t, srv, testPrefix(t), clock.At(storetest.T0))
	got := make(chan store.Change, 8)
	stop := st.Watch(func(c store.Change) { got <- c })
	defer stop()
	other := open(t, srv, st.prefix, clock.At(storetest.T0))
	// Subscribed once the other's announcement arrives.
	deadline := time.Now().Add(5 * time.Second)
	for heard := false; !heard; {
		if time.Now().After(deadline) {
			t.Fatal("the subscription never heard the other replica")
		}
		_ = other.Announce(context.Background(), store.Change{What: store.ChangedClock})
		select {
		case <-got:
			heard = true
		case <-time.After(50 * time.Millisecond):
		}
	}
	srv.Kill()
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	select {
	case c := <-got:
		for c.What == store.ChangedClock { // late copies of the announcements above
			c = <-got
		}
		if c.What != store.ChangedUnknown {
			t.Errorf("after a lost connection: %+v, want %s", c, store.ChangedUnknown)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no resync after the subscription was cut and restored")
	}
}
