package mockserver

import (
	"errors"
	"fmt"
	"slices"

	"github.com/authconform/authconform/specs"
)

// The admin API changes accounts at run time (disable, expire a password, add one). Flows hold
// the *specs.Account they found, so an account is never changed in place: every change builds a
// new index from a changed copy of the list and swaps it in under the lock (copy on write).

// accountStates lists the states an account of the spec can be in: enabled and disabled always
// (a login refuses a disabled account with the flow's accountDisabled status, or its fallback),
// passwordExpired only when one of its logins takes a password. A spec whose login takes a
// company id or an API key has no password to expire, and an account in that state would answer
// "the password has expired" where the vendor never can.
func accountStates(sp *specs.Spec) []specs.AccountState {
	out := []specs.AccountState{specs.StateEnabled, specs.StateDisabled}
	if takesPassword(sp) {
		out = append(out, specs.StatePasswordExpired)
	}
	return out
}

// takesPassword reports whether one of the spec's logins reads a password.
func takesPassword(sp *specs.Spec) bool {
	for _, op := range sp.OperationsOf(specs.KindLogin) {
		if flowTakesPassword(&op.Flow) {
			return true
		}
	}
	return false
}

func flowTakesPassword(f *specs.Flow) bool {
	for _, c := range f.Credentials {
		if c.Field == specs.FieldPassword {
			return true
		}
	}
	return false
}

// stateAllowed refuses a state the spec does not document, with the reason.
func stateAllowed(sp *specs.Spec, state specs.AccountState) error {
	if slices.Contains(accountStates(sp), state) {
		return nil
	}
	return fmt.Errorf("state %s does not exist in spec %s: no login of it takes a password", state, sp.Name)
}

// maxAccounts bounds the accounts of one spec, so the admin API cannot grow memory without end.
const maxAccounts = 1000

var (
	errNoAccount       = errors.New("no such account")
	errTooManyAccounts = fmt.Errorf("a spec may have at most %d accounts", maxAccounts)
)

// snapshot copies the current accounts.
func (a *accounts) snapshot() []specs.Account {
	a.mu.RLock()
	defer a.mu.RUnlock()
	out := make([]specs.Account, len(a.list))
	for i, acc := range a.list {
		out[i] = *acc
	}
	return out
}

// replace swaps in an index built from list.
func (a *accounts) replace(list []specs.Account) {
	n := newAccounts(list)
	a.mu.Lock()
	a.list, a.byField, a.keys = n.list, n.byField, n.keys
	a.mu.Unlock()
}

// reset goes back to the accounts as configured.
func (a *accounts) reset() { a.replace(a.orig) }

// setState changes the state of the account with that id.
func (a *accounts) setState(id string, state specs.AccountState) (specs.Account, error) {
	list := a.snapshot()
	i := slices.IndexFunc(list, func(acc specs.Account) bool { return acc.ID == id })
	if i < 0 {
		return specs.Account{}, errNoAccount
	}
	list[i].State = state
	a.replace(list)
	return list[i], nil
}

// add adds an account after checking it as the config's are checked: normalized, and no id,
// username or company id taken.
func (a *accounts) add(acc specs.Account) (specs.Account, error) {
	if err := acc.Normalize(); err != nil {
		return specs.Account{}, err
	}
	list := a.snapshot()
	if len(list) >= maxAccounts {
		return specs.Account{}, errTooManyAccounts
	}
	for _, o := range list {
		switch {
		case o.ID == acc.ID:
			return specs.Account{}, fmt.Errorf("an account with id %q exists", acc.ID)
		case acc.Username != "" && o.Username == acc.Username:
			return specs.Account{}, fmt.Errorf("an account with username %q exists", acc.Username)
		case acc.CompanyID != "" && o.CompanyID == acc.CompanyID:
			return specs.Account{}, fmt.Errorf("an account with companyId %q exists", acc.CompanyID)
		}
	}
	a.replace(append(list, acc))
	return acc, nil
}
