package mockserver

import (
	"context"
	"errors"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/authconform/authconform/specs"
)

// Hot reload. Live is the mock as the serve command runs it: a Server that Reload replaces with
// one built from new specs and a new config, swapped in atomically, so a request is served
// wholly by the old or wholly by the new mounts. The new Server runs on the same store and clock,
// is given the same options (so the same extensions: the dev tools keep their fault queue,
// journal and session registry in the extension, not in the Server), and takes over the random
// signing keys of the specs it keeps, so tokens, revocations, API keys, the clock's offset and
// the journal survive a reload. Accounts come from the new files: changes made through the admin API are
// replaced by what the files now say.

// Live serves the current Server and replaces it on Reload.
type Live struct {
	cur   atomic.Pointer[Server]
	mu    sync.Mutex // one reload at a time
	opts  []Option
	clock Clock
	store Store
}

// NewLive builds the first Server as New does, and keeps what a reload must share.
func NewLive(list []*specs.Spec, opts ...Option) (*Live, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	l := &Live{opts: opts, clock: o.clock, store: o.store}
	if l.clock == nil {
		l.clock = NewClock()
	}
	if l.store == nil {
		l.store = NewMemoryStore(l.clock)
	}
	s, err := New(list, l.with()...)
	if err != nil {
		return nil, err
	}
	l.cur.Store(s)
	return l, nil
}

func (l *Live) with(extra ...Option) []Option {
	out := append([]Option{}, l.opts...)
	out = append(out, WithClock(l.clock), WithStore(l.store))
	return append(out, extra...)
}

// ServeHTTP hands the request to the current Server.
func (l *Live) ServeHTTP(w http.ResponseWriter, r *http.Request) { l.cur.Load().ServeHTTP(w, r) }

// Server returns the current Server.
func (l *Live) Server() *Server { return l.cur.Load() }

// Reload builds a Server from list and cfg (nil: no config) and swaps it in. On error the
// current Server stays.
func (l *Live) Reload(list []*specs.Spec, cfg *Config) error {
	if cfg == nil {
		cfg = &Config{}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	next, err := New(list, l.with(WithConfig(cfg))...)
	if err != nil {
		return err
	}
	old := l.cur.Load()
	for _, m := range next.mounts {
		if o := old.mountNamed(m.spec.Name); o != nil {
			m.iss.TakeKey(o.iss)
		}
	}
	l.cur.Store(next)
	return nil
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
var ErrNothingToWatch = errors.New("mockserver: no file to watch")

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
