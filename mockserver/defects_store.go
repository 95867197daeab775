package mockserver

import (
	"slices"
	"sync"
	"time"
)

// mutantStore decorates the server's Store for the defects that live in state: a logout that
// revokes nothing, a single-use refresh token used twice, API keys deleted but still working or
// still listed, listed to everyone or deletable by anyone. Each switch is off unless a defect
// turned it on for the spec (scope) it applies to; everything else goes to the real store.
type mutantStore struct {
	Store
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

var _ Store = (*mutantStore)(nil)

// mutStore returns the server's store decorator, installing it.
func (mu *mutator) mutStore() *mutantStore {
	if mu.store == nil {
		mu.store = &mutantStore{Store: mu.s.store, ghostAuth: map[string]bool{}, ghostList: map[string]bool{}, listAll: map[string]bool{},
			deleteAny: map[string]bool{}, keysUnusable: map[string]bool{}, listEmpty: map[string]bool{},
			ghosts: map[string]APIKey{}, owners: map[string]map[string]bool{}}
		mu.s.store = mu.store
	}
	return mu.store
}

func (m *mutantStore) RevokeAccount(scope, accountID string) {
	if !m.noRevoke {
		m.Store.RevokeAccount(scope, accountID)
	}
}

func (m *mutantStore) RevokeSession(id string, until time.Time) {
	if !m.noRevoke {
		m.Store.RevokeSession(id, until)
	}
}

func (m *mutantStore) UseRefresh(jti string, until time.Time) bool {
	first := m.Store.UseRefresh(jti, until)
	return first || m.reuseRefresh
}

func (m *mutantStore) AddKey(k APIKey) {
	m.mu.Lock()
	if m.owners[k.Scope] == nil {
		m.owners[k.Scope] = map[string]bool{}
	}
	m.owners[k.Scope][k.AccountID] = true
	m.mu.Unlock()
	m.Store.AddKey(k)
}

func (m *mutantStore) Keys(scope, accountID string) []APIKey {
	if m.listEmpty[scope] {
		return nil
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
			out = append(out, m.Store.Keys(scope, o)...)
		}
	} else {
		out = m.Store.Keys(scope, accountID)
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
	return out
}

func (m *mutantStore) KeyByHash(scope, hash string) (APIKey, bool) {
	if m.keysUnusable[scope] {
		return APIKey{}, false
	}
	if k, ok := m.Store.KeyByHash(scope, hash); ok {
		return k, true
	}
	if m.ghostAuth[scope] {
		m.mu.Lock()
		defer m.mu.Unlock()
		k, ok := m.ghosts[scope+"\x00"+hash]
		return k, ok
	}
	return APIKey{}, false
}

func (m *mutantStore) DeleteKey(scope, accountID, hash string) bool {
	k, known := m.Store.KeyByHash(scope, hash)
	if known && m.deleteAny[scope] {
		accountID = k.AccountID
	}
	if !m.Store.DeleteKey(scope, accountID, hash) {
		return false
	}
	if m.ghostAuth[scope] || m.ghostList[scope] {
		m.mu.Lock()
		m.ghosts[scope+"\x00"+hash] = k
		m.mu.Unlock()
	}
	return true
}

func (m *mutantStore) Reset() {
	m.mu.Lock()
	m.ghosts = map[string]APIKey{}
	m.owners = map[string]map[string]bool{}
	m.mu.Unlock()
	m.Store.Reset()
}
