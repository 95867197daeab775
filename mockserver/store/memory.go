package store

import (
	"bytes"
	"cmp"
	"context"
	"slices"
	"sync"
	"time"

	"github.com/authconform/authconform/mockserver/clock"
)

// Memory is the default Store, in one process's memory: a restart forgets everything. With a
// clock that cannot be set (not a clock.Adjustable), revocations are dropped a day after their
// tokens expired; with one that can, they are kept until Reset (see maybeSweep). It never fails.
type Memory struct {
	clock   clock.Clock
	sweeps  bool // the clock cannot be set: expired revocations may be dropped
	mu      sync.Mutex
	gens    map[scoped]uint64    // account of a scope -> generation
	revoked map[scoped]time.Time // session or token id of a scope -> until
	used    map[scoped]time.Time // consumed refresh jti of a scope -> until
	keys    map[scoped]APIKey    // key hash of a scope -> key
	owned   map[scoped][]string  // account of a scope -> hashes of its keys, oldest first
	next    int                  // sweep when revoked+used reach this size

	clockAt  clock.State
	signing  map[string][]byte // scope -> signing key
	opaque   map[scoped]opaqueEntry
	accounts map[string][]byte // scope -> accounts as the admin API changed them
	tokens   int               // sweep opaque tokens when they reach this many
	faults   []Fault
	faultID  int
}

// opaqueEntry is an opaque token's claims and when the token expires.
type opaqueEntry struct {
	claims []byte
	until  time.Time
}

// scoped names something of one scope: an account id, a session id, a jti or a key hash.
type scoped struct{ scope, id string }

var _ Store = (*Memory)(nil)

// MinSweep is the size from which expired revocations are swept; sweeping when the maps have
// doubled keeps the cost per insert constant. SweepMargin keeps entries a while past their expiry
// anyway, for a clock that a test's fake or the host's time steps back a little.
const (
	MinSweep    = 1024
	SweepMargin = 24 * time.Hour
)

// NewMemory returns an empty Memory store on the clock.
func NewMemory(c clock.Clock) *Memory {
	_, settable := c.(clock.Adjustable)
	m := &Memory{clock: c, sweeps: !settable}
	m.clear()
	return m
}

func (m *Memory) clear() {
	m.gens = map[scoped]uint64{}
	m.revoked = map[scoped]time.Time{}
	m.used = map[scoped]time.Time{}
	m.keys = map[scoped]APIKey{}
	m.owned = map[scoped][]string{}
	m.next = MinSweep
	m.clockAt = clock.State{}
	m.signing = map[string][]byte{}
	m.opaque = map[scoped]opaqueEntry{}
	m.accounts = map[string][]byte{}
	m.tokens = MinSweep
	m.faults = nil
}

// Len is how many revocations and used refresh tokens the store holds (for tests of sweeping).
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.revoked) + len(m.used)
}

// maybeSweep drops expired revocations once the maps have grown enough. Caller holds mu.
//
// The rule: an entry may be forgotten only when no time the clock can be set to makes its token
// valid again, else a logged-out session or a used refresh token comes back to life. A token
// verifies while the clock is in [iat, exp), and the admin API can set an adjustable clock to any
// time from 1970 on, also back into that window after a sweep (the dashboard's "past refresh
// expiry" then "back to real time" did exactly that). So with a clock that can be set nothing is
// ever swept: entries stay until Reset, which also replaces the random signing keys (a key pinned
// by the config stays, and its revoked tokens work again, as after a restart). Only a clock
// that cannot be set (a plain Clock, which runs forward) lets expired entries go. The cost is
// memory: about 100 bytes per logout and per rotating refresh until a reset, while logins, which
// write nothing here, cost none.
func (m *Memory) maybeSweep() {
	if !m.sweeps || len(m.revoked)+len(m.used) < m.next {
		return
	}
	cutoff := m.clock.Now().Add(-SweepMargin)
	for _, set := range []map[scoped]time.Time{m.revoked, m.used} {
		for k, until := range set {
			if until.Before(cutoff) {
				delete(set, k)
			}
		}
	}
	m.next = max(MinSweep, 2*(len(m.revoked)+len(m.used)))
}

// Generation implements Generations.
func (m *Memory) Generation(_ context.Context, scope, accountID string) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.gens[scoped{scope, accountID}], nil
}

// RevokeAccount implements Generations.
func (m *Memory) RevokeAccount(_ context.Context, scope, accountID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.gens[scoped{scope, accountID}]++
	return nil
}

// Check implements Checks.
func (m *Memory) Check(_ context.Context, scope, accountID string, ids ...string) (uint64, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, id := range ids {
		if _, ok := m.revoked[scoped{scope, id}]; ok {
			return m.gens[scoped{scope, accountID}], true, nil
		}
	}
	return m.gens[scoped{scope, accountID}], false, nil
}

// RevokeSession implements Revocations.
func (m *Memory) RevokeSession(_ context.Context, scope, id string, until time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.maybeSweep()
	m.revoked[scoped{scope, id}] = until
	return nil
}

// Revoked implements Revocations.
func (m *Memory) Revoked(_ context.Context, scope, id string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.revoked[scoped{scope, id}]
	return ok, nil
}

// UseRefresh implements RefreshTokens.
func (m *Memory) UseRefresh(_ context.Context, scope, jti string, until time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	key := scoped{scope, jti}
	if _, used := m.used[key]; used {
		return false, nil
	}
	m.maybeSweep()
	m.used[key] = until
	return true, nil
}

// AddKey implements APIKeys.
func (m *Memory) AddKey(_ context.Context, k APIKey) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	ref := scoped{k.Scope, k.Hash}
	if old, ok := m.keys[ref]; ok { // the same key again: replace it, owner included
		m.disown(old)
	}
	m.keys[ref] = k
	owner := scoped{k.Scope, k.AccountID}
	m.owned[owner] = append(m.owned[owner], k.Hash)
	return nil
}

// disown removes k from its owner's list. Caller holds mu.
func (m *Memory) disown(k APIKey) {
	owner := scoped{k.Scope, k.AccountID}
	hashes := slices.DeleteFunc(m.owned[owner], func(h string) bool { return h == k.Hash })
	if len(hashes) == 0 {
		delete(m.owned, owner)
		return
	}
	m.owned[owner] = hashes
}

// Keys implements APIKeys.
func (m *Memory) Keys(_ context.Context, scope, accountID string) ([]APIKey, error) {
	m.mu.Lock()
	hashes := m.owned[scoped{scope, accountID}]
	out := make([]APIKey, 0, len(hashes))
	for _, h := range hashes {
		out = append(out, m.keys[scoped{scope, h}])
	}
	m.mu.Unlock()
	SortKeys(out)
	return out, nil
}

// SortKeys orders keys as Keys lists them: oldest first, then by id.
func SortKeys(keys []APIKey) {
	slices.SortFunc(keys, func(a, b APIKey) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
}

// KeyByHash implements APIKeys.
func (m *Memory) KeyByHash(_ context.Context, scope, hash string) (APIKey, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k, ok := m.keys[scoped{scope, hash}]
	return k, ok, nil
}

// DeleteKey implements APIKeys.
func (m *Memory) DeleteKey(_ context.Context, scope, accountID, hash string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ref := scoped{scope, hash}
	k, ok := m.keys[ref]
	if !ok || k.AccountID != accountID {
		return false, nil
	}
	delete(m.keys, ref)
	m.disown(k)
	return true, nil
}

// Reset implements Store.
func (m *Memory) Reset(context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.clear()
	return nil
}

// Clock implements Clocks.
func (m *Memory) Clock(context.Context) (clock.State, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.clockAt, nil
}

// SaveClock implements Clocks.
func (m *Memory) SaveClock(_ context.Context, st clock.State) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.clockAt = st
	return nil
}

// SigningKey implements SigningKeys.
func (m *Memory) SigningKey(_ context.Context, scope string, fresh []byte) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if k, ok := m.signing[scope]; ok {
		return k, nil
	}
	m.signing[scope] = fresh
	return fresh, nil
}

// PutToken implements OpaqueTokens. Expired tokens are swept, SweepMargin after their expiry,
// once the table has doubled: unlike a revocation, forgetting a token early only refuses it.
func (m *Memory) PutToken(_ context.Context, scope, token string, claims []byte, until time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.opaque) >= m.tokens {
		cutoff := m.clock.Now().Add(-SweepMargin)
		for k, e := range m.opaque {
			if e.until.Before(cutoff) {
				delete(m.opaque, k)
			}
		}
		m.tokens = max(MinSweep, 2*len(m.opaque))
	}
	m.opaque[scoped{scope, token}] = opaqueEntry{claims: claims, until: until}
	return nil
}

// Token implements OpaqueTokens.
func (m *Memory) Token(_ context.Context, scope, token string) ([]byte, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.opaque[scoped{scope, token}]
	return e.claims, ok, nil
}

// Accounts implements AccountLists.
func (m *Memory) Accounts(_ context.Context, scope string) ([]byte, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	list, ok := m.accounts[scope]
	return list, ok, nil
}

// SaveAccounts implements AccountLists.
func (m *Memory) SaveAccounts(_ context.Context, scope string, list []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if list == nil {
		delete(m.accounts, scope)
	} else {
		m.accounts[scope] = list
	}
	return nil
}

// SaveAccountsIf implements AccountLists.
func (m *Memory) SaveAccountsIf(_ context.Context, scope string, old, list []byte) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, saved := m.accounts[scope]
	if saved != (old != nil) || !bytes.Equal(cur, old) {
		return false, nil
	}
	if list == nil {
		delete(m.accounts, scope)
	} else {
		m.accounts[scope] = list
	}
	return true, nil
}

// QueueFault implements FaultQueue. Fault ids keep counting across Reset, so an id never names
// two faults.
func (m *Memory) QueueFault(_ context.Context, f Fault, maxFaults int) (Fault, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.faults) >= maxFaults {
		return Fault{}, ErrQueueFull
	}
	m.faultID++
	f.ID = m.faultID
	m.faults = append(m.faults, f)
	return f, nil
}

// TakeFault implements FaultQueue.
func (m *Memory) TakeFault(_ context.Context, spec, operation string) (Fault, bool, int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, f := range m.faults {
		if f.Spec != spec || f.Operation != operation {
			continue
		}
		m.faults[i].Remaining--
		if m.faults[i].Remaining <= 0 {
			m.faults = slices.Delete(m.faults, i, i+1)
		}
		return f, true, len(m.faults), nil
	}
	return Fault{}, false, len(m.faults), nil
}

// Faults implements FaultQueue.
func (m *Memory) Faults(context.Context) ([]Fault, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.faults), nil
}

// ClearFaults implements FaultQueue.
func (m *Memory) ClearFaults(context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.faults = nil
	return nil
}

// Announce implements Changes: a Memory store has no other replica to tell.
func (m *Memory) Announce(context.Context, Change) error { return nil }

// Watch implements Changes: no other replica announces anything.
func (m *Memory) Watch(func(Change)) (stop func()) { return func() {} }
