package store

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/authconform/authconform/mockserver/clock"
)

// Backend is where the state of every world of a mock lives: a Store per sandbox (the default
// world is the sandbox DefaultWorld), and the registry of the sandboxes. Replicas of the mock
// on one shared backend (Redis) see the same sandboxes with the same state.
type Backend interface {
	// World is the store of sandbox id, on its clock c. Called again with the same id (another
	// replica, a sandbox deleted and created again), it is the same state.
	World(id string, c clock.Clock) (Store, error)
	Registry
	// Close releases the backend's connections; the stores of its worlds stop working.
	Close() error
}

// DefaultWorld is the id of the default sandbox: the mock as it is without sandboxes.
const DefaultWorld = "default"

// Registry keeps the sandboxes that exist besides the default one.
type Registry interface {
	// AddSandbox registers sb; false when a sandbox of that id exists (it stays as it is), and
	// ErrTooManySandboxes when max exist already.
	AddSandbox(ctx context.Context, sb Sandbox, max int) (created bool, err error)
	// Sandbox returns the sandbox of that id, and false when there is none.
	Sandbox(ctx context.Context, id string) (Sandbox, bool, error)
	// Sandboxes lists them, oldest first (then by id).
	Sandboxes(ctx context.Context) ([]Sandbox, error)
	// TouchSandbox records a request to the sandbox at (the latest wins); false when it no
	// longer exists.
	TouchSandbox(ctx context.Context, id string, at time.Time) (bool, error)
	// DeleteSandbox removes it from the registry (its world's state is the caller's to reset);
	// false when there was none.
	DeleteSandbox(ctx context.Context, id string) (bool, error)
}

// Sandbox is a sandbox as the registry keeps it. Times are wall-clock time, never a world's
// clock: a sandbox expires after Idle without a request, whatever its clock shows.
type Sandbox struct {
	ID      string        `json:"id"`
	Created time.Time     `json:"created"`
	Used    time.Time     `json:"used"` // its last request (on any replica, to within a touch interval)
	Idle    time.Duration `json:"idle"`
}

// Expired reports whether the sandbox saw no request for its idle time at now.
func (s Sandbox) Expired(now time.Time) bool { return now.Sub(s.Used) > s.Idle }

// ErrTooManySandboxes: AddSandbox past its max.
var ErrTooManySandboxes = errors.New("too many sandboxes")

// MemoryBackend keeps every world in this process: a new Memory store for each World call (a
// restart, or a sandbox deleted and created again, starts empty), and the registry in a map.
type MemoryBackend struct {
	mu    sync.Mutex
	boxes map[string]Sandbox
}

var _ Backend = (*MemoryBackend)(nil)

// NewMemoryBackend returns an empty MemoryBackend.
func NewMemoryBackend() *MemoryBackend { return &MemoryBackend{boxes: map[string]Sandbox{}} }

// World implements Backend: a new, empty Memory store. One process holds one Server per world,
// which keeps the store it was given.
func (*MemoryBackend) World(_ string, c clock.Clock) (Store, error) { return NewMemory(c), nil }

// Close implements Backend.
func (*MemoryBackend) Close() error { return nil }

// AddSandbox implements Registry.
func (b *MemoryBackend) AddSandbox(_ context.Context, sb Sandbox, maxBoxes int) (bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.boxes[sb.ID]; ok {
		return false, nil
	}
	if len(b.boxes) >= maxBoxes {
		return false, ErrTooManySandboxes
	}
	b.boxes[sb.ID] = sb
	return true, nil
}

// Sandbox implements Registry.
func (b *MemoryBackend) Sandbox(_ context.Context, id string) (Sandbox, bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	sb, ok := b.boxes[id]
	return sb, ok, nil
}

// Sandboxes implements Registry.
func (b *MemoryBackend) Sandboxes(context.Context) ([]Sandbox, error) {
	b.mu.Lock()
	out := make([]Sandbox, 0, len(b.boxes))
	for _, sb := range b.boxes {
		out = append(out, sb)
	}
	b.mu.Unlock()
	SortSandboxes(out)
	return out, nil
}

// SortSandboxes orders sandboxes as Sandboxes lists them: oldest first, then by id.
func SortSandboxes(list []Sandbox) {
	slices.SortFunc(list, func(a, b Sandbox) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
}

// TouchSandbox implements Registry.
func (b *MemoryBackend) TouchSandbox(_ context.Context, id string, at time.Time) (bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	sb, ok := b.boxes[id]
	if !ok {
		return false, nil
	}
	if at.After(sb.Used) {
		sb.Used = at
		b.boxes[id] = sb
	}
	return true, nil
}

// DeleteSandbox implements Registry.
func (b *MemoryBackend) DeleteSandbox(_ context.Context, id string) (bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	_, ok := b.boxes[id]
	delete(b.boxes, id)
	return ok, nil
}
