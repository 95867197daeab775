// Package accounts holds the accounts of a served spec: indexed once by id and by each field
// that is not secret (the ones logins and schemes look accounts up by), and changed at run time
// by the admin API (admin.go), copy on write, so a flow holding an account never sees it change.
package accounts

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"sync"

	"github.com/authconform/authconform/specs"
)

// Set is the accounts of one served spec, indexed once.
type Set struct {
	spec   *specs.Spec     // what fields the accounts have, which are secret
	mu     sync.RWMutex    // the admin API replaces the index (admin.go); flows read it
	orig   []specs.Account // as configured, for a reset
	*index                 // the current index, replaced by a change, guarded by mu
	first  *index          // the index of orig, which Reset and Fresh go back to
}

// index is the accounts indexed. An index is never changed once built: a change of the admin
// API builds a new one (copy on write), so Sets may share one (Fresh).
type index struct {
	list    []*specs.Account
	byField map[string]map[string]*specs.Account // id and each identifying field -> value -> account
	keys    []configuredKey
}

// configuredKey is an API key from the spec or the config file, hashed for constant-time compare.
type configuredKey struct {
	sum     [32]byte
	account *specs.Account
}

// New indexes the accounts of sp by id and by each field that is not secret (the ones
// logins and schemes look accounts up by).
func New(sp *specs.Spec, list []specs.Account) *Set {
	a := &Set{spec: sp, orig: list, index: newIndex(sp, list)}
	a.first = a.index
	return a
}

// Fresh is a new Set of the same accounts as configured, without any change made to a since; it
// shares their index with a (an index is never changed in place).
func (a *Set) Fresh() *Set {
	return &Set{spec: a.spec, orig: a.orig, index: a.first, first: a.first}
}

func newIndex(sp *specs.Spec, list []specs.Account) *index {
	a := &index{byField: map[string]map[string]*specs.Account{specs.FieldID: {}}}
	for _, f := range sp.Fields {
		if !f.Secret {
			a.byField[f.Name] = map[string]*specs.Account{}
		}
	}
	for i := range list {
		acc := list[i].Clone() // a copy: the spec's own accounts stay untouched
		p := &acc
		a.list = append(a.list, p)
		for field, idx := range a.byField {
			if v := p.Value(field); v != "" {
				idx[v] = p
			}
		}
		for _, k := range p.APIKeys {
			a.keys = append(a.keys, configuredKey{sum: sha256.Sum256([]byte(k)), account: p})
		}
	}
	return a
}

// Find returns the account whose field equals value. Profile fields are searched linearly.
func (a *Set) Find(field, value string) *specs.Account {
	a.mu.RLock()
	defer a.mu.RUnlock()
	if idx, ok := a.byField[field]; ok {
		return idx[value]
	}
	for _, acc := range a.list {
		if v, ok := acc.Field(field); ok && fmt.Sprint(v) == value {
			return acc
		}
	}
	return nil
}

// ByKey returns the owner of the configured API key whose SHA-256 is sum, comparing every key
// in constant time.
func (a *Set) ByKey(sum [sha256.Size]byte) *specs.Account {
	a.mu.RLock()
	defer a.mu.RUnlock()
	var found *specs.Account
	for i := range a.keys {
		if subtle.ConstantTimeCompare(sum[:], a.keys[i].sum[:]) == 1 {
			found = a.keys[i].account
		}
	}
	return found
}
