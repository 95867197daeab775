package mockserver

import (
	"sync"
	"time"
)

// Clock is the mock's only source of time. Flows, token signing and verification all ask it, so
// tests and the admin API can move time without waiting.
type Clock interface {
	Now() time.Time
}

// AdjustableClock is a Clock the admin API can move. A Clock given with WithClock that does not
// implement it makes POST /__authconform/clock answer 409.
type AdjustableClock interface {
	Clock
	Advance(d time.Duration)
	Set(t time.Time)
	Reset()
}

// ControlledClock follows a base clock (real time by default) plus an offset that Advance and Set
// change; it is safe for concurrent use.
type ControlledClock struct {
	base   func() time.Time
	mu     sync.RWMutex
	offset time.Duration
}

var _ AdjustableClock = (*ControlledClock)(nil)

// NewClock returns a ControlledClock on real time.
func NewClock() *ControlledClock { return &ControlledClock{base: time.Now} }

// NewClockAt returns a ControlledClock whose base is fixed at t: time stands still unless moved.
// Tests use it to get exact lifetimes.
func NewClockAt(t time.Time) *ControlledClock {
	return &ControlledClock{base: func() time.Time { return t }}
}

// Now returns the base time plus the offset.
func (c *ControlledClock) Now() time.Time {
	c.mu.RLock()
	off := c.offset
	c.mu.RUnlock()
	return c.base().Add(off)
}

// Advance moves the clock by d (negative goes back).
func (c *ControlledClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

// Set makes Now return t from here on, still running with the base clock.
func (c *ControlledClock) Set(t time.Time) {
	c.mu.Lock()
	c.offset = t.Sub(c.base())
	c.mu.Unlock()
}

// Reset goes back to the base clock.
func (c *ControlledClock) Reset() {
	c.mu.Lock()
	c.offset = 0
	c.mu.Unlock()
}
