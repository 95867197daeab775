package mockserver

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"sync"
	"time"
)

// Store keeps the mock's run-time state. Every method is safe for concurrent use. Keys are scoped
// by spec name so one store serves every mounted spec.
//
// A login writes nothing here: a token is valid when it verifies (signature, issuer, expiry) and
// is not revoked. What the store remembers is what revokes: sessions ended by a logout (until
// their tokens expire anyway), consumed single-use refresh tokens, and a generation per account
// that a logout with a password or API key bumps, ending every token issued before. API keys are
// stored and looked up by the SHA-256 of their token (keyHash), so a lookup does not compare
// secrets byte by byte.
type Store interface {
	// Generation is the account's current generation; tokens carry the one they were issued in.
	Generation(scope, accountID string) uint64
	// RevokeAccount ends every session of an account by moving it to a new generation.
	RevokeAccount(scope, accountID string)
	// RevokeSession ends one session; until is when its last token expires anyway.
	RevokeSession(id string, until time.Time)
	// Revoked reports whether a session was ended by RevokeSession.
	Revoked(id string) bool
	// UseRefresh consumes a single-use refresh token: true the first time only. until is when the
	// token expires anyway.
	UseRefresh(jti string, until time.Time) bool
	// AddKey stores an API key created at run time.
	AddKey(k APIKey)
	// Keys lists the keys of an account of a spec, oldest first.
	Keys(scope, accountID string) []APIKey
	// KeyByHash finds a key of a spec by the hash of its token.
	KeyByHash(scope, hash string) (APIKey, bool)
	// DeleteKey removes the key with that token hash if, and only if, the account owns it.
	DeleteKey(scope, accountID, hash string) bool
	// Reset forgets everything.
	Reset()
}

// APIKey is a key created at run time.
type APIKey struct {
	ID        string
	Scope     string
	AccountID string
	Name      string
	Token     string
	Hash      string // keyHash(Token)
	Created   time.Time
}

// keyHash is how stores index API keys.
func keyHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// NewMemoryStore returns the default Store, in memory: a restart forgets everything. With a
// clock that cannot be set (not an AdjustableClock), revocations are dropped a day after their
// tokens expired; with one that can, they are kept until Reset (see memStore.maybeSweep).
func NewMemoryStore(clock Clock) Store { return newMemStore(clock) }

type memStore struct {
	clock   Clock
	sweeps  bool // the clock cannot be set: expired revocations may be dropped
	mu      sync.Mutex
	gens    map[scoped]uint64    // account of a scope -> generation
	revoked map[string]time.Time // session id -> until
	used    map[string]time.Time // consumed refresh jti -> until
	keys    map[scoped]APIKey    // key hash of a scope -> key
	owned   map[scoped][]string  // account of a scope -> hashes of its keys, oldest first
	next    int                  // sweep when revoked+used reach this size
}

// scoped names something of one spec (scope): an account id or a key hash.
type scoped struct{ scope, id string }

var _ Store = (*memStore)(nil)

// minSweep is the size from which expired revocations are swept; sweeping when the maps have
// doubled keeps the cost per insert constant. sweepMargin keeps entries a while past their expiry
// anyway, for a clock that a test's fake or the host's time steps back a little.
const (
	minSweep    = 1024
	sweepMargin = 24 * time.Hour
)

func newMemStore(clock Clock) *memStore {
	_, settable := clock.(AdjustableClock)
	m := &memStore{clock: clock, sweeps: !settable}
	m.clear()
	return m
}

func (m *memStore) clear() {
	m.gens = map[scoped]uint64{}
	m.revoked = map[string]time.Time{}
	m.used = map[string]time.Time{}
	m.keys = map[scoped]APIKey{}
	m.owned = map[scoped][]string{}
	m.next = minSweep
}

// maybeSweep drops expired revocations once the maps have grown enough. Caller holds mu.
//
// The rule: an entry may be forgotten only when no time the clock can be set to makes its token
// valid again, else a logged-out session or a used refresh token comes back to life. A token
// verifies while the clock is in [iat, exp), and the admin API can set an AdjustableClock to any
// time from 1970 on, also back into that window after a sweep (the dashboard's "past refresh
// expiry" then "back to real time" did exactly that). So with a clock that can be set nothing is
// ever swept: entries stay until Reset, which also replaces the random signing keys (a key pinned
// by the config stays, and its revoked tokens work again, as after a restart). Only a clock
// that cannot be set (WithClock with a plain Clock, which runs forward) lets expired entries go.
// The cost is memory: about 100 bytes per logout and per rotating refresh until a reset, while
// logins, which write nothing here, cost none.
func (m *memStore) maybeSweep() {
	if !m.sweeps || len(m.revoked)+len(m.used) < m.next {
		return
	}
	cutoff := m.clock.Now().Add(-sweepMargin)
	for _, set := range []map[string]time.Time{m.revoked, m.used} {
		for k, until := range set {
			if until.Before(cutoff) {
				delete(set, k)
			}
		}
	}
	m.next = max(minSweep, 2*(len(m.revoked)+len(m.used)))
}

func (m *memStore) Generation(scope, accountID string) uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.gens[scoped{scope, accountID}]
}

func (m *memStore) RevokeAccount(scope, accountID string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.gens[scoped{scope, accountID}]++
}

func (m *memStore) RevokeSession(id string, until time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.maybeSweep()
	m.revoked[id] = until
}

func (m *memStore) Revoked(id string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.revoked[id]
	return ok
}

func (m *memStore) UseRefresh(jti string, until time.Time) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, used := m.used[jti]; used {
		return false
	}
	m.maybeSweep()
	m.used[jti] = until
	return true
}

func (m *memStore) AddKey(k APIKey) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ref := scoped{k.Scope, k.Hash}
	if old, ok := m.keys[ref]; ok { // the same key again: replace it, owner included
		m.disown(old)
	}
	m.keys[ref] = k
	owner := scoped{k.Scope, k.AccountID}
	m.owned[owner] = append(m.owned[owner], k.Hash)
}

// disown removes k from its owner's list. Caller holds mu.
func (m *memStore) disown(k APIKey) {
	owner := scoped{k.Scope, k.AccountID}
	hashes := slices.DeleteFunc(m.owned[owner], func(h string) bool { return h == k.Hash })
	if len(hashes) == 0 {
		delete(m.owned, owner)
		return
	}
	m.owned[owner] = hashes
}

func (m *memStore) Keys(scope, accountID string) []APIKey {
	m.mu.Lock()
	hashes := m.owned[scoped{scope, accountID}]
	out := make([]APIKey, 0, len(hashes))
	for _, h := range hashes {
		out = append(out, m.keys[scoped{scope, h}])
	}
	m.mu.Unlock()
	slices.SortFunc(out, func(a, b APIKey) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return compareStrings(a.ID, b.ID)
	})
	return out
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (m *memStore) KeyByHash(scope, hash string) (APIKey, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k, ok := m.keys[scoped{scope, hash}]
	return k, ok
}

func (m *memStore) DeleteKey(scope, accountID, hash string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	ref := scoped{scope, hash}
	k, ok := m.keys[ref]
	if !ok || k.AccountID != accountID {
		return false
	}
	delete(m.keys, ref)
	m.disown(k)
	return true
}

func (m *memStore) Reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.clear()
}
