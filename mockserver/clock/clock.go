package clock

import (
	"sync"
	"time"
)

// Clock is the mock's only source of time. Flows, token signing and verification all ask it, so
// tests and the admin API can move time without waiting.
type Clock interface {
	Now() time.Time
}

// Adjustable is a Clock the admin API can move. A Clock given with WithClock that does not
// implement it makes POST /__authconform/clock answer 409.
type Adjustable interface {
	Clock
	Advance(d time.Duration)
	Set(t time.Time)
	Reset()
}

// Controlled follows a base clock (real time by default), moved by Advance and Set; it is
// safe for concurrent use. A moved clock is kept as the time it was set to and the base time at
// that moment, not as an offset from the base: a time.Duration spans only ±292 years, so an
// offset would wrap silently on a clock set to year 9999 or advanced twice by 2562047h.
type Controlled struct {
	base   func() time.Time
	mu     sync.RWMutex
	moved  bool
	at     time.Time // what Now returned when the clock was last moved
	anchor time.Time // the base time at that moment
}

var _ Adjustable = (*Controlled)(nil)

// New returns a Controlled on real time.
func New() *Controlled { return &Controlled{base: time.Now} }

// At returns a Controlled whose base is fixed at t: time stands still unless moved.
// Tests use it to get exact lifetimes.
func At(t time.Time) *Controlled {
	return &Controlled{base: func() time.Time { return t }}
}

// Now returns the base time, or, once moved, the time it was moved to plus the base time elapsed
// since.
func (c *Controlled) Now() time.Time {
	c.mu.RLock()
	moved, at, anchor := c.moved, c.at, c.anchor
	c.mu.RUnlock()
	now := c.base()
	if !moved {
		return now
	}
	return at.Add(now.Sub(anchor))
}

// Advance moves the clock by d (negative goes back).
func (c *Controlled) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.base()
	at := now
	if c.moved {
		at = c.at.Add(now.Sub(c.anchor))
	}
	c.moved, c.at, c.anchor = true, at.Add(d), now
}

// Set makes Now return t from here on, still running with the base clock.
func (c *Controlled) Set(t time.Time) {
	c.mu.Lock()
	c.moved, c.at, c.anchor = true, t, c.base()
	c.mu.Unlock()
}

// Reset goes back to the base clock.
func (c *Controlled) Reset() {
	c.mu.Lock()
	c.moved = false
	c.mu.Unlock()
}

// State is where a Controlled clock was moved to, as a store keeps it so that every replica of
// the mock shows the same time: not moved (real time), or At at the base time Anchor.
type State struct {
	Moved  bool      `json:"moved"`
	At     time.Time `json:"at,omitzero"`
	Anchor time.Time `json:"anchor,omitzero"`
}

// State returns where the clock was moved to.
func (c *Controlled) State() State {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if !c.moved {
		return State{}
	}
	return State{Moved: true, At: c.at, Anchor: c.anchor}
}

// Restore moves the clock to st (as another replica moved its own). Replicas must share their
// base clock (real time, kept by NTP) for st to mean the same time on each.
func (c *Controlled) Restore(st State) {
	c.mu.Lock()
	c.moved, c.at, c.anchor = st.Moved, st.At, st.Anchor
	c.mu.Unlock()
}
