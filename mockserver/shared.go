package mockserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/authconform/authconform/mockserver/clock"
	"github.com/authconform/authconform/mockserver/store"
	"github.com/authconform/authconform/mockserver/tokens"
	"github.com/authconform/authconform/specs"
)

// Shared state. Besides the flows' state, a world keeps a clock, a random signing key per spec,
// the opaque tokens it issued and the accounts the admin API changed. All of it lives in the
// store, so replicas on one shared store are one mock: each Server keeps a working copy of the
// clock, the keys and the accounts (read on every request), loads it in New, saves what it
// changes and announces the change (store.Changes), and reloads what another replica announces.
// Opaque tokens are asked of the store on every use.

// movable is a clock whose state the store can keep (clock.Controlled).
type movable interface {
	State() clock.State
	Restore(clock.State)
}

// loadShared brings the Server's working copy in line with the store: the clock (when the store
// has it moved) and the accounts the admin API changed. Random signing keys are the store's by
// tokens.Config.Share, when first used.
func (s *Server) loadShared(ctx context.Context, restoreClock bool) error {
	if c, ok := s.clock.(movable); ok {
		st, err := s.store.Clock(ctx)
		if err != nil {
			return fmt.Errorf("reading the clock: %w", err)
		}
		if st.Moved || restoreClock {
			c.Restore(st)
		}
	}
	for _, m := range s.mounts {
		if err := m.loadAccounts(ctx); err != nil {
			return err
		}
	}
	return nil
}

// loadAccounts makes the mount's accounts the ones the store keeps, or the configured ones when
// the admin API changed none.
func (m *mount) loadAccounts(ctx context.Context) error {
	m.accountsMu.Lock()
	defer m.accountsMu.Unlock()
	_, err := m.readAccounts(ctx)
	return err
}

// readAccounts makes the working copy the list the store keeps, and returns that list (nil when
// none is saved). m.accountsMu is held.
func (m *mount) readAccounts(ctx context.Context) ([]byte, error) {
	b, ok, err := m.srv.store.Accounts(ctx, m.spec.Name)
	if err != nil {
		return nil, fmt.Errorf("reading the accounts of %s: %w", m.spec.Name, err)
	}
	if !ok {
		m.accounts.Reset()
		return nil, nil
	}
	var list []specs.Account
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, fmt.Errorf("the stored accounts of %s: %w", m.spec.Name, err)
	}
	m.accounts.Replace(list)
	return b, nil
}

// maxAccountTries bounds how often a change of the accounts is made again on the list another
// replica saved meanwhile.
const maxAccountTries = 100

// changeAccounts applies change to the accounts as the store keeps them (not as this replica
// last heard of them, which may lack another replica's change), saves them unless another replica
// saved first (then again, on its list), and announces it. When the store fails, the accounts
// stay as they were.
func (m *mount) changeAccounts(ctx context.Context, change func() (specs.Account, error)) (specs.Account, error) {
	acc, err := m.saveAccountChange(ctx, change)
	if err == nil { // announced once the lock is let go: the announcement may wait for a replica's reload
		m.srv.announce(ctx, store.Change{What: store.ChangedAccounts, Scope: m.spec.Name})
	}
	return acc, err
}

func (m *mount) saveAccountChange(ctx context.Context, change func() (specs.Account, error)) (specs.Account, error) {
	m.accountsMu.Lock()
	defer m.accountsMu.Unlock()
	before := m.accounts.Snapshot()
	failed := func(err error) (specs.Account, error) {
		m.accounts.Replace(before)
		return specs.Account{}, store.Unavailable(err)
	}
	for range maxAccountTries {
		old, err := m.readAccounts(ctx)
		if err != nil {
			return failed(err)
		}
		acc, err := change()
		if err != nil {
			return acc, err // the working copy stays the store's list, newer than before
		}
		b, err := json.Marshal(m.accounts.Snapshot())
		if err != nil {
			return failed(err)
		}
		saved, err := m.srv.store.SaveAccountsIf(ctx, m.spec.Name, old, b)
		if err != nil {
			return failed(fmt.Errorf("saving the accounts: %w", err))
		}
		if saved {
			return acc, nil
		}
	}
	return failed(fmt.Errorf("the accounts of %s changed on other replicas %d times while this one changed them", m.spec.Name, maxAccountTries))
}

// SaveClock records where the clock was moved (the admin API moved it) and tells the other
// replicas.
func (s *Server) SaveClock(ctx context.Context) error {
	c, ok := s.clock.(movable)
	if !ok {
		return nil
	}
	if err := s.store.SaveClock(ctx, c.State()); err != nil {
		return err
	}
	s.announce(ctx, store.Change{What: store.ChangedClock})
	return nil
}

// announce tells the other replicas; a replica that misses it reloads on its next resync.
func (s *Server) announce(ctx context.Context, c store.Change) {
	if err := s.store.Announce(ctx, c); err != nil {
		s.log.Warn("could not tell the other replicas about a change", "change", c.What, "error", err)
	}
}

// applyChange reloads what another replica changed.
func (s *Server) applyChange(c store.Change) {
	ctx := context.Background()
	var err error
	switch c.What {
	case store.ChangedClock:
		if mc, ok := s.clock.(movable); ok {
			var st clock.State
			if st, err = s.store.Clock(ctx); err == nil {
				mc.Restore(st)
			}
		}
	case store.ChangedAccounts:
		if m := s.mountNamed(c.Scope); m != nil {
			err = m.loadAccounts(ctx)
		}
	case store.ChangedAll:
		s.forgetLocal()
		err = s.loadShared(ctx, true)
	default: // changes may have been missed: reload everything
		for _, m := range s.mounts {
			m.iss.Rotate() // the key is read again from the store when next used
		}
		err = s.loadShared(ctx, true)
	}
	if err != nil {
		s.log.Error("could not reload what another replica changed", "change", c.What, "error", err)
	}
	for _, fn := range s.tools.changeFns {
		fn(c)
	}
}

// forgetLocal forgets what this Server alone keeps: its random keys (the store's new ones are
// read when next used), and the tools' state (journal, sessions).
func (s *Server) forgetLocal() {
	for _, m := range s.mounts {
		m.iss.Rotate()
	}
	for _, fn := range s.tools.resetFns {
		fn()
	}
}

// Close stops listening to the other replicas' changes. A Server no longer served (replaced by a
// reload, a deleted sandbox) should be closed.
func (s *Server) Close() {
	if s.unwatch != nil {
		s.unwatch()
	}
}

// storeTable keeps a mount's opaque tokens in the store (tokens.Table).
type storeTable struct {
	st    Store
	scope string
}

func (t storeTable) Put(token string, c *tokens.Claims) error {
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	if c.ExpiresAt == nil {
		return errors.New("an opaque token without an expiry")
	}
	return t.st.PutToken(context.Background(), t.scope, token, b, c.ExpiresAt.Time)
}

func (t storeTable) Get(token string) (*tokens.Claims, bool, error) {
	b, ok, err := t.st.Token(context.Background(), t.scope, token)
	if err != nil || !ok {
		return nil, false, err
	}
	var c tokens.Claims
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, false, fmt.Errorf("the stored claims of an opaque token: %w", err)
	}
	return &c, true, nil
}

// Forget does nothing: the store's reset forgets the tokens.
func (storeTable) Forget() {}

// DropAccountChanges forgets the admin API's changes to the accounts, in the store too, and
// tells the other replicas: the accounts are the configured ones again (a reload of the files).
func (s *Server) DropAccountChanges(ctx context.Context) error {
	for _, m := range s.mounts {
		dropped, err := m.dropAccountChanges(ctx)
		if err != nil {
			return store.Unavailable(err)
		}
		if dropped {
			s.announce(ctx, store.Change{What: store.ChangedAccounts, Scope: m.spec.Name})
		}
	}
	return nil
}

func (m *mount) dropAccountChanges(ctx context.Context) (bool, error) {
	m.accountsMu.Lock()
	defer m.accountsMu.Unlock()
	if _, saved, err := m.srv.store.Accounts(ctx, m.spec.Name); err != nil || !saved {
		return false, err
	}
	if err := m.srv.store.SaveAccounts(ctx, m.spec.Name, nil); err != nil {
		return false, err
	}
	m.accounts.Reset()
	return true, nil
}
