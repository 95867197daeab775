package mockserver

import (
	"time"

	"github.com/authconform/authconform/mockserver/clock"
)

// Clock is the mock's only source of time (package clock); every flow asks it.
type Clock = clock.Clock

// AdjustableClock is a Clock the admin API can move. A Clock given with WithClock that does not
// implement it makes POST /__authconform/clock answer 409.
type AdjustableClock = clock.Adjustable

// ControlledClock is real time (or a fixed base) that can be advanced, set and reset.
type ControlledClock = clock.Controlled

// NewClock returns a ControlledClock on real time.
func NewClock() *ControlledClock { return clock.New() }

// NewClockAt returns a ControlledClock whose base is fixed at t: time stands still unless moved.
func NewClockAt(t time.Time) *ControlledClock { return clock.At(t) }
