package store

import (
	"context"
	"errors"
	"time"

	"github.com/authconform/authconform/mockserver/clock"
)

// The state of a world besides the flows': what several replicas of the mock must agree on to be
// one mock. Each replica keeps a working copy of the small, read-on-every-request parts (the
// clock, the signing keys, the accounts) and reloads it when another replica announces a change
// (Changes); what a request must never read stale (revocations, used refresh tokens, opaque
// tokens, API keys) it asks the store every time.

// Clocks keeps where the world's clock was moved to.
type Clocks interface {
	// Clock is the clock's state as last saved; the zero State (not moved) when none was.
	Clock(ctx context.Context) (clock.State, error)
	// SaveClock records the clock's state.
	SaveClock(ctx context.Context, st clock.State) error
}

// SigningKeys keeps the random signing key of each scope, so every replica signs and verifies
// with the same one.
type SigningKeys interface {
	// SigningKey returns the scope's key. When there is none yet it stores fresh (the caller's
	// new key) and returns it; when two replicas race, both get the first one stored.
	SigningKey(ctx context.Context, scope string, fresh []byte) ([]byte, error)
}

// OpaqueTokens keeps the claims of opaque tokens (format: opaque), which carry nothing
// themselves.
type OpaqueTokens interface {
	// PutToken remembers claims (encoded by the caller) under token until it expires.
	PutToken(ctx context.Context, scope, token string, claims []byte, until time.Time) error
	// Token returns the claims of a token PutToken remembered, and false for one it did not (or
	// that Reset forgot).
	Token(ctx context.Context, scope, token string) ([]byte, bool, error)
}

// AccountLists keeps the accounts of a scope as the admin API changed them (encoded by the
// caller), so they survive a restart when the store does.
type AccountLists interface {
	// Accounts returns the saved list, and false when the admin API changed nothing (the
	// configured accounts apply).
	Accounts(ctx context.Context, scope string) ([]byte, bool, error)
	// SaveAccounts records the list; nil forgets it (the configured accounts apply again).
	SaveAccounts(ctx context.Context, scope string, list []byte) error
	// SaveAccountsIf records list (nil forgets it) only if the saved list is still old (nil:
	// none saved), and reports whether it did: a change made from the list Accounts returned,
	// saved without undoing what another replica saved in between (the caller reads again and
	// retries).
	SaveAccountsIf(ctx context.Context, scope string, old, list []byte) (bool, error)
}

// FaultQueue keeps the faults the admin API queued ("the next N calls to operation X answer
// 555"): whichever replica a call reaches takes its fault.
type FaultQueue interface {
	// QueueFault adds f (its ID assigned here) at the end of the queue; ErrQueueFull when the
	// queue already holds max faults.
	QueueFault(ctx context.Context, f Fault, max int) (Fault, error)
	// TakeFault consumes one call of the first fault queued for the operation (f as it was
	// before, with Remaining counting this call); left is how many faults the queue holds after.
	TakeFault(ctx context.Context, spec, operation string) (f Fault, ok bool, left int, err error)
	// Faults lists the queue, first queued first.
	Faults(ctx context.Context) ([]Fault, error)
	// ClearFaults empties the queue.
	ClearFaults(ctx context.Context) error
}

// Fault is one queued fault: the operation it applies to, how many calls are left, and what the
// caller needs of it, encoded.
type Fault struct {
	ID        int
	Spec      string
	Operation string
	Remaining int
	Data      []byte
}

// ErrQueueFull: QueueFault past its max.
var ErrQueueFull = errors.New("the fault queue is full")

// Changes tells the other replicas sharing a store that something they keep a working copy of
// changed, so they reload it. A store without other replicas (Memory) announces nothing.
type Changes interface {
	// Announce tells the other replicas about c. The Redis store returns once every replica
	// listening has applied it (at most a bound, then with an error saying how many did not), so
	// the change is every replica's when the admin call that made it answers.
	Announce(ctx context.Context, c Change) error
	// Watch calls fn for every change another replica announces, until stop is called. fn runs
	// on one goroutine of the store, one change at a time.
	Watch(fn func(Change)) (stop func())
}

// Change is what Changes announces.
type Change struct {
	What  ChangeKind `json:"what"`
	Scope string     `json:"scope,omitempty"` // the spec whose accounts changed
}

// ChangeKind names what changed.
type ChangeKind string

const (
	ChangedClock    ChangeKind = "clock"    // Clock: the clock moved
	ChangedAccounts ChangeKind = "accounts" // AccountLists: an account of Scope changed
	ChangedFaults   ChangeKind = "faults"   // FaultQueue: a fault was queued or the queue cleared
	ChangedAll      ChangeKind = "reset"    // Reset: everything was forgotten
	// ChangedUnknown: changes may have been missed (the connection to the store was lost); a
	// replica reloads everything.
	ChangedUnknown ChangeKind = "resync"
)
