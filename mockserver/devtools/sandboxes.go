package devtools

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/authconform/authconform/mockserver"
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
}

// WorldFunc builds a new, empty world: a Server with its own clock and store, and the Tools
// installed in it.
type WorldFunc func() (*mockserver.Server, *Tools, error)

// Sandboxes routes requests to the default world or to a sandbox, and keeps the sandboxes.
type Sandboxes struct {
	def   http.Handler
	build WorldFunc
	opts  SandboxOptions
	mu    sync.Mutex
	boxes map[string]*sandbox
	// building are the sandboxes whose world is being built, outside the lock (a world takes a
	// millisecond or more); the channel closes when it is done. They count towards the cap.
	building map[string]chan struct{}
	swept    time.Time
}

type sandbox struct {
	id      string
	srv     *mockserver.Server
	tools   *Tools
	created time.Time
	used    time.Time // guarded by Sandboxes.mu
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
	sb := &Sandboxes{def: def, build: build, opts: o, boxes: map[string]*sandbox{}, building: map[string]chan struct{}{}}
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
		var e *errSandbox
		if errors.As(err, &e) {
			mockserver.WritePlain(w, e.status, e.msg)
			return
		}
		mockserver.WritePlain(w, http.StatusInternalServerError, "the sandbox could not be built: "+err.Error())
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

// get returns the sandbox id (nil for the default), creating it when create is set.
func (sb *Sandboxes) get(id string, create bool) (*sandbox, error) {
	if id == defaultSandboxID {
		return nil, nil
	}
	if !sandboxIDPattern.MatchString(id) {
		return nil, &errSandbox{http.StatusBadRequest, fmt.Sprintf("%q is not a sandbox id: letters, digits, '.', '_' and '-', at most 64, starting with a letter or digit", id)}
	}
	for {
		now := sb.opts.Now()
		sb.mu.Lock()
		sb.sweep(now)
		if box := sb.boxes[id]; box != nil {
			box.used = now
			sb.mu.Unlock()
			return box, nil
		}
		if done := sb.building[id]; done != nil { // another request is creating it: wait for that one
			sb.mu.Unlock()
			<-done
			continue
		}
		if !create {
			sb.mu.Unlock()
			return nil, &errSandbox{http.StatusNotFound, fmt.Sprintf("no sandbox %q; this mock creates sandboxes only by POST %ssandboxes (--sandboxes explicit)", id, mockserver.AdminPrefix)}
		}
		return sb.add(id, sb.opts.Idle) // unlocks
	}
}

// add creates sandbox id: sb.mu is held on entry, released while its world is built, and not
// held on return.
func (sb *Sandboxes) add(id string, idle time.Duration) (*sandbox, error) {
	if n := len(sb.boxes) + len(sb.building); n >= sb.opts.Max {
		sb.mu.Unlock()
		return nil, &errSandbox{http.StatusTooManyRequests, fmt.Sprintf("this mock holds %d sandboxes, its limit (--max-sandboxes); delete one (DELETE %ssandboxes/{id}) or wait until an idle one expires", n, mockserver.AdminPrefix)}
	}
	done := make(chan struct{})
	sb.building[id] = done
	sb.mu.Unlock()
	srv, tools, err := sb.build()
	now := sb.opts.Now()
	sb.mu.Lock()
	defer sb.mu.Unlock()
	delete(sb.building, id)
	close(done)
	if err != nil {
		return nil, err
	}
	box := &sandbox{id: id, srv: srv, tools: tools, created: now, used: now, idle: idle}
	sb.boxes[id] = box
	return box, nil
}

// sweep forgets the sandboxes idle past their time, at most once a second; sb.mu is held.
func (sb *Sandboxes) sweep(now time.Time) {
	if now.Sub(sb.swept) < time.Second {
		return
	}
	sb.swept = now
	for id, box := range sb.boxes {
		if now.Sub(box.used) > box.idle {
			delete(sb.boxes, id)
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

// view shows box; sb.mu is held (box.used changes with every request to it).
func (sb *Sandboxes) view(r *http.Request, box *sandbox, now time.Time) sandboxView {
	v := sandboxView{ID: box.id, BaseURL: baseURLOf(r) + SandboxPrefix + box.id, Created: box.created.UTC(),
		Expires: box.used.Add(box.idle).UTC(), Age: now.Sub(box.created).Round(time.Second).String(), Idle: now.Sub(box.used).Round(time.Second).String()}
	if box.tools != nil {
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
	sb.mu.Lock()
	sb.sweep(sb.opts.Now())
	if sb.boxes[req.ID] != nil || sb.building[req.ID] != nil {
		sb.mu.Unlock()
		mockserver.WritePlain(w, http.StatusConflict, fmt.Sprintf("sandbox %q exists; DELETE it first, or use it as it is", req.ID))
		return
	}
	box, err := sb.add(req.ID, idle) // unlocks
	var v sandboxView
	if err == nil {
		sb.mu.Lock()
		v = sb.view(r, box, sb.opts.Now())
		sb.mu.Unlock()
	}
	if err != nil {
		var e *errSandbox
		if errors.As(err, &e) {
			mockserver.WritePlain(w, e.status, e.msg)
			return
		}
		mockserver.WritePlain(w, http.StatusInternalServerError, "the sandbox could not be built: "+err.Error())
		return
	}
	mockserver.WriteJSON(w, http.StatusCreated, v)
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
	sb.sweep(now)
	out := make([]sandboxView, 0, len(sb.boxes))
	for _, b := range sb.boxes {
		out = append(out, sb.view(r, b, now))
	}
	sb.mu.Unlock()
	slices.SortFunc(out, func(a, b sandboxView) int { return a.Created.Compare(b.Created)*2 + strings.Compare(a.ID, b.ID) })
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
	_, ok := sb.boxes[id]
	delete(sb.boxes, id)
	sb.mu.Unlock()
	if !ok {
		mockserver.WritePlain(w, http.StatusNotFound, fmt.Sprintf("no sandbox %q", id))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
