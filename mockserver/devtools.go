package mockserver

import (
	"time"
)

// The developer tools around the flows: CORS (cors.go), provoked outcomes (prefer.go, faults.go),
// the session registry (sessions.go), the request journal (journal.go), the admin API additions
// (admin_dev.go) and the dashboard (dashboard.go). New prepares them once (setupDev); ServeHTTP
// calls in at three points: cors before anything, provoke once the operation is known, and
// journalRecord when the response is done.

// shared is the run-time state of the tools that outlives a reload (reload.go): a reload builds a
// new Server on the same store, clock and shared state.
type shared struct {
	faults   *faultQueue
	journal  *journal
	sessions *sessionRegistry
}

func newShared(o devOptions) *shared {
	if o.journalSize == 0 {
		o.journalSize = DefaultJournalSize
	}
	return &shared{
		faults:   newFaultQueue(),
		journal:  newJournal(o.journalSize),
		sessions: newSessionRegistry(o.sessionLimit),
	}
}

// devOptions are the tools' options inside options.
type devOptions struct {
	shared       *shared
	journalSize  int
	sessionLimit int
}

// DefaultJournalSize is how many requests the journal keeps by default.
const DefaultJournalSize = 200

// DefaultSessionLimit bounds the session registry by default: past it, the oldest sessions are
// forgotten by the registry (their tokens still work; they are only no longer listed).
const DefaultSessionLimit = 10000

// WithJournalSize sets how many requests the journal keeps (default DefaultJournalSize; 0 or
// less turns the journal off).
func WithJournalSize(n int) Option {
	return func(o *options) {
		if n <= 0 {
			n = -1
		}
		o.dev.journalSize = n
	}
}

// WithSessionLimit sets how many sessions the registry lists at most (default DefaultSessionLimit).
func WithSessionLimit(n int) Option { return func(o *options) { o.dev.sessionLimit = n } }

// withShared makes a Server use state of an earlier one (reload.go).
func withShared(sh *shared) Option { return func(o *options) { o.dev.shared = sh } }

// devState is what setupDev prepared.
type devState struct {
	*shared
	adminMux    *routeTable // the admin API's routes (admin.go)
	cors        *corsPolicy
	guard       *adminGuard // Host allow-list of the admin API (adminguard.go)
	adminToken  string
	secretNames map[string]bool // journal redaction (journal.go)
	started     time.Time       // wall time, for the dashboard's uptime
}

// setupDev prepares the tools once the mounts exist.
func (s *Server) setupDev(o devOptions) {
	sh := o.shared
	if sh == nil {
		sh = newShared(o)
	}
	s.dev = &devState{shared: sh, cors: newCORSPolicy(s.cfg, s.mounts), guard: newAdminGuard(s.cfg), adminToken: s.cfg.Admin.Token, started: time.Now()}
	s.dev.adminMux = s.adminRoutes()
	s.dev.secretNames = map[string]bool{}
	for _, m := range s.mounts {
		specSecretNames(m.spec, s.dev.secretNames)
	}
	sh.journal.addNames(s.dev.secretNames)
	secrets := []string{s.cfg.Admin.Token}
	for _, m := range s.mounts {
		for _, a := range m.accounts.snapshot() {
			secrets = append(secrets, secretsOf(m.spec, a)...)
		}
		if sc := s.cfg.Specs[m.spec.Name]; sc != nil {
			secrets = append(secrets, sc.SigningKey)
		}
		for _, cl := range m.spec.Clients {
			secrets = append(secrets, cl.Secret)
		}
	}
	sh.journal.addSecrets(secrets...)
	for _, m := range s.mounts {
		m.tok = &sessionRecorder{TokenIssuer: m.tok, spec: m.spec.Name, sessions: sh.sessions, clock: s.clock}
	}
}

// resetDev forgets the tools' run-time state: faults, journal, sessions, changed accounts.
func (s *Server) resetDev() {
	s.dev.faults.clear()
	s.dev.journal.clear()
	s.dev.sessions.clear()
	for _, m := range s.mounts {
		m.accounts.reset()
	}
}
