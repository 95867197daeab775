package defects

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/authconform/authconform/mockserver/store"
)

// mutantStore decorates the server's Store for the defects that live in state: a logout that
// revokes nothing, a single-use refresh token used twice, API keys deleted but still working or
// still listed, listed to everyone or deletable by anyone. Each switch is off unless a defect
// turned it on for the spec (scope) it applies to; everything else goes to the real store.
type mutantStore struct {
	store.Store
	mu sync.Mutex

	noRevoke     bool                       // RevokeSession and RevokeAccount do nothing
	reuseRefresh bool                       // UseRefresh always answers "first use"
	ghostAuth    map[string]bool            // scope -> deleted keys still authenticate
	ghostList    map[string]bool            // scope -> deleted keys are still listed
	listAll      map[string]bool            // scope -> every account's keys are listed to anyone
	deleteAny    map[string]bool            // scope -> anyone may delete any key
	keysUnusable map[string]bool            // scope -> created keys never authenticate
	listEmpty    map[string]bool            // scope -> the list is always empty
	ghosts       map[string]APIKey          // scope + "\x00" + hash -> deleted key
	owners       map[string]map[string]bool // scope -> accounts that created keys (for listAll)
}

var _ store.Store = (*mutantStore)(nil)

// store returns the store decorator of the installation, creating it; Extend installs it.
func (m *mount) store() *mutantStore {
	in := m.in
	if in.store == nil {
		in.store = &mutantStore{ghostAuth: map[string]bool{}, ghostList: map[string]bool{}, listAll: map[string]bool{},
			deleteAny: map[string]bool{}, keysUnusable: map[string]bool{}, listEmpty: map[string]bool{},
			ghosts: map[string]APIKey{}, owners: map[string]map[string]bool{}}
	}
	return in.store
}

// wrap decorates the store (Hooks.DecorateStore).
func (m *mutantStore) wrap(next store.Store) store.Store {
	m.Store = next
	return m
}

// APIKey is a key created at run time.
type APIKey = store.APIKey

func (m *mutantStore) RevokeAccount(ctx context.Context, scope, accountID string) error {
	if m.noRevoke {
		return nil
	}
	return m.Store.RevokeAccount(ctx, scope, accountID)
}

func (m *mutantStore) RevokeSession(ctx context.Context, scope, id string, until time.Time) error {
	if m.noRevoke {
		return nil
	}
	return m.Store.RevokeSession(ctx, scope, id, until)
}

func (m *mutantStore) UseRefresh(ctx context.Context, scope, jti string, until time.Time) (bool, error) {
	first, err := m.Store.UseRefresh(ctx, scope, jti, until)
	return first || m.reuseRefresh, err
}

func (m *mutantStore) AddKey(ctx context.Context, k APIKey) error {
	m.mu.Lock()
	if m.owners[k.Scope] == nil {
		m.owners[k.Scope] = map[string]bool{}
	}
	m.owners[k.Scope][k.AccountID] = true
	m.mu.Unlock()
	return m.Store.AddKey(ctx, k)
}

func (m *mutantStore) Keys(ctx context.Context, scope, accountID string) ([]APIKey, error) {
	if m.listEmpty[scope] {
		return nil, nil
	}
	var out []APIKey
	if m.listAll[scope] {
		m.mu.Lock()
		owners := make([]string, 0, len(m.owners[scope]))
		for o := range m.owners[scope] {
			owners = append(owners, o)
		}
		m.mu.Unlock()
		slices.Sort(owners)
		for _, o := range owners {
			keys, err := m.Store.Keys(ctx, scope, o)
			if err != nil {
				return nil, err
			}
			out = append(out, keys...)
		}
	} else {
		keys, err := m.Store.Keys(ctx, scope, accountID)
		if err != nil {
			return nil, err
		}
		out = keys
	}
	if m.ghostList[scope] {
		m.mu.Lock()
		for _, k := range m.ghosts {
			if k.Scope == scope && k.AccountID == accountID {
				out = append(out, k)
			}
		}
		m.mu.Unlock()
	}
	return out, nil
}

func (m *mutantStore) KeyByHash(ctx context.Context, scope, hash string) (APIKey, bool, error) {
	if m.keysUnusable[scope] {
		return APIKey{}, false, nil
	}
	if k, ok, err := m.Store.KeyByHash(ctx, scope, hash); ok || err != nil {
		return k, ok, err
	}
	if m.ghostAuth[scope] {
		m.mu.Lock()
		defer m.mu.Unlock()
		k, ok := m.ghosts[scope+"\x00"+hash]
		return k, ok, nil
	}
	return APIKey{}, false, nil
}

func (m *mutantStore) DeleteKey(ctx context.Context, scope, accountID, hash string) (bool, error) {
	k, known, err := m.Store.KeyByHash(ctx, scope, hash)
	if err != nil {
		return false, err
	}
	if known && m.deleteAny[scope] {
		accountID = k.AccountID
	}
	if deleted, err := m.Store.DeleteKey(ctx, scope, accountID, hash); !deleted || err != nil {
		return false, err
	}
	if m.ghostAuth[scope] || m.ghostList[scope] {
		m.mu.Lock()
		m.ghosts[scope+"\x00"+hash] = k
		m.mu.Unlock()
	}
	return true, nil
}

func (m *mutantStore) Reset(ctx context.Context) error {
	m.mu.Lock()
	m.ghosts = map[string]APIKey{}
	m.owners = map[string]map[string]bool{}
	m.mu.Unlock()
	return m.Store.Reset(ctx)
}
