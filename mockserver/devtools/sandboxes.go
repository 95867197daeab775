package devtools

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/authconform/authconform/mockserver"
	"github.com/authconform/authconform/mockserver/clock"
	"github.com/authconform/authconform/mockserver/store"
	"github.com/authconform/authconform/specs"
)

// Sandboxes. A sandbox is an isolated world inside one mock: a Server of its own, built from the
// same specs and config, so it has its own clock, sessions, revocations, used refresh tokens, API
// keys, accounts changed through the admin API, fault queue, journal and signing keys. The
// default sandbox is the mock as it always was. A request reaches a sandbox by the path prefix
// /__sandbox/{id}/ (stripped before the sandbox sees the request), or by the Authconform-Sandbox
// header; POST, GET and DELETE /__authconform/sandboxes manage them.

// SandboxPrefix starts the path of a request to a sandbox: /__sandbox/{id}/ and then the path the
// sandbox serves, its admin API included.
const SandboxPrefix = "/__sandbox/"

// SandboxHeader names a sandbox for a request that does not use the path prefix.
const SandboxHeader = "Authconform-Sandbox"

// Sandbox defaults.
const (
	DefaultMaxSandboxes = 1000
	DefaultSandboxIdle  = time.Hour
	defaultSandboxID    = "default"
)

// SandboxOptions configure the sandboxes of a mock.
type SandboxOptions struct {
	// Explicit makes a request to an unknown sandbox answer 404; otherwise (auto) it creates it.
	Explicit bool
	// Max caps how many sandboxes exist besides the default (0: DefaultMaxSandboxes).
	Max int
	// Idle is how long a sandbox lives without a request (0: DefaultSandboxIdle).
	Idle time.Duration
	// Now is the wall clock idle time is measured on (nil: time.Now); never the mock's clock.
	Now func() time.Time
	// Registry keeps which sandboxes exist (nil: one in this process). Replicas of the mock on a
	// shared backend give theirs, so a sandbox made through one is served by all.
	Registry store.Registry
	// Reset forgets the state of a sandbox's world without building it (its store, when a
	// sandbox this process never served expires or is deleted); nil: the Registry's, when it is a
	// store.Backend (its World's Reset).
	Reset func(ctx context.Context, id string) error
}

// WorldFunc builds the world of sandbox id: a Server with its own clock and store, and the Tools
// installed in it.
type WorldFunc func(id string) (*mockserver.Server, *Tools, error)

// Sandboxes routes requests to the default world or to a sandbox, and keeps the sandboxes: the
// registry (shared by replicas) says which exist; each process builds the worlds it serves.
type Sandboxes struct {
	def   http.Handler
	build WorldFunc
	opts  SandboxOptions
	reg   store.Registry
	mu    sync.Mutex
	boxes map[string]*sandbox // the worlds this process built
	// building are the sandboxes whose world is being built, outside the lock (a world takes a
	// millisecond or more); the channel closes when it is done.
	building map[string]chan struct{}
	swept    time.Time // the last sweep
	listed   time.Time // the last sweep that read the registry
}

type sandbox struct {
	id      string
	srv     *mockserver.Server
	tools   *Tools
	created time.Time
	used    time.Time // guarded by Sandboxes.mu
	touched time.Time // when the registry last heard of a request here; guarded by Sandboxes.mu
	idle    time.Duration
}

// NewSandboxes serves def as the default sandbox and builds the others with build. The default
// world's tools (tools) serve the lifecycle API: give the Tools installed in def's Server.
func NewSandboxes(def http.Handler, tools *Tools, build WorldFunc, o SandboxOptions) *Sandboxes {
	if o.Max <= 0 {
		o.Max = DefaultMaxSandboxes
	}
	if o.Idle <= 0 {
		o.Idle = DefaultSandboxIdle
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Registry == nil {
		o.Registry = store.NewMemoryBackend()
	}
	if b, ok := o.Registry.(store.Backend); ok && o.Reset == nil {
		o.Reset = func(ctx context.Context, id string) error {
			st, err := b.World(id, clock.New())
			if err != nil {
				return err
			}
			return st.Reset(ctx)
		}
	}
	sb := &Sandboxes{def: def, build: build, opts: o, reg: o.Registry, boxes: map[string]*sandbox{}, building: map[string]chan struct{}{}}
	if tools != nil {
		tools.sandboxes = sb
	}
	return sb
}

// sandboxIDPattern is what a sandbox id may be: it stands in a URL path and a header.
var sandboxIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// errSandbox is a refusal of the sandbox layer, with its status.
type errSandbox struct {
	status int
	msg    string
}

func (e *errSandbox) Error() string { return e.msg }

// ServeHTTP sends the request to the sandbox it names, or to the default one.
func (sb *Sandboxes) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id, rest, prefixed := cutSandboxPath(r.URL.Path)
	if !prefixed {
		id = r.Header.Get(SandboxHeader)
	}
	if id == "" || id == defaultSandboxID && !prefixed {
		sb.def.ServeHTTP(w, r)
		return
	}
	box, err := sb.get(id, !sb.opts.Explicit)
	if err != nil {
		writeSandboxError(w, err)
		return
	}
	if box == nil { // the default, by its prefix
		sb.def.ServeHTTP(w, stripped(r, rest))
		return
	}
	if prefixed {
		r = stripped(r, rest)
	}
	box.srv.ServeHTTP(w, r)
}

// cutSandboxPath splits /__sandbox/{id}/rest into id and /rest.
func cutSandboxPath(p string) (id, rest string, ok bool) {
	after, ok := strings.CutPrefix(p, SandboxPrefix)
	if !ok {
		return "", "", false
	}
	id, rest, _ = strings.Cut(after, "/")
	return id, "/" + rest, true
}

// stripped is r with path rest: a shallow copy with its own URL, as http.StripPrefix makes
// (a deep Clone copied every header of every request to a sandbox).
func stripped(r *http.Request, rest string) *http.Request {
	r2 := new(http.Request)
	*r2 = *r
	u := *r.URL
	u.Path, u.RawPath = rest, ""
	r2.URL = &u
	return r2
}

// touchEvery is how often a process tells the registry that a sandbox it serves is in use
// (TouchSandbox), at most; idle times are measured to within it.
func (sb *Sandboxes) touchEvery(idle time.Duration) time.Duration { return min(idle/4, 30*time.Second) }

// get returns the sandbox id (nil for the default), creating it when create is set.
func (sb *Sandboxes) get(id string, create bool) (*sandbox, error) {
	if id == defaultSandboxID {
		return nil, nil
	}
	if !sandboxIDPattern.MatchString(id) {
		return nil, &errSandbox{http.StatusBadRequest, fmt.Sprintf("%q is not a sandbox id: letters, digits, '.', '_' and '-', at most 64, starting with a letter or digit", id)}
	}
	ctx := context.Background()
	for {
		now := sb.opts.Now()
		sb.mu.Lock()
		sb.sweep(ctx, now)
		box, wait, rec, err := sb.find(ctx, id, create, now)
		if wait != nil { // another request is building it: wait for that one
			sb.mu.Unlock()
			<-wait
			continue
		}
		if box != nil || err != nil {
			sb.mu.Unlock()
			return box, err
		}
		return sb.open(rec) // unlocks
	}
}

// find returns the world of sandbox id that this process built, or a channel to wait on while
// another request builds it, or the registered sandbox whose world to build (registering it when
// create is set). sb.mu is held.
func (sb *Sandboxes) find(ctx context.Context, id string, create bool, now time.Time) (*sandbox, chan struct{}, store.Sandbox, error) {
	if box := sb.boxes[id]; box != nil {
		box.used = now
		if now.Sub(box.touched) < sb.touchEvery(box.idle) {
			return box, nil, store.Sandbox{}, nil
		}
		alive, err := sb.reg.TouchSandbox(ctx, id, now)
		if err != nil {
			return nil, nil, store.Sandbox{}, storeError(err)
		}
		if alive {
			box.touched = now
			return box, nil, store.Sandbox{}, nil
		}
		sb.drop(box) // deleted through another replica
	}
	if done := sb.building[id]; done != nil {
		return nil, done, store.Sandbox{}, nil
	}
	rec, ok, err := sb.reg.Sandbox(ctx, id)
	if err != nil {
		return nil, nil, rec, storeError(err)
	}
	if ok && rec.Expired(now) {
		if err := sb.remove(ctx, id, nil); err != nil {
			return nil, nil, rec, err
		}
		ok = false
	}
	if !ok && !create {
		return nil, nil, rec, &errSandbox{http.StatusNotFound, fmt.Sprintf("no sandbox %q; this mock creates sandboxes only by POST %ssandboxes (--sandboxes explicit)", id, mockserver.AdminPrefix)}
	}
	if !ok {
		rec = store.Sandbox{ID: id, Created: now, Used: now, Idle: sb.opts.Idle}
		if _, err := sb.register(ctx, rec); err != nil {
			return nil, nil, rec, err
		}
	}
	return nil, nil, rec, nil
}

// register adds rec to the registry; false when it existed.
func (sb *Sandboxes) register(ctx context.Context, rec store.Sandbox) (bool, error) {
	created, err := sb.reg.AddSandbox(ctx, rec, sb.opts.Max)
	switch {
	case errors.Is(err, store.ErrTooManySandboxes):
		return false, &errSandbox{http.StatusTooManyRequests, fmt.Sprintf("this mock holds %d sandboxes, its limit (--max-sandboxes); delete one (DELETE %ssandboxes/{id}) or wait until an idle one expires", sb.opts.Max, mockserver.AdminPrefix)}
	case err != nil:
		return false, storeError(err)
	}
	return created, nil
}

// open builds the world of a registered sandbox in this process: sb.mu is held on entry,
// released while the world is built (others asking for it wait), and not held on return.
func (sb *Sandboxes) open(rec store.Sandbox) (*sandbox, error) {
	done := make(chan struct{})
	sb.building[rec.ID] = done
	sb.mu.Unlock()
	srv, tools, err := sb.build(rec.ID)
	now := sb.opts.Now()
	sb.mu.Lock()
	defer sb.mu.Unlock()
	delete(sb.building, rec.ID)
	close(done)
	if err != nil {
		return nil, err
	}
	box := &sandbox{id: rec.ID, srv: srv, tools: tools, created: rec.Created, used: now, touched: now, idle: rec.Idle}
	sb.boxes[rec.ID] = box
	return box, nil
}

// drop forgets the world this process built for a sandbox; sb.mu is held.
func (sb *Sandboxes) drop(box *sandbox) {
	delete(sb.boxes, box.id)
	box.srv.Close()
}

// remove deletes sandbox id: from the registry, its state (through box, the world this
// process built, or the backend), and this process's world. sb.mu is held.
func (sb *Sandboxes) remove(ctx context.Context, id string, box *sandbox) error {
	if _, err := sb.reg.DeleteSandbox(ctx, id); err != nil {
		return storeError(err)
	}
	var err error
	switch {
	case box != nil:
		err = box.srv.Reset(ctx) // every replica serving it resets too
		sb.drop(box)
	case sb.opts.Reset != nil:
		err = sb.opts.Reset(ctx, id)
	}
	if err != nil {
		return storeError(err)
	}
	return nil
}

// storeError is a failure of the registry or a sandbox's store: 503 (writeSandboxError).
func storeError(err error) error { return store.Unavailable(err) }

// sweepEvery is how often the sandboxes are swept of idle ones, at most.
const sweepEvery = time.Second

// sweep forgets the sandboxes idle past their time; sb.mu is held. A sandbox this process serves
// is idle only when the registry agrees (another replica may have served it since); the
// registry's other sandboxes (made through a replica that has gone) are swept there.
func (sb *Sandboxes) sweep(ctx context.Context, now time.Time) {
	if now.Sub(sb.swept) < sweepEvery {
		return
	}
	sb.swept = now
	idleHere := false
	for _, box := range sb.boxes {
		if now.Sub(box.used) > box.idle {
			idleHere = true
		}
	}
	if !idleHere && now.Sub(sb.listed) < time.Minute {
		return
	}
	list, err := sb.reg.Sandboxes(ctx)
	if err != nil {
		return // swept when the store is back
	}
	sb.listed = now
	known := map[string]bool{}
	for _, rec := range list {
		known[rec.ID] = true
		box := sb.boxes[rec.ID]
		if box != nil && box.used.After(rec.Used) {
			rec.Used = box.used
		}
		if !rec.Expired(now) {
			if box != nil {
				box.used = rec.Used
			}
			continue
		}
		_ = sb.remove(ctx, rec.ID, box)
	}
	for id, box := range sb.boxes {
		if !known[id] { // deleted through another replica
			sb.drop(box)
		}
	}
}

// sandboxView is a sandbox as the lifecycle API shows it.
type sandboxView struct {
	ID       string    `json:"id"`
	BaseURL  string    `json:"baseURL"`
	Created  time.Time `json:"created"`
	Expires  time.Time `json:"expires"`  // when it goes if it sees no request before
	Age      string    `json:"age"`      // since it was created
	Idle     string    `json:"idle"`     // since its last request
	Sessions int       `json:"sessions"` // sessions its session registry lists
}

func (sb *Sandboxes) view(r *http.Request, rec store.Sandbox, now time.Time) sandboxView {
	if box := sb.boxes[rec.ID]; box != nil && box.used.After(rec.Used) {
		rec.Used = box.used
	}
	v := sandboxView{ID: rec.ID, BaseURL: baseURLOf(r) + SandboxPrefix + rec.ID, Created: rec.Created.UTC(),
		Expires: rec.Used.Add(rec.Idle).UTC(), Age: now.Sub(rec.Created).Round(time.Second).String(), Idle: now.Sub(rec.Used).Round(time.Second).String()}
	if box := sb.boxes[rec.ID]; box != nil && box.tools != nil {
		v.Sessions = box.tools.sessions.len()
	}
	return v
}

// baseURLOf is the scheme and host a client reached the mock by.
func baseURLOf(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// createRequest is the body of POST /__authconform/sandboxes (optional).
type createRequest struct {
	ID  string `json:"id"`
	TTL string `json:"ttl"` // idle time before it expires, e.g. 2h (default: the mock's --sandbox-idle)
}

// adminCreateSandbox serves POST /__authconform/sandboxes.
func (d *tooling) adminCreateSandbox(w http.ResponseWriter, r *http.Request) {
	sb := d.sandboxes
	if sb == nil {
		mockserver.WritePlain(w, http.StatusNotFound, "this mock serves no sandboxes; manage them at the mock's root, not inside a sandbox")
		return
	}
	var req createRequest
	body, err := io.ReadAll(io.LimitReader(r.Body, maxAdminBody))
	if err == nil && len(strings.TrimSpace(string(body))) > 0 {
		dec := json.NewDecoder(strings.NewReader(string(body)))
		dec.DisallowUnknownFields()
		if err = dec.Decode(&req); err == nil && dec.More() {
			err = errors.New("data after the JSON object")
		}
	}
	if err != nil {
		mockserver.WritePlain(w, http.StatusBadRequest, "body: want {\"id\": \"alice\", \"ttl\": \"2h\"} (both optional): "+err.Error())
		return
	}
	idle := sb.opts.Idle
	if req.TTL != "" {
		d, err := specs.ParseDuration(req.TTL)
		if err != nil || d.D() <= 0 {
			mockserver.WritePlain(w, http.StatusBadRequest, fmt.Sprintf("body /ttl: %q is not a positive duration; write it like 2h or 90m", req.TTL))
			return
		}
		idle = d.D()
	}
	if req.ID == "" {
		req.ID = "sb-" + strings.ToLower(rand.Text()[:12])
	}
	if req.ID == defaultSandboxID || !sandboxIDPattern.MatchString(req.ID) {
		mockserver.WritePlain(w, http.StatusBadRequest, fmt.Sprintf("body /id: %q is not a sandbox id of its own: letters, digits, '.', '_' and '-', at most 64, and not %q", req.ID, defaultSandboxID))
		return
	}
	now := sb.opts.Now()
	rec := store.Sandbox{ID: req.ID, Created: now, Used: now, Idle: idle}
	sb.mu.Lock()
	sb.sweep(r.Context(), now)
	if old, ok, err := sb.reg.Sandbox(r.Context(), req.ID); err == nil && ok && old.Expired(now) {
		err = sb.remove(r.Context(), req.ID, sb.boxes[req.ID])
		if err != nil {
			sb.mu.Unlock()
			writeSandboxError(w, err)
			return
		}
	}
	created, err := sb.register(r.Context(), rec)
	if err == nil && !created {
		err = &errSandbox{http.StatusConflict, fmt.Sprintf("sandbox %q exists; DELETE it first, or use it as it is", req.ID)}
	}
	if err != nil {
		sb.mu.Unlock()
		writeSandboxError(w, err)
		return
	}
	if _, err := sb.open(rec); err != nil { // unlocks
		_, _ = sb.reg.DeleteSandbox(r.Context(), req.ID)
		writeSandboxError(w, err)
		return
	}
	sb.mu.Lock()
	v := sb.view(r, rec, now)
	sb.mu.Unlock()
	mockserver.WriteJSON(w, http.StatusCreated, v)
}

// writeSandboxError answers a refusal of the sandbox layer with its status, or 500.
func writeSandboxError(w http.ResponseWriter, err error) {
	var e *errSandbox
	if errors.As(err, &e) {
		mockserver.WritePlain(w, e.status, e.msg)
		return
	}
	if errors.Is(err, store.ErrUnavailable) { // the cause may name the store's address: not on the wire
		w.Header().Set("Retry-After", "1")
		mockserver.WritePlain(w, http.StatusServiceUnavailable, "the mock's state store is unavailable; try again when it is back ("+mockserver.AdminPrefix+"health tells)")
		return
	}
	mockserver.WritePlain(w, http.StatusInternalServerError, "the sandbox could not be built: "+err.Error())
}

// adminListSandboxes serves GET /__authconform/sandboxes.
func (d *tooling) adminListSandboxes(w http.ResponseWriter, r *http.Request) {
	sb := d.sandboxes
	if sb == nil { // inside a sandbox, or a mock built without them
		mockserver.WriteJSON(w, http.StatusOK, map[string]any{"mode": "off", "sandboxes": []sandboxView{}})
		return
	}
	now := sb.opts.Now()
	sb.mu.Lock()
	defer sb.mu.Unlock()
	sb.sweep(r.Context(), now)
	list, err := sb.reg.Sandboxes(r.Context())
	if err != nil {
		writeSandboxError(w, storeError(err))
		return
	}
	out := []sandboxView{}
	for _, rec := range list {
		if !rec.Expired(now) {
			out = append(out, sb.view(r, rec, now))
		}
	}
	mode := "auto"
	if sb.opts.Explicit {
		mode = "explicit"
	}
	mockserver.WriteJSON(w, http.StatusOK, map[string]any{"mode": mode, "max": sb.opts.Max, "idle": sb.opts.Idle.String(), "sandboxes": out})
}

// adminDeleteSandbox serves DELETE /__authconform/sandboxes/{id}.
func (d *tooling) adminDeleteSandbox(w http.ResponseWriter, r *http.Request) {
	sb := d.sandboxes
	if sb == nil {
		mockserver.WritePlain(w, http.StatusNotFound, "this mock serves no sandboxes; manage them at the mock's root, not inside a sandbox")
		return
	}
	id := r.PathValue("id")
	if id == defaultSandboxID {
		mockserver.WritePlain(w, http.StatusConflict, "the default sandbox cannot be deleted; POST "+mockserver.AdminPrefix+"reset resets it")
		return
	}
	sb.mu.Lock()
	defer sb.mu.Unlock()
	rec, ok, err := sb.reg.Sandbox(r.Context(), id)
	if err != nil {
		writeSandboxError(w, storeError(err))
		return
	}
	if !ok || rec.Expired(sb.opts.Now()) {
		mockserver.WritePlain(w, http.StatusNotFound, fmt.Sprintf("no sandbox %q", id))
		return
	}
	if err := sb.remove(r.Context(), id, sb.boxes[id]); err != nil {
		writeSandboxError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
