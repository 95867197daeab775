package devtools

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/authconform/authconform/mockserver"
	"github.com/authconform/authconform/mockserver/store"
	"github.com/authconform/authconform/specs"
)

// remoteStore is a memory store that says it is remote, reachable or not.
type remoteStore struct {
	store.Store
	down atomic.Bool
}

func (r *remoteStore) Kind() string { return "redis" }

func (r *remoteStore) Ping(context.Context) error {
	if r.down.Load() {
		return store.Unavailable(errors.New("dial tcp 10.0.0.7:6379: connect: connection refused"))
	}
	return nil
}

// TestHealth: GET /__authconform/health answers 200 with the store's kind while it answers, 503
// with Retry-After while it does not (and back to 200 after), needs no admin token, and never
// shows the store's address; a memory store is always ok.
func TestHealth(t *testing.T) {
	get := func(t *testing.T, h *harness) (int, map[string]any, string) {
		t.Helper()
		rec := serve(h.s, h.req("GET", mockserver.AdminPrefix+"health", ""))
		var body map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatalf("body %q: %v", rec.Body.String(), err)
		}
		return rec.Code, body, rec.Header().Get("Retry-After")
	}
	t.Run("memory", func(t *testing.T) {
		h := newHarness(t, "pixfile")
		code, body, _ := get(t, h)
		if code != 200 || body["status"] != "ok" || body["store"].(map[string]any)["kind"] != "memory" {
			t.Errorf("%d %v", code, body)
		}
	})
	t.Run("remote", func(t *testing.T) {
		clock := mockserver.NewClockAt(t0)
		rs := &remoteStore{Store: mockserver.NewMemoryStore(clock)}
		cfg := &mockserver.Config{Admin: mockserver.AdminConfig{Token: "an-admin-token-of-the-config"}}
		tools := NewTools(Options{})
		s, err := mockserver.New([]*specs.Spec{loadSpec(t, "pixfile")}, mockserver.WithClock(clock), mockserver.WithStore(rs),
			mockserver.WithConfig(cfg), mockserver.WithExtension(tools))
		if err != nil {
			t.Fatal(err)
		}
		h := &harness{t: t, s: s, d: tools.last, clock: clock}
		code, body, _ := get(t, h)
		if code != 200 || body["status"] != "ok" || body["store"].(map[string]any)["kind"] != "redis" {
			t.Errorf("up, without the admin token: %d %v", code, body)
		}
		rs.down.Store(true)
		code, body, retry := get(t, h)
		st, _ := body["store"].(map[string]any)
		if code != http.StatusServiceUnavailable || body["status"] != "unavailable" || st["status"] != "unavailable" || retry == "" {
			t.Errorf("down: %d %v, Retry-After %q", code, body, retry)
		}
		if b, _ := json.Marshal(body); strings.Contains(string(b), "10.0.0.7") {
			t.Errorf("the health answer shows the store's address: %s", b)
		}
		rs.down.Store(false)
		if code, body, _ := get(t, h); code != 200 || body["status"] != "ok" {
			t.Errorf("back up: %d %v", code, body)
		}
	})
}

// TestHealthAnyHost: a probe naming the replica by its address (a load balancer's) gets health,
// though the Host rule refuses every other admin path to it; a browser's request (with an
// Origin) still meets the Host rule.
func TestHealthAnyHost(t *testing.T) {
	h := newHarness(t, "pixfile")
	for _, tc := range []struct {
		path, origin string
		want         int
	}{
		{"health", "", 200},
		{"clock", "", http.StatusMisdirectedRequest},
		{"health", "http://evil.example", http.StatusMisdirectedRequest},
	} {
		r := h.req("GET", mockserver.AdminPrefix+tc.path, "", "Origin", tc.origin)
		r.Host = "10.1.2.3:8080"
		rec := serve(h.s, r)
		if rec.Code != tc.want {
			t.Errorf("GET %s with Host %s, Origin %q: %d, want %d", tc.path, r.Host, tc.origin, rec.Code, tc.want)
		}
		if tc.want == 200 && rec.Header().Get("Cache-Control") != "no-store" {
			t.Error("health without Cache-Control: no-store")
		}
	}
}
