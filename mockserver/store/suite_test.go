package store_test

import (
	"testing"

	"github.com/authconform/authconform/mockserver/clock"
	"github.com/authconform/authconform/mockserver/store"
	"github.com/authconform/authconform/mockserver/store/storetest"
)

// TestMemory runs the store suite against the memory store.
func TestMemory(t *testing.T) {
	storetest.Run(t, func(_ *testing.T, c clock.Clock) store.Store { return store.NewMemory(c) })
}

// TestSharedMemory: the in-process replicas the mock's tests use keep the replicas' promises.
func TestSharedMemory(t *testing.T) {
	storetest.RunReplicas(t, func(_ *testing.T, c clock.Clock) (store.Store, store.Store) {
		r := storetest.Shared(c, 2)
		return r[0], r[1]
	})
}

// TestMemoryBackend runs the backend suite against the memory backend.
func TestMemoryBackend(t *testing.T) {
	storetest.RunBackend(t, func(*testing.T) store.Backend { return store.NewMemoryBackend() })
}
