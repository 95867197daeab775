// Package devtools holds the mock's developer tools, around its core (package mockserver): the
// admin API (admin.go, admin_dev.go, routed by ServeMux patterns held equal to adminapi.yaml;
// behind the guard of adminguard.go), the session registry (sessions.go, a token issuer
// decorator), provoked outcomes (Prefer, prefer.go, and the fault queue, faults.go), CORS
// (cors.go), the dashboard (dashboard.go) and the request journal (package journal).
//
// Tools is a mockserver.Extension. It attaches at the core's points for tools (mockserver's
// tools.go): the admin API serves every request under mockserver.AdminPrefix, CORS runs before
// a request is routed, Prefer and queued faults once its operation is known, and the journal
// hears of every answer. Its run-time state (fault queue, journal, session registry) is the
// Tools value's, so a Server rebuilt by a reload (Live), given the same Tools, keeps
// it. Live (reload.go) is that: the mock as serve runs it, rebuilt from changed files.
//
// New and NewLive build a mock with the tools installed, as serve runs it; mockserver.New alone
// serves the specs and nothing else.
package devtools

import (
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/authconform/authconform/mockserver"
	"github.com/authconform/authconform/mockserver/devtools/journal"
	"github.com/authconform/authconform/mockserver/store"
	"github.com/authconform/authconform/mockserver/tokens"
	"github.com/authconform/authconform/specs"
)

// DefaultJournalSize is how many requests the journal keeps by default.
const DefaultJournalSize = 200

// DefaultSessionLimit bounds the session registry by default: past it, the oldest sessions are
// forgotten by the registry (their tokens still work; they are only no longer listed).
const DefaultSessionLimit = 10000

// Options configure the tools.
type Options struct {
	// JournalSize is how many requests the journal keeps (0: DefaultJournalSize; less than 0
	// turns the journal off).
	JournalSize int
	// SessionLimit is how many sessions the registry lists at most (0 or less: DefaultSessionLimit).
	SessionLimit int
}

// Tools are the developer tools, installed with mockserver.WithExtension. Install them after any
// other extension, so that the session registry, decorating the issuer last, hears of every token
// (also of one another decorator signed itself).
type Tools struct {
	faults   *faultQueue
	journal  *journal.Journal
	sessions *sessionRegistry
	last     *tooling // as attached to the Server built last (for tests)
	// sandboxes, on the default world's tools, are the mock's sandboxes, which its admin API
	// manages (sandboxes.go); nil inside a sandbox and where there are none.
	sandboxes *Sandboxes
}

// NewTools returns the tools with empty state.
func NewTools(o Options) *Tools {
	if o.JournalSize == 0 {
		o.JournalSize = DefaultJournalSize
	}
	return &Tools{
		faults:   newFaultQueue(),
		journal:  journal.New(o.JournalSize),
		sessions: newSessionRegistry(o.SessionLimit),
	}
}

// New is mockserver.New with the developer tools installed (after the options' extensions).
func New(list []*specs.Spec, opts ...mockserver.Option) (*mockserver.Server, error) {
	return mockserver.New(list, append(slices.Clip(opts), mockserver.WithExtension(NewTools(Options{})))...)
}

// tooling is the tools as attached to one Server: what Extend prepared from its specs and config.
type tooling struct {
	*Tools
	srv     *mockserver.Server
	log     *slog.Logger
	policy  *corsPolicy
	guard   *adminGuard // Host allow-list of the admin API (adminguard.go)
	token   string      // the config's admin token
	started time.Time   // wall time, for the dashboard's uptime
}

// Extend attaches the tools to a Server being built (mockserver.Extension).
func (t *Tools) Extend(h *mockserver.Hooks) error {
	s := h.Server()
	cfg := s.Config()
	d := &tooling{Tools: t, srv: s, log: h.Logger(), policy: newCORSPolicy(cfg, s.Specs()), guard: newAdminGuard(cfg),
		token: cfg.Admin.Token, started: time.Now()}
	t.last = d
	secrets := []string{cfg.Admin.Token}
	for _, sp := range s.Specs() {
		t.journal.AddSpec(sp)
		for _, a := range s.Accounts(sp.Name) {
			secrets = append(secrets, secretsOf(sp, a)...)
		}
		if sc := cfg.Specs[sp.Name]; sc != nil {
			secrets = append(secrets, sc.SigningKey)
		}
		for _, cl := range sp.Clients {
			secrets = append(secrets, cl.Secret)
		}
		h.DecorateIssuer(sp.Name, func(_ *tokens.Issuer, next mockserver.TokenIssuer) mockserver.TokenIssuer {
			return &sessionRecorder{TokenIssuer: next, spec: sp.Name, sessions: t.sessions, clock: s.Clock()}
		})
	}
	t.journal.AddSecrets(secrets...)
	h.Admin(http.HandlerFunc(d.admin))
	h.Before(d.cors)
	h.Provoke(d.provoke)
	if t.journal.Size() > 0 {
		clock := s.Clock()
		h.Observe(func(x mockserver.Exchange) { t.journal.Record(x, clock) }, true)
	}
	h.OnReset(t.reset)
	t.faults.queued() // the store may hold faults already: the next call asks
	h.OnChange(func(c store.Change) {
		if c.What == store.ChangedFaults || c.What == store.ChangedUnknown {
			t.faults.queued()
		}
	})
	return nil
}

// reset forgets the tools' run-time state: journal and sessions (mockserver's Reset; the store's
// reset emptied the fault queue).
func (t *Tools) reset() {
	t.faults.pending.Store(false)
	t.journal.Clear()
	t.sessions.clear()
}
