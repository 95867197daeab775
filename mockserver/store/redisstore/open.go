package redisstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/authconform/authconform/mockserver/clock"
)

// Timeouts applied when the store URL sets none (go-redis reads dial_timeout, read_timeout,
// write_timeout and max_retries from the URL's query): a request waits at most about a second
// and a half per attempt for a Redis that does not answer, then answers 503, rather than the
// client's defaults (5 s to dial, 3 s to read, 3 retries).
const (
	DefaultDialTimeout = 500 * time.Millisecond
	DefaultIOTimeout   = time.Second
	DefaultMaxRetries  = 1 // a stale pooled connection after a Redis restart costs one retry, not an error
)

// OpenTimeout bounds the first PING of Open.
const OpenTimeout = 5 * time.Second

// IsURL reports whether a --store value names Redis (redis:// or rediss://) rather than the
// memory store.
func IsURL(s string) bool {
	scheme, _, ok := strings.Cut(s, "://")
	return ok && (strings.EqualFold(scheme, "redis") || strings.EqualFold(scheme, "rediss"))
}

// Redact is a store URL fit for a log line, a banner or an error: the password replaced by
// "xxxxx" (url.URL.Redacted), and a value that does not parse as a URL reduced to its scheme, so
// a password never shows in either.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" { // user:pw@host parses, as scheme "user" and opaque "pw@host"
		scheme, _, ok := strings.Cut(raw, "://")
		if !ok || strings.ContainsAny(scheme, "@:/") {
			return "(a store URL that does not parse)"
		}
		return scheme + "://(a URL that does not parse)"
	}
	if u.User != nil {
		if _, has := u.User.Password(); !has {
			// redis://word@host: a user name alone is no credential Redis takes, so the word is
			// more likely a password written in the wrong place; hide it as one.
			u.User = url.User("xxxxx")
		}
	}
	return u.Redacted()
}

// Options parses a redis:// or rediss:// URL (redis.ParseURL: redis://[user:pass@]host:port/db,
// and go-redis' query options such as dial_timeout) and applies this package's defaults where it
// sets none. Its errors hold no password.
func Options(raw string) (*redis.Options, error) {
	if !IsURL(raw) {
		return nil, fmt.Errorf("%s: not a redis:// or rediss:// URL", Redact(raw))
	}
	if _, err := url.Parse(raw); err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error quotes the whole URL, password included
		}
		return nil, fmt.Errorf("%s: %w", Redact(raw), err)
	}
	opt, err := redis.ParseURL(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", Redact(raw), err)
	}
	if opt.DialTimeout == 0 {
		opt.DialTimeout = DefaultDialTimeout
	}
	if opt.ReadTimeout == 0 {
		opt.ReadTimeout = DefaultIOTimeout
	}
	if opt.WriteTimeout == 0 {
		opt.WriteTimeout = DefaultIOTimeout
	}
	if opt.MaxRetries == 0 {
		opt.MaxRetries = DefaultMaxRetries
	}
	// Dial attempts per connection (go-redis' default is 5, 100 ms apart); once as many dials as
	// the pool has connections failed in a row, go-redis fails at once and probes every second
	// until Redis answers again.
	opt.DialerRetries = 2
	// A plain Redis sends no maintenance notifications; asking for them costs every new
	// connection a round trip.
	opt.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	return opt, nil
}

// Open connects to the Redis of a store URL and returns the default world's store under prefix
// ("" for DefaultPrefix), once Redis answers a PING (within OpenTimeout); Close closes its
// client. Its errors hold no password.
func Open(ctx context.Context, raw, prefix string, clk clock.Clock) (*Store, error) {
	opt, err := Options(raw)
	if err != nil {
		return nil, err
	}
	c := redis.NewClient(opt)
	ctx, cancel := context.WithTimeout(ctx, OpenTimeout)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("%s does not answer: %w", Redact(raw), err)
	}
	s := New(c, clk, prefix)
	s.owns = true
	s.desc = fmt.Sprintf("redis %s db %d", opt.Addr, opt.DB)
	return s, nil
}

// SetLogger sends go-redis' own messages (a pool's or a connection's trouble), which it prints
// to stderr by default, to l at level Warn. go-redis has one logger per process.
func SetLogger(l *slog.Logger) { redis.SetLogger(logger{l}) }

type logger struct{ l *slog.Logger }

func (g logger) Printf(ctx context.Context, format string, v ...any) {
	g.l.WarnContext(ctx, "redis: "+fmt.Sprintf(format, v...))
}
