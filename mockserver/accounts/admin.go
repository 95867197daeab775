package accounts

import (
	"errors"
	"fmt"
	"slices"

	"github.com/authconform/authconform/specs"
)

// The admin API changes accounts at run time (disable, expire a password, add one). Flows hold
// the *specs.Account they found, so an account is never changed in place: every change builds a
// new index from a changed copy of the list and swaps it in under the lock (copy on write).

// States lists the states an account of the spec can be in: enabled and disabled always
// (a login refuses a disabled account with the flow's accountDisabled status, or its fallback),
// passwordExpired only when one of its logins takes a password. A spec whose login takes a
// company id or an API key has no password to expire, and an account in that state would answer
// "the password has expired" where the vendor never can.
func States(sp *specs.Spec) []specs.AccountState {
	out := []specs.AccountState{specs.StateEnabled, specs.StateDisabled}
	if takesPassword(sp) {
		out = append(out, specs.StatePasswordExpired)
	}
	for _, st := range sp.States {
		out = append(out, st.Name)
	}
	return out
}

// takesPassword reports whether one of the spec's logins reads a password.
func takesPassword(sp *specs.Spec) bool {
	for _, op := range sp.OperationsOf(specs.KindLogin) {
		if TakesPassword(&op.Flow) {
			return true
		}
	}
	return false
}

// TakesPassword: the login reads a secret account field (a password, a PIN), which can expire.
func TakesPassword(f *specs.Flow) bool {
	for _, c := range f.Credentials {
		if c.Secret() && c.Field != specs.FieldAPIKey {
			return true
		}
	}
	return false
}

// StateAllowed refuses a state the spec does not document, with the reason.
func StateAllowed(sp *specs.Spec, state specs.AccountState) error {
	if slices.Contains(States(sp), state) {
		return nil
	}
	return fmt.Errorf("state %s does not exist in spec %s: no login of it takes a password", state, sp.Name)
}

// maxAccounts bounds the accounts of one spec, so the admin API cannot grow memory without end.
const maxAccounts = 1000

var (
	ErrNoAccount       = errors.New("no such account")
	errTooManyAccounts = fmt.Errorf("a spec may have at most %d accounts", maxAccounts)
)

// Snapshot copies the current accounts.
func (a *Set) Snapshot() []specs.Account {
	a.mu.RLock()
	defer a.mu.RUnlock()
	out := make([]specs.Account, len(a.list))
	for i, acc := range a.list {
		out[i] = *acc
	}
	return out
}

// replace swaps in an index built from list.
func (a *Set) replace(list []specs.Account) {
	n := newIndex(a.spec, list)
	a.mu.Lock()
	a.index = n
	a.mu.Unlock()
}

// Replace makes list the accounts (as a store kept the admin API's changes), the configured
// ones staying what Reset goes back to.
func (a *Set) Replace(list []specs.Account) { a.replace(list) }

// Reset goes back to the accounts as configured.
func (a *Set) Reset() {
	a.mu.Lock()
	a.index = a.first
	a.mu.Unlock()
}

// SetState changes the state of the account with that id.
func (a *Set) SetState(id string, state specs.AccountState) (specs.Account, error) {
	list := a.Snapshot()
	i := slices.IndexFunc(list, func(acc specs.Account) bool { return acc.ID == id })
	if i < 0 {
		return specs.Account{}, ErrNoAccount
	}
	list[i].State = state
	a.replace(list)
	return list[i], nil
}

// Add adds an account after checking it as the config's are checked: normalized, and no id or
// identifying field's value taken.
func (a *Set) Add(acc specs.Account) (specs.Account, error) {
	if err := a.spec.Normalize(&acc); err != nil {
		return specs.Account{}, err
	}
	list := a.Snapshot()
	if len(list) >= maxAccounts {
		return specs.Account{}, errTooManyAccounts
	}
	if field, v, taken := a.Taken(list, acc); taken {
		return specs.Account{}, fmt.Errorf("an account with %s %q exists", field, v)
	}
	a.replace(append(list, acc))
	return acc, nil
}

// Taken names an identifying field (the id, or a field that is not secret) whose value acc shares
// with an account of list.
func (a *Set) Taken(list []specs.Account, acc specs.Account) (field, value string, ok bool) {
	fields := []string{specs.FieldID}
	for _, f := range a.spec.Fields {
		if !f.Secret {
			fields = append(fields, f.Name)
		}
	}
	for _, o := range list {
		for _, f := range fields {
			if v := acc.Value(f); v != "" && o.Value(f) == v {
				return f, v, true
			}
		}
	}
	return "", "", false
}

// Configured are the accounts as configured (before any change of the admin API).
func (a *Set) Configured() []specs.Account { return a.orig }
