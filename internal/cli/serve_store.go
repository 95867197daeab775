package cli

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/authconform/authconform/mockserver"
	"github.com/authconform/authconform/mockserver/config"
	"github.com/authconform/authconform/mockserver/store/redisstore"
)

// StoreEnv names the environment variable serve reads the store URL from when --store is not
// given: a deployment passes the Redis password there (a secret of its platform) rather than
// on the command line, where every user of the machine can read it.
const StoreEnv = "AUTHCONFORM_STORE"

// storeChoice is where serve keeps the mock's state, from --store and --store-prefix, else
// AUTHCONFORM_STORE, else the config file's store section, else memory.
type storeChoice struct {
	url, prefix string
}

// chooseStore picks the store URL and prefix: the flags first, then the environment (the URL
// only), then the config file.
func chooseStore(o serveOptions, cfg *mockserver.Config, getenv func(string) string) (storeChoice, error) {
	c := storeChoice{url: o.store, prefix: o.storePrefix}
	if c.url == "" && getenv != nil {
		c.url = getenv(StoreEnv)
	}
	if cfg != nil {
		if c.url == "" {
			c.url = cfg.Store.URL
		}
		if c.prefix == "" {
			c.prefix = cfg.Store.Prefix
		}
	}
	if !config.StoreURLOK(c.url) {
		return c, fmt.Errorf("--store %s: not a store; write memory, redis://[user:password@]host:port/db or rediss:// for TLS", redisstore.Redact(c.url))
	}
	if !config.PrefixOK(c.prefix) {
		return c, fmt.Errorf("--store-prefix %q: a key prefix without spaces or control characters (e.g. %q)", c.prefix, "team-mock:")
	}
	if c.prefix == "" {
		c.prefix = redisstore.DefaultPrefix
	}
	return c, nil
}

// redis reports whether the choice is a Redis store.
func (c storeChoice) redis() bool { return redisstore.IsURL(c.url) }

// String describes the store for the banner: never a password.
func (c storeChoice) String() string {
	if !c.redis() {
		return "in this process's memory (a restart forgets it; --store redis://... shares it between replicas)"
	}
	return fmt.Sprintf("Redis %s, keys under %q (shared by every mock on it with this prefix)", redisstore.Redact(c.url), c.prefix)
}

// openStore opens the chosen store on the mock's clock: nil for memory (the mock makes its
// own), or the Redis store once Redis answered a PING. go-redis' own log goes to logger from then
// on; while Redis is first asked it is silent, so a Redis that does not answer is one line.
func openStore(ctx context.Context, c storeChoice, clk mockserver.Clock, logger *slog.Logger) (*redisstore.Store, error) {
	if !c.redis() {
		return nil, nil
	}
	redisstore.SetLogger(slog.New(slog.DiscardHandler))
	st, err := redisstore.Open(ctx, c.url, c.prefix, clk)
	if err != nil {
		return nil, fmt.Errorf("the store %w", err)
	}
	redisstore.SetLogger(logger)
	return st, nil
}
