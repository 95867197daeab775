package mockserver

import "github.com/authconform/authconform/mockserver/store"

// Store is the state the flows ask (package store): generations, revocations, used refresh
// tokens and API keys, each scoped by the spec's name.
type Store = store.Store

// APIKey is an API key created at run time.
type APIKey = store.APIKey

// NewMemoryStore returns the default Store, in memory (store.NewMemory): a restart forgets
// everything.
func NewMemoryStore(clock Clock) Store { return store.NewMemory(clock) }
