package mockserver

import (
	"context"

	"github.com/authconform/authconform/mockserver/store"
)

// Store is the state the flows ask (package store): generations, revocations, used refresh
// tokens and API keys, each scoped by the spec's name.
type Store = store.Store

// APIKey is an API key created at run time.
type APIKey = store.APIKey

// NewMemoryStore returns the default Store, in memory (store.NewMemory): a restart forgets
// everything.
func NewMemoryStore(clock Clock) Store { return store.NewMemory(clock) }

// StoreHealth asks the store as given (not as extensions decorated it) whether it can be
// reached: its kind ("memory", "redis") and nil, or the error (store.ErrUnavailable) that says
// why not. The memory store is always reachable.
func (s *Server) StoreHealth(ctx context.Context) (kind string, err error) {
	r, ok := s.base.(store.Remote)
	if !ok {
		return "memory", nil
	}
	return r.Kind(), r.Ping(ctx)
}
