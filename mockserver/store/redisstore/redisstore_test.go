package redisstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authconform/authconform/internal/redistest"
	"github.com/authconform/authconform/mockserver/clock"
	"github.com/authconform/authconform/mockserver/store"
	"github.com/authconform/authconform/mockserver/store/storetest"
)

// TestMain silences go-redis' own log (dial failures while a test has Redis down).
func TestMain(m *testing.M) {
	SetLogger(slog.New(slog.DiscardHandler))
	os.Exit(m.Run())
}

// open is Open on the test's Redis under a prefix of the test's own, closed at the end.
func open(t *testing.T, srv *redistest.Server, prefix string, c clock.Clock) *Store {
	t.Helper()
	st, err := Open(context.Background(), srv.URL(0), prefix, c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// testPrefix is a prefix no other test uses.
func testPrefix(t *testing.T) string {
	return "test:" + strings.NewReplacer(" ", "_", "/", ".").Replace(t.Name()) + ":"
}

// TestSuite runs the store suite against Redis, each test under its own prefix on one server.
func TestSuite(t *testing.T) {
	srv := redistest.New(t)
	storetest.Run(t, func(t *testing.T, c clock.Clock) store.Store { return open(t, srv, testPrefix(t), c) })
}

// rawClient is a client of the test's Redis that sees every key.
func rawClient(t *testing.T, srv *redistest.Server) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: srv.Addr})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// TestKeyLayoutAndExpiries: every concern under {prefix}{world}:{scope}:, revocations and used
// refresh tokens with the TTL until - min(real now, mock now) + Margin, generations and keys
// without one.
func TestKeyLayoutAndExpiries(t *testing.T) {
	srv := redistest.New(t)
	raw := rawClient(t, srv)
	ctx := context.Background()
	real := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		mock time.Time // the mock's clock at the write
		want time.Duration
	}{
		{"mock clock behind real time", real.Add(-30 * 24 * time.Hour), time.Hour + Margin},                      // until - mock now
		{"mock clock ahead of real time", real.Add(360 * 24 * time.Hour), 360*24*time.Hour + time.Hour + Margin}, // until - real now // until - real now
		{"mock clock on real time", real, time.Hour + Margin},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := open(t, srv, testPrefix(t), clock.At(tc.mock))
			st.now = func() time.Time { return real }
			until := tc.mock.Add(time.Hour)
			if err := st.RevokeSession(ctx, "spec", "sid", until); err != nil {
				t.Fatal(err)
			}
			if _, err := st.UseRefresh(ctx, "spec", "jti", until); err != nil {
				t.Fatal(err)
			}
			for _, k := range []string{"rev:sid", "used:jti"} {
				key := testPrefix(t) + "default:spec:" + k
				ttl, err := raw.PTTL(ctx, key).Result()
				if err != nil || ttl < tc.want-time.Minute || ttl > tc.want {
					t.Errorf("TTL of %s = %v, %v; want %v", key, ttl, err, tc.want)
				}
			}
			// A second logout of the session with a nearer end keeps the longer TTL.
			if err := st.RevokeSession(ctx, "spec", "sid", tc.mock); err != nil {
				t.Fatal(err)
			}
			if ttl, _ := raw.PTTL(ctx, testPrefix(t)+"default:spec:rev:sid").Result(); ttl < tc.want-time.Minute {
				t.Errorf("a second revocation shortened the TTL to %v", ttl)
			}
		})
	}
	t.Run("no expiry for generations and keys", func(t *testing.T) {
		st := open(t, srv, testPrefix(t), clock.At(real))
		if err := st.RevokeAccount(ctx, "spec", "alice"); err != nil {
			t.Fatal(err)
		}
		k := store.APIKey{ID: "1", Scope: "spec", AccountID: "alice", Token: "tok", Hash: store.KeyHash("tok"), Created: real}
		if err := st.AddKey(ctx, k); err != nil {
			t.Fatal(err)
		}
		p := testPrefix(t) + "default:spec:"
		for _, key := range []string{p + "gen:alice", p + "key:" + k.Hash, p + "owns:alice"} {
			if ttl, err := raw.TTL(ctx, key).Result(); err != nil || ttl != -1 {
				t.Errorf("TTL of %s = %v, %v; want none (-1)", key, ttl, err)
			}
		}
	})
	t.Run("a token already expired", func(t *testing.T) {
		st := open(t, srv, testPrefix(t), clock.At(real))
		st.now = func() time.Time { return real }
		if err := st.RevokeSession(ctx, "spec", "old", real.Add(-48*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if ttl, _ := raw.PTTL(ctx, testPrefix(t)+"default:spec:rev:old").Result(); ttl < Margin-time.Minute || ttl > Margin {
			t.Errorf("TTL %v; want the margin, %v", ttl, Margin)
		}
	})
	t.Run("a token expiring in year 9999", func(t *testing.T) {
		far := time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
		st := open(t, srv, testPrefix(t), clock.At(far))
		if err := st.RevokeSession(ctx, "spec", "far", far.Add(time.Hour)); err != nil {
			t.Fatalf("a far future TTL: %v", err)
		}
		if ok, err := st.Revoked(ctx, "spec", "far"); err != nil || !ok {
			t.Errorf("revoked %v, %v", ok, err)
		}
	})
}

// TestIsolation: scopes with ':' do not reach into other scopes' keys; Reset deletes its own
// prefix and world only, also under a prefix with glob characters.
func TestIsolation(t *testing.T) {
	srv := redistest.New(t)
	ctx := context.Background()
	c := clock.At(storetest.T0)
	until := storetest.T0.Add(time.Hour)

	st := open(t, srv, "iso:", c)
	// scope "a:gen", id "x" and scope "a", account "gen:x" would meet without the escape
	if err := st.RevokeSession(ctx, "a:rev", "x", until); err != nil {
		t.Fatal(err)
	}
	if r, _ := st.Revoked(ctx, "a", "rev:x"); r {
		t.Error("scope a:rev's revocation of x is scope a's revocation of rev:x")
	}
	if r, _ := st.Revoked(ctx, "a:rev", "x"); !r {
		t.Error("scope a:rev lost its revocation")
	}

	glob := open(t, srv, "g*[l]?\\b:", c) // matches "iso:..." as a pattern if not escaped... and more
	other := open(t, srv, "iso2:", c)
	world := st.World("alice", c)
	for _, s := range []*Store{st, glob, other, world} {
		if err := s.RevokeAccount(ctx, "spec", "alice"); err != nil {
			t.Fatal(err)
		}
	}
	if err := glob.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	if g, _ := glob.Generation(ctx, "spec", "alice"); g != 0 {
		t.Error("Reset left its own key")
	}
	if err := st.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	if g, _ := st.Generation(ctx, "spec", "alice"); g != 0 {
		t.Error("Reset left its own key")
	}
	if g, _ := other.Generation(ctx, "spec", "alice"); g != 1 {
		t.Error("a Reset deleted another prefix's keys")
	}
	if g, _ := world.Generation(ctx, "spec", "alice"); g != 1 {
		t.Error("the default world's Reset deleted another world's keys")
	}
	if err := world.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	if g, _ := world.Generation(ctx, "spec", "alice"); g != 0 {
		t.Error("a world's Reset left its key")
	}
	if g, _ := other.Generation(ctx, "spec", "alice"); g != 1 {
		t.Error("a world's Reset deleted another prefix's keys")
	}
}

// TestTwoClients: two stores on two clients, as two replicas, agree: a refresh token used by both
// at once is used once, a logout and a key made through one are seen through the other.
func TestTwoClients(t *testing.T) {
	srv := redistest.New(t)
	ctx := context.Background()
	c := clock.At(storetest.T0)
	a, b := open(t, srv, "", c), open(t, srv, "", c)
	until := storetest.T0.Add(time.Hour)
	var firsts atomic.Int64
	var wg sync.WaitGroup
	for i := range 50 {
		jti := fmt.Sprint("j", i)
		for _, st := range []*Store{a, b} {
			wg.Go(func() {
				first, err := st.UseRefresh(ctx, "spec", jti, until)
				if err != nil {
					t.Error(err)
				}
				if first {
					firsts.Add(1)
				}
			})
		}
	}
	wg.Wait()
	if n := firsts.Load(); n != 50 {
		t.Errorf("50 refresh tokens, each used on both at once: %d first uses, want 50", n)
	}
	if err := a.RevokeSession(ctx, "spec", "sid", until); err != nil {
		t.Fatal(err)
	}
	if _, r, err := b.Check(ctx, "spec", "alice", "sid"); err != nil || !r {
		t.Errorf("a logout through one client is not seen through the other: %v, %v", r, err)
	}
	k := store.APIKey{ID: "1", Scope: "spec", AccountID: "alice", Token: "tok", Hash: store.KeyHash("tok"), Created: storetest.T0}
	if err := a.AddKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	if got, ok, err := b.KeyByHash(ctx, "spec", k.Hash); err != nil || !ok || got.AccountID != "alice" {
		t.Errorf("a key made through one client is not found through the other: %+v, %v, %v", got, ok, err)
	}
}

// TestUnavailable: with Redis down every method fails with store.ErrUnavailable (never a
// false answer), Ping says so, and once Redis is back on the same port the same Store works again
// by itself; no goroutine is left behind.
func TestUnavailable(t *testing.T) {
	srv := redistest.New(t)
	ctx := context.Background()
	c := clock.At(storetest.T0)
	before := runtime.NumGoroutine()
	st, err := Open(ctx, srv.URL(0), testPrefix(t), c)
	if err != nil {
		t.Fatal(err)
	}
	until := storetest.T0.Add(time.Hour)
	if err := st.RevokeAccount(ctx, "s", "alice"); err != nil {
		t.Fatal(err)
	}
	srv.Kill()
	k := store.APIKey{ID: "1", Scope: "s", AccountID: "alice", Token: "t", Hash: store.KeyHash("t"), Created: storetest.T0}
	calls := map[string]error{
		"Ping":          st.Ping(ctx),
		"RevokeAccount": st.RevokeAccount(ctx, "s", "alice"),
		"RevokeSession": st.RevokeSession(ctx, "s", "sid", until),
		"AddKey":        st.AddKey(ctx, k),
		"Reset":         st.Reset(ctx),
	}
	_, calls["Generation"] = st.Generation(ctx, "s", "alice")
	_, calls["Revoked"] = st.Revoked(ctx, "s", "sid")
	_, _, calls["Check"] = st.Check(ctx, "s", "alice", "sid")
	_, calls["UseRefresh"] = st.UseRefresh(ctx, "s", "jti", until)
	_, calls["Keys"] = st.Keys(ctx, "s", "alice")
	_, _, calls["KeyByHash"] = st.KeyByHash(ctx, "s", k.Hash)
	_, calls["DeleteKey"] = st.DeleteKey(ctx, "s", "alice", k.Hash)
	for name, err := range calls {
		if !errors.Is(err, store.ErrUnavailable) {
			t.Errorf("%s with Redis down: %v, want store.ErrUnavailable", name, err)
		}
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	// go-redis fails at once while its dial breaker is open, and probes every second.
	for deadline := time.Now().Add(5 * time.Second); st.Ping(ctx) != nil; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("Ping still fails 5 s after Redis came back: %v", st.Ping(ctx))
		}
	}
	if first, err := st.UseRefresh(ctx, "s", "jti", until); err != nil || !first {
		t.Errorf("UseRefresh after Redis came back: %v, %v", first, err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	redistest.WaitGoroutines(t, before)
}

// TestOpen: an unreachable Redis or a bad URL is an error without the password.
func TestOpen(t *testing.T) {
	ctx := context.Background()
	c := clock.At(storetest.T0)
	for _, raw := range []string{
		"redis://user:s3cret-pw@127.0.0.1:1/0", // nothing listens on port 1
		"redis://:s3cret-pw@127.0.0.1:1/x",     // not a database number
		"redis://:s3cret-pw@127.0.0.1:xx/0",    // not a port: url.Parse's error quotes the URL
		"rediss://s3cret-pw@127.0.0.1:1/0?bogus=1",
		"redis://user:s3cret-pw@127.0.0.1:1/0/1",
		"memcached://user:s3cret-pw@127.0.0.1:1",
	} {
		_, err := Open(ctx, raw, "", c)
		if err == nil {
			t.Errorf("Open(%s) did not fail", Redact(raw))
			continue
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("the error shows the password: %v", err)
		}
	}
}

func TestRedact(t *testing.T) {
	for raw, want := range map[string]string{
		"redis://user:pw@host:6379/1":    "redis://user:xxxxx@host:6379/1",
		"rediss://:pw@host:6380":         "rediss://:xxxxx@host:6380",
		"redis://pw@host":                "redis://xxxxx@host",
		"redis://host:6379/0":            "redis://host:6379/0",
		"redis://u:pw@host:xx/0":         "redis://(a URL that does not parse)",
		"redis://u:p%zz@host":            "redis://(a URL that does not parse)",
		"u:pw@host":                      "(a store URL that does not parse)",
		"redis://u:pw@host/0?db=1&x=y z": "redis://u:xxxxx@host/0?db=1&x=y z",
	} {
		if got := Redact(raw); got != want {
			t.Errorf("Redact(%q) = %q, want %q", raw, got, want)
		}
	}
}

// FuzzRedact: whatever the value, the redacted form holds no password: a URL's password (or a
// lone user info, which may be one) is "xxxxx", and a value that does not parse shows no more
// than its scheme.
func FuzzRedact(f *testing.F) {
	for _, s := range []string{"redis://u:pw@h:1/0", "rediss://:pw@h", "redis://pw@h", "redis://h", "redis://u:p@w@h", "redis://u:%41%42@h", "redis://u:pw@h:xx", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		red := Redact(raw)
		u, err := url.Parse(raw)
		if err != nil || u.Opaque != "" {
			scheme, _, _ := strings.Cut(raw, "://")
			if red != "(a store URL that does not parse)" && red != scheme+"://(a URL that does not parse)" {
				t.Fatalf("Redact(%q) = %q", raw, red)
			}
			return
		}
		if u.User == nil {
			return
		}
		r, err := url.Parse(red)
		if err != nil {
			t.Fatalf("Redact(%q) = %q, which does not parse: %v", raw, red, err)
		}
		pw, has := r.User.Password()
		switch {
		case r.User == nil:
			t.Fatalf("Redact(%q) = %q lost the user info", raw, red)
		case has && pw != "xxxxx", !has && r.User.Username() != "xxxxx":
			t.Fatalf("Redact(%q) = %q shows a secret", raw, red)
		}
	})
}
