package devtools

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authconform/authconform/mockserver"
	"github.com/authconform/authconform/specs"
)

func TestLiveReload(t *testing.T) {
	clock := mockserver.NewClockAt(t0)
	live, err := NewLive([]*specs.Spec{loadSpec(t, "pixfile")}, mockserver.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, s: live.Server(), clock: clock}
	tok := h.pixfileToken("user", "pass")
	clock.Advance(time.Hour)
	h.admin("POST", "faults", `{"operation":"getCustomers","status":403}`, 201)

	cfg, err := mockserver.ParseConfig("mock.yaml", []byte("specs:\n  pixfile:\n    accounts:\n      - {username: user, password: pass, profile: {userId: 5}}\n      - {username: frank, password: frank-password, profile: {userId: 8}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		specs []*specs.Spec
		cfg   *mockserver.Config
		err   string
	}{
		{name: "a config naming a spec not served is refused", specs: []*specs.Spec{loadSpec(t, "efalia")}, cfg: cfg, err: "no spec of that name"},
		{name: "no spec is refused", specs: nil, cfg: cfg, err: "no spec"},
		{name: "a good config", specs: []*specs.Spec{loadSpec(t, "pixfile")}, cfg: cfg},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := live.Server()
			err := live.Reload(tc.specs, tc.cfg)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				if live.Server() != before {
					t.Error("a failed reload replaced the server")
				}
				return
			}
			if err != nil || live.Server() == before {
				t.Fatalf("reload: %v", err)
			}
		})
	}

	h.s = live.Server()
	h.pixfileToken("frank", "frank-password") // the new config's account
	if got := clock.Now(); !got.Equal(t0.Add(time.Hour)) {
		t.Errorf("clock %v after reload, want %v", got, t0.Add(time.Hour))
	}
	// The queued fault survived, and so did the token issued before the reload.
	rec := serve(live, h.req("GET", "/api/v2/customers", "", "X-Auth-Token", tok))
	h.expect(rec, 403)
	h.expect(serve(live, h.req("GET", "/api/v2/customers", "", "X-Auth-Token", tok)), 200)
	if n := len(h.sessions().Sessions); n != 2 {
		t.Errorf("%d sessions after reload, want 2", n)
	}
	if n := len(h.journal("").Entries); n != 4 {
		t.Errorf("%d journal entries after reload, want 4", n)
	}
}

// TestLiveReloadConcurrent: requests keep being served, whole, while reloads swap the server.
func TestLiveReloadConcurrent(t *testing.T) {
	live, err := NewLive([]*specs.Spec{loadSpec(t, "pixfile")}, mockserver.WithClock(mockserver.NewClockAt(t0)))
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, s: live.Server()}
	var wg sync.WaitGroup
	var bad atomic.Int32
	stop := make(chan struct{})
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				rec := httptest.NewRecorder()
				live.ServeHTTP(rec, h.req("POST", "/api/v2/login", `{"username":"user","password":"pass"}`))
				if rec.Code != 200 {
					bad.Add(1)
				}
			}
		}()
	}
	for range 20 {
		if err := live.Reload([]*specs.Spec{loadSpec(t, "pixfile")}, nil); err != nil {
			t.Error(err)
		}
	}
	close(stop)
	wg.Wait()
	if bad.Load() != 0 {
		t.Errorf("%d logins failed during reloads", bad.Load())
	}
}

func TestWatch(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "mock.yaml")
	if err := os.WriteFile(file, []byte("a: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	changes := make(chan struct{}, 10)
	done := make(chan error, 1)
	go func() {
		done <- Watch(ctx, 10*time.Millisecond, []string{file}, func() { changes <- struct{}{} })
	}()
	time.Sleep(30 * time.Millisecond)
	cases := []struct {
		name  string
		apply func() error
	}{
		{name: "rewritten with another size", apply: func() error { return os.WriteFile(file, []byte("a: 12\n"), 0o600) }},
		{name: "removed", apply: func() error { return os.Remove(file) }},
		{name: "back", apply: func() error { return os.WriteFile(file, []byte("a: 1\n"), 0o600) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.apply(); err != nil {
				t.Fatal(err)
			}
			select {
			case <-changes:
			case <-ctx.Done():
				t.Fatal("no change seen")
			}
		})
	}
	cancel()
	if err := <-done; err != context.Canceled {
		t.Errorf("Watch returned %v", err)
	}
	if err := Watch(context.Background(), time.Millisecond, nil, func() {}); err != ErrNothingToWatch {
		t.Errorf("Watch without files: %v", err)
	}
}
