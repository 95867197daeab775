package mockserver

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"strings"
	"sync"

	"github.com/authconform/authconform/specs"
)

// accounts are the accounts of one mounted spec, indexed once in New.
type accounts struct {
	spec    *specs.Spec     // what fields the accounts have, which are secret
	mu      sync.RWMutex    // the admin API replaces the index (accounts_admin.go); flows read it
	orig    []specs.Account // as configured, for a reset
	list    []*specs.Account
	byField map[string]map[string]*specs.Account // id and each identifying field -> value -> account
	keys    []configuredKey
}

// configuredKey is an API key from the spec or the config file, hashed for constant-time compare.
type configuredKey struct {
	sum     [32]byte
	account *specs.Account
}

// newAccounts indexes the accounts of sp by id and by each field that is not secret (the ones
// logins and schemes look accounts up by).
func newAccounts(sp *specs.Spec, list []specs.Account) *accounts {
	a := &accounts{spec: sp, orig: list, byField: map[string]map[string]*specs.Account{specs.FieldID: {}}}
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

// find returns the account whose field equals value. Profile fields are searched linearly.
func (a *accounts) find(field, value string) *specs.Account {
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

// byKey returns the owner of the configured API key whose SHA-256 is sum, comparing every key
// in constant time.
func (a *accounts) byKey(sum [sha256.Size]byte) *specs.Account {
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

// secretEqual compares two secrets in constant time, whatever their lengths.
func secretEqual(a, b string) bool {
	x, y := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(x[:], y[:]) == 1
}

// fieldString is an account field as text, for comparing with a header or a credential: a field
// or the id, else a profile value.
func fieldString(acc *specs.Account, field string) (string, bool) {
	v, ok := acc.Field(field)
	if !ok || v == nil {
		return "", false
	}
	if s, isString := v.(string); isString {
		return s, true
	}
	return fmt.Sprint(v), true
}

// tokenResolver also answers the token lifetimes a login's or refresh's body may show
// (tokens.access.lifetime.seconds), as the issuer has them (a config may change them).
func tokenResolver(next specs.Resolver, iss TokenIssuer) specs.Resolver {
	return func(ref string) (any, bool) {
		switch ref {
		case "tokens.access.lifetime.seconds":
			return int64(iss.Lifetime(specs.TokenAccess).Seconds()), true
		case "tokens.refresh.lifetime.seconds":
			if d := iss.Lifetime(specs.TokenRefresh); d > 0 {
				return int64(d.Seconds()), true
			}
			return nil, false
		}
		return next(ref)
	}
}

// accountResolver answers account.<field> and now for response templates.
func accountResolver(acc *specs.Account, now string) specs.Resolver {
	return func(ref string) (any, bool) {
		if ref == "now" {
			return now, true
		}
		if field, ok := strings.CutPrefix(ref, "account."); ok && acc != nil {
			return acc.Field(field)
		}
		return nil, false
	}
}
