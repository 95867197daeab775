package storetest

import (
	"context"
	"sync"

	"github.com/authconform/authconform/mockserver/clock"
	"github.com/authconform/authconform/mockserver/store"
)

// Shared returns n handles on one Memory store that announce their changes to each other, as
// replicas of the mock on one Redis do: replicas in one process, for tests of what the mock does
// with a shared store.
func Shared(c clock.Clock, n int) []store.Store {
	h := &hub{}
	m := store.NewMemory(c)
	out := make([]store.Store, n)
	for i := range out {
		out[i] = &replica{Memory: m, hub: h, id: i}
	}
	return out
}

type hub struct {
	mu       sync.Mutex
	watchers map[*watcher]int // -> the replica watching
}

type watcher struct {
	ch   chan store.Change
	done chan struct{}
}

// replica is one handle: the shared Memory, and announcements to the others.
type replica struct {
	*store.Memory
	hub *hub
	id  int
}

// Announce delivers c to every watcher of the other replicas, in order.
func (r *replica) Announce(_ context.Context, c store.Change) error {
	r.hub.mu.Lock()
	defer r.hub.mu.Unlock()
	for w, id := range r.hub.watchers {
		if id == r.id {
			continue
		}
		select {
		case w.ch <- c:
		case <-w.done:
		}
	}
	return nil
}

// Watch calls fn on one goroutine for each change another replica announces.
func (r *replica) Watch(fn func(store.Change)) (stop func()) {
	w := &watcher{ch: make(chan store.Change, 64), done: make(chan struct{})}
	r.hub.mu.Lock()
	if r.hub.watchers == nil {
		r.hub.watchers = map[*watcher]int{}
	}
	r.hub.watchers[w] = r.id
	r.hub.mu.Unlock()
	go func() {
		for {
			select {
			case c := <-w.ch:
				fn(c)
			case <-w.done:
				return
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			r.hub.mu.Lock()
			delete(r.hub.watchers, w)
			r.hub.mu.Unlock()
			close(w.done)
		})
	}
}

// SharedBackends returns n backends on one shared state, as replicas of the mock on one Redis
// hold them: one sandbox registry, and for each world one Memory store whose replicas announce
// their changes to each other.
func SharedBackends(n int) []store.Backend {
	s := &sharedWorlds{reg: store.NewMemoryBackend(), worlds: map[string][]store.Store{}, n: n}
	out := make([]store.Backend, n)
	for i := range out {
		out[i] = &sharedBackend{MemoryBackend: s.reg, s: s, i: i}
	}
	return out
}

type sharedWorlds struct {
	reg    *store.MemoryBackend
	mu     sync.Mutex
	worlds map[string][]store.Store
	n      int
}

type sharedBackend struct {
	*store.MemoryBackend // the registry, shared
	s                    *sharedWorlds
	i                    int
}

// World returns this replica's handle on the world's shared store.
func (b *sharedBackend) World(id string, c clock.Clock) (store.Store, error) {
	b.s.mu.Lock()
	defer b.s.mu.Unlock()
	w, ok := b.s.worlds[id]
	if !ok {
		w = Shared(c, b.s.n)
		b.s.worlds[id] = w
	}
	return w[b.i], nil
}
