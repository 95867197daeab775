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
