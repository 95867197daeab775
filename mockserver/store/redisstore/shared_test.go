package redisstore

import (
	"context"
	"strings"
	"sync/atomic"
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

// TestAnnounceWaitsUntilApplied: Announce returns once every other replica listening has applied
// the change (its watcher of the world returned), however slow it is, so the next request,
// whichever replica it reaches, sees the change; a replica that does not serve the world
// acknowledges at once. A listener that never acknowledges (not a replica of the mock) makes
// Announce give up after ackWait, with an error saying so.
func TestAnnounceWaitsUntilApplied(t *testing.T) {
	srv := redistest.New(t)
	p := testPrefix(t)
	a, b, c := open(t, srv, p, clock.At(storetest.T0)), open(t, srv, p, clock.At(storetest.T0)), open(t, srv, p, clock.At(storetest.T0))
	var applied atomic.Bool
	stopB := b.Watch(func(store.Change) {
		time.Sleep(100 * time.Millisecond) // a slow reload
		applied.Store(true)
	})
	defer stopB()
	stopC := c.World("elsewhere", clock.At(storetest.T0)).Watch(func(store.Change) {})
	defer stopC()
	stopA := a.Watch(func(store.Change) {}) // a listens too, and acknowledges its own at once
	defer stopA()
	// The subscriptions are in place once PUBLISH counts three.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if n, _ := a.c.PubSubNumSub(context.Background(), a.hub.channel).Val()[a.hub.channel]; n == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the three replicas never subscribed")
		}
	}
	start := time.Now()
	if err := a.Announce(context.Background(), store.Change{What: store.ChangedClock}); err != nil {
		t.Fatal(err)
	}
	if !applied.Load() {
		t.Errorf("Announce returned after %s, before b applied the change", time.Since(start))
	}

	// A listener that is no replica: Announce waits ackWait, then says so.
	ps := a.c.Subscribe(context.Background(), a.hub.channel)
	defer ps.Close()
	if _, err := ps.Receive(context.Background()); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	err := a.Announce(context.Background(), store.Change{What: store.ChangedClock})
	if took := time.Since(start); err == nil || !strings.Contains(err.Error(), "did not confirm") || took < ackWait || took > ackWait+time.Second {
		t.Errorf("with a silent listener: %v after %s, want an error after %s", err, took, ackWait)
	}
}
