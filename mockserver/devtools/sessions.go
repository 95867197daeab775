package devtools

import (
	"encoding/json"
	"sync"
	"time"

	"github.com/authconform/authconform/mockserver"
	"github.com/authconform/authconform/mockserver/tokens"
	"github.com/authconform/authconform/specs"
)

// The session registry lists the sessions the mock issued tokens for, so the admin API and the
// dashboard can show live tokens counting down and revoke one. Logins stay stateless: a token is
// valid when it verifies and is not revoked (store.go); the registry only remembers what was
// issued, for display. It is bounded: past its limit the oldest sessions are forgotten by the
// registry (their tokens keep working), and sessions whose tokens expired more than
// sessionKeepExpired ago are swept, so memory stays bounded however many logins there are.

// sessionKeepExpired is how long an expired session stays listed (as expired), so a developer
// who moved the clock sees what expired.
const sessionKeepExpired = time.Hour

// tokenInfo is one token of a session, redacted.
type tokenInfo struct {
	JTI      string    `json:"jti"`
	Token    string    `json:"token"` // redacted: its length only
	Expires  time.Time `json:"expires"`
	Issued   time.Time `json:"issued"`
	Reissued int       `json:"reissued"` // how many times a refresh issued a new one
}

// MarshalJSON writes the times in RFC 3339 like encoding/json, but also past year 9999
// ("10000-01-01T00:00:00Z"), where encoding/json fails: a token issued with the clock at the end
// of 9999 expires after it, and the admin API must still list it.
func (t tokenInfo) MarshalJSON() ([]byte, error) {
	type plain tokenInfo // without this method
	return json.Marshal(struct {
		plain
		Expires string `json:"expires"`
		Issued  string `json:"issued"`
	}{plain(t), t.Expires.Format(time.RFC3339Nano), t.Issued.Format(time.RFC3339Nano)})
}

// session is one login session as the registry keeps it.
type session struct {
	Spec    string     `json:"spec"`
	ID      string     `json:"id"` // the sid claim of its tokens
	Account string     `json:"account"`
	Gen     uint64     `json:"-"`
	Started time.Time  `json:"started"`
	Access  *tokenInfo `json:"access,omitempty"`
	Refresh *tokenInfo `json:"refresh,omitempty"`
}

// until is when the session's last token expires.
func (s *session) until() time.Time {
	var t time.Time
	for _, tok := range []*tokenInfo{s.Access, s.Refresh} {
		if tok != nil && tok.Expires.After(t) {
			t = tok.Expires
		}
	}
	return t
}

// sessionSlot holds a session with room for both of its tokens: one allocation per login.
type sessionSlot struct {
	s               session
	access, refresh tokenInfo
}

type sessionKey struct{ spec, sid string }

// sessionRecorder decorates a spec's token issuer: every token issued goes into the registry.
type sessionRecorder struct {
	mockserver.TokenIssuer
	spec     string
	sessions *sessionRegistry
	clock    mockserver.Clock
}

func (r *sessionRecorder) Issue(use specs.TokenKind, sub, sid string, gen uint64) (tokens.Issued, error) {
	t, err := r.TokenIssuer.Issue(use, sub, sid, gen)
	if err == nil {
		r.sessions.record(r.spec, use, sub, sid, gen, t, r.clock.Now())
	}
	return t, err
}

type sessionRegistry struct {
	mu    sync.Mutex
	limit int
	byID  map[sessionKey]*sessionSlot
	order []sessionKey // insertion order, oldest first from order[head:]
	head  int
}

func newSessionRegistry(limit int) *sessionRegistry {
	if limit <= 0 {
		limit = DefaultSessionLimit
	}
	return &sessionRegistry{limit: limit, byID: map[sessionKey]*sessionSlot{}}
}

// record notes a token issued for a session. It is on every login's path: no allocation but the
// new session's slot and the redacted token.
func (r *sessionRegistry) record(spec string, use specs.TokenKind, sub, sid string, gen uint64, t tokens.Issued, now time.Time) {
	info := tokenInfo{JTI: t.JTI, Token: mockserver.Redact(t.Token), Expires: t.Expires, Issued: now.UTC().Truncate(time.Second)}
	key := sessionKey{spec, sid}
	r.mu.Lock()
	defer r.mu.Unlock()
	sl, ok := r.byID[key]
	if !ok {
		for len(r.byID) >= r.limit {
			if !r.evictOldest() {
				break
			}
		}
		sl = &sessionSlot{s: session{Spec: spec, ID: sid, Account: sub, Gen: gen, Started: info.Issued}}
		r.byID[key] = sl
		r.push(key)
	}
	slot, at := &sl.access, &sl.s.Access
	if use == specs.TokenRefresh {
		slot, at = &sl.refresh, &sl.s.Refresh
	}
	if *at != nil {
		info.Reissued = slot.Reissued + 1
	}
	*slot, *at = info, slot
}

// push appends a key to the insertion order, reclaiming the evicted front now and then.
func (r *sessionRegistry) push(key sessionKey) {
	if r.head > 0 && r.head >= len(r.order)/2 {
		n := copy(r.order, r.order[r.head:])
		clear(r.order[n:])
		r.order, r.head = r.order[:n], 0
	}
	r.order = append(r.order, key)
}

// evictOldest forgets the oldest session; false when there is none. Caller holds mu.
func (r *sessionRegistry) evictOldest() bool {
	for r.head < len(r.order) {
		key := r.order[r.head]
		r.order[r.head] = sessionKey{}
		r.head++
		if _, ok := r.byID[key]; ok {
			delete(r.byID, key)
			return true
		}
	}
	return false
}

// sweep drops the sessions whose tokens expired sessionKeepExpired before now. Caller holds mu.
func (r *sessionRegistry) sweep(now time.Time) {
	cutoff := now.Add(-sessionKeepExpired)
	kept := r.order[:0]
	for _, key := range r.order[r.head:] {
		if sl := r.byID[key]; sl != nil && !sl.s.until().Before(cutoff) {
			kept = append(kept, key)
		} else {
			delete(r.byID, key)
		}
	}
	clear(r.order[len(kept):])
	r.order, r.head = kept, 0
}

// list returns the sessions, newest first, after sweeping the long expired.
func (r *sessionRegistry) list(now time.Time) []session {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sweep(now)
	out := make([]session, 0, len(r.byID))
	for i := len(r.order) - 1; i >= r.head; i-- {
		out = append(out, r.byID[r.order[i]].copy())
	}
	return out
}

// copy is the slot's session with its own copies of the tokens, for a reader outside the lock.
func (sl *sessionSlot) copy() session {
	s := sl.s
	if s.Access != nil {
		a := *s.Access
		s.Access = &a
	}
	if s.Refresh != nil {
		rf := *s.Refresh
		s.Refresh = &rf
	}
	return s
}

// get returns one session by spec and id.
func (r *sessionRegistry) get(spec, sid string) (session, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	sl, ok := r.byID[sessionKey{spec, sid}]
	if !ok {
		return session{}, false
	}
	return sl.copy(), true
}

// find returns the sessions with that id in any spec.
func (r *sessionRegistry) find(sid string) []session {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []session
	for key, sl := range r.byID {
		if key.sid == sid {
			out = append(out, sl.copy())
		}
	}
	return out
}

func (r *sessionRegistry) clear() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.byID = map[sessionKey]*sessionSlot{}
	r.order, r.head = nil, 0
}

func (r *sessionRegistry) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.byID)
}
