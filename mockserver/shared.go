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

// storeUnavailable is the message of a request the state store failed.
const storeUnavailable = "the mock's state store is unavailable; try again when it is back"

// ErrStore marks an error of the state store (not of the request): the admin API answers 503.
var ErrStore = errors.New("the state store failed")

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
	b, ok, err := m.srv.store.Accounts(ctx, m.spec.Name)
	if err != nil {
		return fmt.Errorf("reading the accounts of %s: %w", m.spec.Name, err)
	}
	if !ok {
		m.accounts.Reset()
		return nil
	}
	var list []specs.Account
	if err := json.Unmarshal(b, &list); err != nil {
		return fmt.Errorf("the stored accounts of %s: %w", m.spec.Name, err)
	}
	m.accounts.Replace(list)
	return nil
}

// changeAccounts applies change to the mount's accounts, saves them and announces it; when the
// store fails, the accounts stay as they were.
func (m *mount) changeAccounts(ctx context.Context, change func() (specs.Account, error)) (specs.Account, error) {
	before := m.accounts.Snapshot()
	acc, err := change()
	if err != nil {
		return acc, err
	}
	b, err := json.Marshal(m.accounts.Snapshot())
	if err == nil {
		err = m.srv.store.SaveAccounts(ctx, m.spec.Name, b)
	}
	if err != nil {
		m.accounts.Replace(before)
		return specs.Account{}, fmt.Errorf("%w: saving the accounts: %w", ErrStore, err)
	}
	m.srv.announce(ctx, store.Change{What: store.ChangedAccounts, Scope: m.spec.Name})
	return acc, nil
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
		if _, saved, err := s.store.Accounts(ctx, m.spec.Name); err != nil || !saved {
			if err != nil {
				return fmt.Errorf("%w: %w", ErrStore, err)
			}
			continue
		}
		if err := s.store.SaveAccounts(ctx, m.spec.Name, nil); err != nil {
			return fmt.Errorf("%w: %w", ErrStore, err)
		}
		m.accounts.Reset()
		s.announce(ctx, store.Change{What: store.ChangedAccounts, Scope: m.spec.Name})
	}
	return nil
}
