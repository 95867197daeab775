package mockserver

import (
	"container/list"
	"sync"
	"time"
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
	Token    string    `json:"token"` // redacted: the first characters and the length
	Expires  time.Time `json:"expires"`
	Issued   time.Time `json:"issued"`
	Reissued int       `json:"reissued"` // how many times a refresh issued a new one
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

	elem *list.Element
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

type sessionRegistry struct {
	mu    sync.Mutex
	limit int
	byID  map[string]*session // spec + "\x00" + sid
	order *list.List          // of keys, oldest first
}

func newSessionRegistry(limit int) *sessionRegistry {
	if limit <= 0 {
		limit = DefaultSessionLimit
	}
	return &sessionRegistry{limit: limit, byID: map[string]*session{}, order: list.New()}
}

// record notes a token issued for a session.
func (r *sessionRegistry) record(spec, use, sub, sid string, gen uint64, t issued, now time.Time) {
	info := &tokenInfo{JTI: t.jti, Token: redact(t.token), Expires: t.expires, Issued: now.UTC().Truncate(time.Second)}
	key := spec + "\x00" + sid
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.byID[key]
	if !ok {
		for r.order.Len() >= r.limit {
			oldest := r.order.Front()
			delete(r.byID, oldest.Value.(string))
			r.order.Remove(oldest)
		}
		s = &session{Spec: spec, ID: sid, Account: sub, Gen: gen, Started: info.Issued}
		s.elem = r.order.PushBack(key)
		r.byID[key] = s
	}
	prev := s.Access
	if use == "refresh" {
		prev = s.Refresh
	}
	if prev != nil {
		info.Reissued = prev.Reissued + 1
	}
	if use == "refresh" {
		s.Refresh = info
	} else {
		s.Access = info
	}
}

// sweep drops the sessions whose tokens expired sessionKeepExpired before now. Caller holds mu.
func (r *sessionRegistry) sweep(now time.Time) {
	cutoff := now.Add(-sessionKeepExpired)
	for e := r.order.Front(); e != nil; {
		next := e.Next()
		key := e.Value.(string)
		if s := r.byID[key]; s != nil && s.until().Before(cutoff) {
			delete(r.byID, key)
			r.order.Remove(e)
		}
		e = next
	}
}

// list returns the sessions, newest first, after sweeping the long expired.
func (r *sessionRegistry) list(now time.Time) []session {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sweep(now)
	out := make([]session, 0, r.order.Len())
	for e := r.order.Back(); e != nil; e = e.Prev() {
		s := *r.byID[e.Value.(string)]
		s.elem = nil
		if s.Access != nil {
			a := *s.Access
			s.Access = &a
		}
		if s.Refresh != nil {
			rf := *s.Refresh
			s.Refresh = &rf
		}
		out = append(out, s)
	}
	return out
}

// get returns one session by spec and id.
func (r *sessionRegistry) get(spec, sid string) (session, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.byID[spec+"\x00"+sid]
	if !ok {
		return session{}, false
	}
	return *s, true
}

// find returns the sessions with that id in any spec.
func (r *sessionRegistry) find(sid string) []session {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []session
	for _, s := range r.byID {
		if s.ID == sid {
			out = append(out, *s)
		}
	}
	return out
}

func (r *sessionRegistry) clear() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.byID = map[string]*session{}
	r.order.Init()
}

func (r *sessionRegistry) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.byID)
}
