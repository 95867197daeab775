package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/authconform/authconform/mockserver"
	"github.com/authconform/authconform/mockserver/defects"
	"github.com/authconform/authconform/mockserver/devtools"
	"github.com/authconform/authconform/mockserver/store/redisstore"
	"github.com/authconform/authconform/specs"
)

// serveOptions are the flags of serve.
type serveOptions struct {
	specs     []string
	addr      string
	config    string
	logFormat *outputFormat // text or json, checked as the flag is parsed
	check     bool
	readings  []string // DECISION=CHOICE: the mock follows another reading of a spec's gap

	defects, variants []string // deliberate defects and benign variants (serve_defects.go)
	listDefects       bool
	output            *outputFormat // of --list-defects

	sandboxes    *outputFormat // auto or explicit: a request to an unknown sandbox creates it, or answers 404
	maxSandboxes int
	sandboxIdle  time.Duration

	store, storePrefix string // where the state lives (serve_store.go)
}

// HTTP server limits: generous for a developer's laptop, tight enough that a stuck client or a
// huge header cannot hold the mock.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 15 * time.Second
	writeTimeout      = 30 * time.Second
	idleTimeout       = 2 * time.Minute
	maxHeaderBytes    = 64 << 10
	shutdownTimeout   = 10 * time.Second
)

func newServeCmd(e *env) *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve [--spec NAME|FILE]... [--addr HOST:PORT] [--config FILE] [--log-format text|json]",
		Short: "Serve the mock auth server: every documented flow of the specs, for real",
		Long: `Serve a mock of one or more authentication APIs. Every flow the spec documents works for real:
credentials are checked, JWTs are signed, refresh tokens rotate where the spec says, logout revokes,
API keys are kept per user, and expired tokens are refused.

With no --spec, all bundled specs are served at once, each under its documented base path.
Demo accounts come from the specs unless --config replaces them.

Admin API (for tests and for provoking expiry on demand):
  GET  /__authconform/clock                       -> {"now": "<RFC 3339>"}
  POST /__authconform/clock {"advance": "24h1s"}  -> move the clock forward (or "-1h" back, "360d")
  POST /__authconform/clock {"set": "<RFC 3339>"} -> set the clock
  POST /__authconform/reset                       -> real time again, all tokens, sessions and keys forgotten
  GET  /__authconform/health                      -> {"status": "ok"}; 503 while the store is unavailable
  ... and accounts, sessions (revoke), the request journal and a fault queue: all listed in
  /__authconform/openapi.yaml. The dashboard at /__authconform/ shows and drives all of it.
  Every admin POST and DELETE needs Content-Type: application/json (so no web page can send one);
  the admin API answers only a loopback Host (localhost, 127.0.0.1, [::1]) or one of the config's
  admin.hosts, and an Origin it allows (docs/security.md).

Browsers: CORS is answered for any localhost origin (or the config's cors.origins), with every
header the specs name allowed and exposed. Any call may carry Prefer: status=555, delay=800ms or
auth=expired to provoke that outcome.

Where a vendor's document leaves a gap that servers fill in different ways, the spec lists the
readings (authconform specs show NAME); the mock follows the first, and --reading DECISION=CHOICE
makes it follow another, so a frontend matches the vendor it will really call.

The spec and config files are reloaded when they change, and on SIGHUP; state is kept, and a
broken file is logged and ignored.

Sandboxes: many people and parallel runs share one mock, each in a world of its own (clock,
sessions, revoked and used tokens, API keys, accounts, faults, journal, signing keys). Put
/__sandbox/ID in front of any path (http://127.0.0.1:8080/__sandbox/alice/workey/api, the admin
API too: /__sandbox/alice/__authconform/clock) or send the header Authconform-Sandbox: ID.
POST /__authconform/sandboxes creates one, GET lists them, DELETE /__authconform/sandboxes/ID
removes one; an idle one goes after --sandbox-idle. Without either, a request is the default
sandbox's, as it always was. authconform test uses a fresh sandbox by itself (--sandbox).

State (revocations, used refresh tokens, API keys) lives in the process's memory by default, and a
restart forgets it. --store redis://[user:password@]host:port/db (rediss:// with TLS; else
$AUTHCONFORM_STORE, else store.url in --config) keeps it in a Redis that several replicas share,
under --store-prefix (default authconform:). A Redis that does not answer at start is exit 2; lost
while serving, requests that need it answer 503 and GET /__authconform/health answers 503, until it
is back (docs/redis.md).

Stop with Ctrl-C (SIGINT) or SIGTERM; requests in flight finish first.

The serving process runs Go's garbage collector at GOGC=200 unless the GOGC environment variable
sets another target: more throughput for some tens of MiB (docs/benchmarks.md). GOGC=100 trades
them back; GOMEMLIMIT is honoured as always.

--list-defects prints the deliberate defects and benign variants and exits; with --output json,
as an array of objects (name, kind defect or variant, flow, specs it applies to, checks that
catch it, summary). --log-format chooses the request log's format on stderr, not --output.`,
		Example: `  authconform serve
  authconform serve --spec pixfile --addr 127.0.0.1:9000
  authconform serve --spec ./my-api.yaml --config mock.yaml --log-format json
  authconform serve --spec precrime --reading precrime-authorization=bare
  authconform serve --list-defects -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return serve(e, o) },
	}
	f := cmd.Flags()
	f.StringArrayVar(&o.specs, "spec", nil, "a bundled spec name or a spec file to serve; repeat for several (default: all bundled specs)")
	f.StringVar(&o.addr, "addr", "127.0.0.1:8080", "address to listen on, HOST:PORT")
	f.StringVar(&o.config, "config", "", "YAML file with accounts, token lifetimes, signing keys and CORS origins per spec")
	o.logFormat = &outputFormat{value: "text", choices: []string{"text", "json"}}
	f.Var(o.logFormat, "log-format", "format of the request log on stderr (a line per request, written within 100 ms)")
	f.BoolVar(&o.check, "check-responses", false, "check every response of the mock against its spec and log any that does not conform")
	o.sandboxes = &outputFormat{value: "auto", choices: []string{"auto", "explicit"}}
	f.Var(o.sandboxes, "sandboxes", "auto: a request to an unknown sandbox (/__sandbox/ID/..., or the Authconform-Sandbox header) creates it; explicit: it answers 404 until POST /__authconform/sandboxes creates it")
	f.IntVar(&o.maxSandboxes, "max-sandboxes", devtools.DefaultMaxSandboxes, "how many sandboxes may exist besides the default one; past it, creating one answers 429")
	f.DurationVar(&o.sandboxIdle, "sandbox-idle", devtools.DefaultSandboxIdle, "a sandbox without a request for this long is deleted")
	f.StringVar(&o.store, "store", "", "where the mock keeps its state: memory (the default), or redis://[user:password@]host:port/db (rediss:// with TLS) for a Redis that several replicas share; else $"+StoreEnv+", else store.url of --config")
	f.StringVar(&o.storePrefix, "store-prefix", "", "with a Redis store: what every key starts with, so several mocks can share one Redis (default \""+redisstore.DefaultPrefix+"\"; else store.prefix of --config)")
	f.StringArrayVar(&o.readings, "reading", nil, "DECISION=CHOICE: follow another reading of a spec's documentation gap, as the vendor you will call does (e.g. precrime-authorization=bare); repeat for several; 'authconform specs show NAME' lists them")
	addMutationFlags(cmd, &o)
	o.output = addOutputFlag(cmd, "with --list-defects: text for people, json for tools (one JSON value on stdout)")
	setExitCodes(cmd,
		exitCode{exitOK, "stopped by Ctrl-C or SIGTERM, requests in flight finished; or --list-defects printed"},
		exitCode{exitUsage, "a usage, spec or config error, the address cannot be listened on, or the store (--store) does not answer"},
		exitCode{exitInternal, "the server stopped on its own (a bug of ours)"})
	return cmd
}

func serve(e *env, o serveOptions) error {
	if o.maxSandboxes < 1 || o.sandboxIdle <= 0 {
		return usageError{fmt.Errorf("--max-sandboxes must be at least 1 and --sandbox-idle positive, got %d and %s", o.maxSandboxes, o.sandboxIdle)}
	}
	if o.output != nil && o.output.value != "text" && !o.listDefects {
		return usageError{fmt.Errorf("--output %s applies to --list-defects; the request log's format is --log-format", o.output.value)}
	}
	logOut := newLogWriter(e.stderr, logFlushInterval)
	defer logOut.Close()
	var handler slog.Handler = slog.NewTextHandler(logOut, nil)
	if o.logFormat != nil && o.logFormat.value == "json" {
		handler = slog.NewJSONHandler(logOut, nil)
	}
	logger := slog.New(handler)

	// No collection while the specs load and the server is prepared: a few megabytes for the
	// bundled specs, mostly kept, and a collection in the middle of them costs the cold start
	// (docs/benchmarks.md). A memory limit bounds the pause for a user's large spec: past it the
	// collector runs anyway. Both settings (GOGC, GOMEMLIMIT) are restored before anything is
	// served, and then the collector's serving target set (servingGC).
	resumeGC := pauseGC(startMemoryLimit)
	list, live, cfg, set, store, err := prepareServe(e, o, logger)
	resumeGC()
	if err != nil {
		return err
	}
	servingGC(e.getenv)
	if store.st != nil {
		defer store.st.Close()
	}
	if o.listDefects {
		if o.output != nil && o.output.value == "json" {
			return listMutationsJSON(e.stdout, list)
		}
		return listMutations(e.stdout, list)
	}
	mock := live.Server()

	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return exitWith(exitUsage, "cannot listen on %s: %w", o.addr, err)
	}
	if warning := exposedAdmin(ln.Addr(), cfg); warning != "" {
		fmt.Fprintf(e.stdout, "WARNING: %s\n\n", warning)
		logger.Warn(warning)
	}
	if note := adminHostsNote(ln.Addr(), cfg); note != "" {
		fmt.Fprintf(e.stdout, "note: %s\n\n", note)
	}
	if set != nil {
		ln = set.Listener(ln) // the one place the serve path wraps it: only a defect below HTTP changes it
	}
	sandboxes := devtools.NewSandboxes(live, live.Tools(), live.World, devtools.SandboxOptions{
		Explicit: o.sandboxes != nil && o.sandboxes.value == "explicit", Max: o.maxSandboxes, Idle: o.sandboxIdle, Registry: live.Backend()})
	srv := &http.Server{
		Handler:           sandboxes,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(handler, slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return e.ctx },
	}
	startReloader(e.ctx, logger, o, live, store.choice) // files polled and SIGHUP (serve_reload.go)
	printBanner(e.stdout, "http://"+ln.Addr().String(), mock, o.config, store.choice.String())
	printMutations(e.stdout, set)

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return exitWith(exitInternal, "the server stopped: %w", err)
	case <-e.ctx.Done():
	}
	logger.Info("shutting down; waiting for requests in flight", "timeout", shutdownTimeout.String())
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		return exitWith(exitInternal, "shutdown: %w", err)
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return exitWith(exitInternal, "the server stopped: %w", err)
	}
	return nil
}

// servedStore is the store serve chose and, for Redis, opened (closed when serve ends).
type servedStore struct {
	choice storeChoice
	st     *redisstore.Store // nil: memory
}

// prepareServe loads the specs and the config, opens the store and builds the mock; with
// --list-defects, only the specs.
// The defect set is nil unless --defect or --variant chose some.
func prepareServe(e *env, o serveOptions, logger *slog.Logger) (list []*specs.Spec, live *devtools.Live, cfg *mockserver.Config, set *defects.Set, store servedStore, err error) {
	list, err = loadServeSpecs(o.specs, o.readings)
	if err != nil {
		return nil, nil, nil, nil, store, exitWith(exitUsage, "%w", err)
	}
	if o.listDefects {
		return list, nil, nil, nil, store, nil
	}
	opts := []mockserver.Option{mockserver.WithLogger(logger), mockserver.WithResponseCheck(o.check)}
	mutOpts, set := mutationOptions(o)
	opts = append(opts, mutOpts...)
	if o.config != "" {
		if cfg, err = mockserver.LoadConfig(o.config); err != nil {
			return nil, nil, nil, nil, store, exitWith(exitUsage, "%w", err)
		}
		opts = append(opts, mockserver.WithConfig(cfg))
	}
	if store.choice, err = chooseStore(o, cfg, e.getenv); err != nil {
		return nil, nil, nil, nil, store, exitWith(exitUsage, "%w", err)
	}
	clk := mockserver.NewClock()
	if store.st, err = openStore(e.ctx, store.choice, clk, logger); err != nil {
		return nil, nil, nil, nil, store, exitWith(exitUsage, "%w", err)
	}
	// The dev tools (admin API, journal, sessions, faults, Prefer, CORS, dashboard) go on last, so
	// their session registry hears of every token, also of one a defect signed. With Redis, every
	// world (the default one and each sandbox) keeps its state there, shared by the replicas.
	if store.st != nil {
		live, err = devtools.NewLiveOn(redisstore.NewBackend(store.st), list, opts...)
	} else {
		live, err = devtools.NewLive(list, opts...)
	}
	if err != nil {
		if store.st != nil {
			_ = store.st.Close()
		}
		return nil, nil, nil, nil, servedStore{}, exitWith(exitUsage, "%w", err)
	}
	return list, live, cfg, set, store, nil
}

// exposedAdmin warns when the mock listens beyond loopback and the admin API (clock, reset,
// accounts, faults) answers anyone: the config sets no admin.token. Empty when all is well.
func exposedAdmin(addr net.Addr, cfg *mockserver.Config) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || tcp.IP.IsLoopback() || cfg != nil && cfg.Admin.Token != "" {
		return ""
	}
	return fmt.Sprintf("listening on %s, beyond loopback, and the admin API (%s: clock, reset, accounts, faults) needs no token: anyone who reaches this address can drive the mock; set admin.token in a --config file, or listen on 127.0.0.1",
		addr, mockserver.AdminPrefix)
}

// adminHostsNote says, when the mock listens beyond loopback and the config lists no admin.hosts,
// that other machines reach the specs but not the admin API: it answers loopback Host names only
// (the admin guard, against DNS rebinding). Empty when all is well.
func adminHostsNote(addr net.Addr, cfg *mockserver.Config) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || tcp.IP.IsLoopback() || cfg != nil && len(cfg.Admin.Hosts) > 0 {
		return ""
	}
	return fmt.Sprintf("the admin API and the dashboard (%s) answer only requests addressed to localhost, 127.0.0.1 or [::1] (421 otherwise); to drive them from another machine, list the host names it uses under admin.hosts in a --config file, with admin.token (docs/security.md)",
		mockserver.AdminPrefix)
}

// loadServeSpecs loads the specs to serve (all bundled ones when names is empty), each following
// the readings (DECISION=CHOICE) that name one of its decisions. A reading no served spec offers
// is an error that says which decisions there are.
func loadServeSpecs(names, readings []string) ([]*specs.Spec, error) {
	var out []*specs.Spec
	if len(names) == 0 {
		all, err := specs.LoadAll()
		if err != nil {
			return nil, err
		}
		out = all
	}
	for _, n := range names {
		s, err := specs.Load(n)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	per := make([]map[string]string, len(out))
	for _, r := range readings {
		id, choice, ok := strings.Cut(r, "=")
		if !ok || id == "" || choice == "" {
			return nil, fmt.Errorf("--reading %q: write DECISION=CHOICE, e.g. precrime-authorization=bare", r)
		}
		i := slices.IndexFunc(out, func(s *specs.Spec) bool { _, found := s.Decision(id); return found })
		if i < 0 {
			var offered []string
			for _, s := range out {
				for _, d := range s.Decisions {
					if len(d.Readings) > 0 {
						offered = append(offered, d.ID)
					}
				}
			}
			return nil, fmt.Errorf("--reading %q: no served spec has the decision %q; decisions with readings: %s", r, id, strings.Join(offered, ", "))
		}
		if per[i] == nil {
			per[i] = map[string]string{}
		}
		per[i][id] = choice
	}
	for i, rd := range per {
		if rd == nil {
			continue
		}
		s, err := out[i].WithReadings(rd)
		if err != nil {
			return nil, fmt.Errorf("--reading: %w", err)
		}
		out[i] = s
	}
	return out, nil
}
