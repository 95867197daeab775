package cli

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/authconform/authconform/mockserver"
	"github.com/authconform/authconform/mockserver/devtools"
)

// reloadInterval is how often serve looks at its spec and config files for changes.
const reloadInterval = time.Second

// startReloader makes serve reload its specs and config when a file changes (polled every
// reloadInterval) and on SIGHUP, until ctx ends. A file that does not load is logged with its
// located error and the mock keeps serving what it served. SIGHUP is caught from the moment
// startReloader returns.
func startReloader(ctx context.Context, log *slog.Logger, o serveOptions, live *devtools.Live, store storeChoice) {
	var files []string
	if o.config != "" {
		files = append(files, o.config)
	}
	for _, s := range live.Server().Specs() {
		if !strings.HasPrefix(s.File, "bundled:") {
			files = append(files, s.File)
		}
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	changed := make(chan struct{}, 1)
	if len(files) > 0 {
		go func() {
			_ = devtools.Watch(ctx, reloadInterval, files, func() {
				select {
				case changed <- struct{}{}:
				default: // a reload is already due
				}
			})
		}()
	}
	go func() {
		defer signal.Stop(hup)
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				reloadServe(log, o, live, store, "SIGHUP")
			case <-changed:
				reloadServe(log, o, live, store, "a file changed")
			}
		}
	}()
}

func reloadServe(log *slog.Logger, o serveOptions, live *devtools.Live, store storeChoice, why string) {
	list, err := loadServeSpecs(o.specs, o.readings)
	if err != nil {
		log.Error("reload refused; still serving the previous specs and config", "reason", why, "error", err.Error())
		return
	}
	var cfg *mockserver.Config
	if o.config != "" {
		if cfg, err = mockserver.LoadConfig(o.config); err != nil {
			log.Error("reload refused; still serving the previous specs and config", "reason", why, "error", err.Error())
			return
		}
	}
	if err := live.Reload(list, cfg); err != nil {
		log.Error("reload refused; still serving the previous specs and config", "reason", why, "error", err.Error())
		return
	}
	if now, err := chooseStore(o, cfg, os.Getenv); err == nil && now != store {
		log.Warn("the config names another store; the mock keeps the one it started with until it restarts", "store", store.String())
	}
	log.Info("reloaded specs and config; tokens, sessions, keys, faults, journal and clock kept", "reason", why)
}
