package devtools

import (
	"context"
	"errors"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/authconform/authconform/mockserver"
	"github.com/authconform/authconform/mockserver/clock"
	"github.com/authconform/authconform/mockserver/store"
	"github.com/authconform/authconform/specs"
)

// Hot reload. Live is the mock as the serve command runs it: a Server that Reload replaces with
// one built from new specs and a new config, swapped in atomically, so a request is served
// wholly by the old or wholly by the new mounts. The new Server runs on the same store and clock,
// is given the same options (so the same extensions: the dev tools keep their fault queue,
// journal and session registry in the extension, not in the Server), and takes over the random
// signing keys of the specs it keeps, so tokens, revocations, API keys, the clock's offset and
// the journal survive a reload. Accounts come from the new files: changes made through the admin
// API are replaced by what the files now say.

// Live serves the current Server and replaces it on Reload.
type Live struct {
	cur   atomic.Pointer[mockserver.Server]
	mu    sync.Mutex // one reload at a time; guards list and cfg
	opts  []mockserver.Option
	base  []mockserver.Option // the caller's options: what a new world (a sandbox) is built with
	tools *Tools
	list  []*specs.Spec
	cfg   *mockserver.Config // the last reload's; nil: the options' own
	// backend gives each new world (a sandbox) its store: the sandbox's state where every replica
	// finds it.
	backend store.Backend
}

// NewLive builds the first Server as New does (the developer tools installed after the options'
// extensions), and keeps what a reload must share. Sandboxes it builds keep their state in
// memory.
func NewLive(list []*specs.Spec, opts ...mockserver.Option) (*Live, error) {
	return newLive(store.NewMemoryBackend(), list, opts)
}

// NewLiveOn is NewLive with every world's state in backend: the default world's (on a clock of
// its own, unless opts give one), and each sandbox's.
func NewLiveOn(backend store.Backend, list []*specs.Spec, opts ...mockserver.Option) (*Live, error) {
	c := clock.New()
	st, err := backend.World(store.DefaultWorld, c)
	if err != nil {
		return nil, err
	}
	return newLive(backend, list, append([]mockserver.Option{mockserver.WithClock(c), mockserver.WithStore(st)}, opts...))
}

func newLive(backend store.Backend, list []*specs.Spec, opts []mockserver.Option) (*Live, error) {
	tools := NewTools(Options{})
	l := &Live{opts: append(slices.Clip(opts), mockserver.WithExtension(tools)), base: slices.Clip(opts), tools: tools, list: list, backend: backend}
	s, err := mockserver.New(list, l.opts...)
	if err != nil {
		return nil, err
	}
	l.opts = append(l.opts, s.Shared()...) // its clock and store, for every Server after it
	l.cur.Store(s)
	return l, nil
}

// ServeHTTP hands the request to the current Server.
func (l *Live) ServeHTTP(w http.ResponseWriter, r *http.Request) { l.cur.Load().ServeHTTP(w, r) }

// Server returns the current Server.
func (l *Live) Server() *mockserver.Server { return l.cur.Load() }

// Reload builds a Server from list and cfg (nil: no config) and swaps it in. On error the
// current Server stays.
func (l *Live) Reload(list []*specs.Spec, cfg *mockserver.Config) error {
	if cfg == nil {
		cfg = &mockserver.Config{}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	next, err := mockserver.New(list, append(slices.Clip(l.opts), mockserver.WithConfig(cfg))...)
	if err != nil {
		return err
	}
	if err := next.DropAccountChanges(context.Background()); err != nil { // the files say what the accounts are
		next.Close()
		return err
	}
	old := l.cur.Load()
	next.TakeKeys(old)
	l.cur.Store(next)
	old.Close()
	l.list, l.cfg = list, cfg
	return nil
}

// Tools are the developer tools of the default world.
func (l *Live) Tools() *Tools { return l.tools }

// Backend is where the worlds' state lives.
func (l *Live) Backend() store.Backend { return l.backend }

// World builds the world of sandbox id from the current specs and config (a WorldFunc): a clock
// on real time, tools of its own, and the sandbox's store from the backend (empty, unless
// another replica on a shared backend has used the sandbox: then its state). It shares with the
// current Server what never changes once built (mockserver.WithTemplate: routers, validation,
// the operations' prepared parts, the configured accounts' index), so a world costs its state.
func (l *Live) World(id string) (*mockserver.Server, *Tools, error) {
	l.mu.Lock()
	list, cfg, tmpl := l.list, l.cfg, l.cur.Load()
	l.mu.Unlock()
	tools := NewTools(Options{})
	c := clock.New()
	st, err := l.backend.World(id, c)
	if err != nil {
		return nil, nil, store.Unavailable(err)
	}
	opts := append(slices.Clip(l.base), mockserver.WithClock(c), mockserver.WithStore(st), mockserver.WithTemplate(tmpl))
	if cfg != nil {
		opts = append(opts, mockserver.WithConfig(cfg))
	}
	s, err := mockserver.New(list, append(opts, mockserver.WithExtension(tools))...)
	return s, tools, err
}

// fileStamp is what Watch compares: a change of either means the file changed.
type fileStamp struct {
	mod  time.Time
	size int64
	err  bool
}

func stampOf(path string) fileStamp {
	st, err := os.Stat(path)
	if err != nil {
		return fileStamp{err: true}
	}
	return fileStamp{mod: st.ModTime(), size: st.Size()}
}

// ErrNothingToWatch: Watch was given no file.
var ErrNothingToWatch = errors.New("devtools: no file to watch")

// Watch polls the files every interval (their modification time and size) and calls changed
// after any of them changed, was removed or came back, until ctx ends. It needs no file-system
// notification API, so it works the same everywhere.
func Watch(ctx context.Context, interval time.Duration, paths []string, changed func()) error {
	if len(paths) == 0 {
		return ErrNothingToWatch
	}
	stamps := make([]fileStamp, len(paths))
	for i, p := range paths {
		stamps[i] = stampOf(p)
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		moved := false
		for i, p := range paths {
			if st := stampOf(p); st != stamps[i] {
				stamps[i], moved = st, true
			}
		}
		if moved {
			changed()
		}
	}
}
