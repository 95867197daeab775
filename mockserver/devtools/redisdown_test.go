package devtools

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authconform/authconform/internal/redistest"
	"github.com/authconform/authconform/mockserver"
	"github.com/authconform/authconform/mockserver/store/redisstore"
	"github.com/authconform/authconform/specs"
)

// TestRedisDownUnderLoad: the mock on a Redis store, under a load of protected calls with a live
// token and with a logged-out one, while Redis is killed and started again on the same port.
// Every answer is right or 503: before the kill the live token gets 200 and the logged-out one
// 401; from the kill until Redis is back both get 503 (never a 200 or a 401 the mock could not
// check), a login too, and the health endpoint says unavailable; once Redis is back the service
// resumes by itself (the Redis restarted without persistence lost the signing keys, so the token
// from before may be refused and a new login works). At the end no goroutine is left behind.
func TestRedisDownUnderLoad(t *testing.T) {
	srv := redistest.New(t)
	redisstore.SetLogger(slog.New(slog.DiscardHandler)) // go-redis' dial failures, expected here
	before := runtime.NumGoroutine()
	ctx := context.Background()
	clk := mockserver.NewClock()
	st, err := redisstore.Open(ctx, srv.URL(0), "down:", clk)
	if err != nil {
		t.Fatal(err)
	}
	mock, err := New([]*specs.Spec{loadSpec(t, "efalia")}, mockserver.WithClock(clk), mockserver.WithStore(st))
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(mock)
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	call := func(method, path, body, token string) (int, string) {
		req, err := http.NewRequest(method, hs.URL+path, strings.NewReader(body))
		if err != nil {
			t.Error(err)
			return 0, ""
		}
		req.Host = "127.0.0.1" // the admin guard's loopback Host
		if body != "" || method == http.MethodPost {
			req.Header.Set("Content-Type", "application/json")
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Error(err)
			return 0, ""
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(raw)
	}
	login := func() string {
		code, body := call("POST", "/workey/api/auth/token", `{"username":"alice","password":"alice-password"}`, "")
		var m map[string]any
		_ = json.Unmarshal([]byte(body), &m)
		tok, _ := m["token"].(string)
		if code != 200 || tok == "" {
			t.Fatalf("login: %d %s", code, body)
		}
		return tok
	}
	first, out := login(), login()
	var live atomic.Value // the live token: a login after Redis came back replaces it
	live.Store(first)
	if code, _ := call("POST", "/workey/api/auth/logout", "", out); code != 200 {
		t.Fatalf("logout: %d", code)
	}

	type result struct {
		start time.Time
		live  bool
		code  int
	}
	var mu sync.Mutex
	var results []result
	stop := make(chan struct{})
	var wg sync.WaitGroup
	const workers, maxPerWorker = 8, 3000
	for w := range workers {
		wg.Go(func() {
			for i := range maxPerWorker {
				select {
				case <-stop:
					return
				default:
				}
				isLive := (w+i)%2 == 0
				tok := out
				if isLive {
					tok = live.Load().(string)
				}
				start := time.Now()
				code, _ := call("GET", "/workey/api/processes", "", tok)
				mu.Lock()
				results = append(results, result{start, isLive, code})
				mu.Unlock()
			}
		})
	}
	countSince := func(at time.Time) int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, r := range results {
			if !r.start.Before(at) {
				n++
			}
		}
		return n
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
		}
	}
	waitFor("load before the kill", func() bool { return countSince(time.Time{}) >= 200 })
	srv.Kill()
	killed := time.Now()
	waitFor("load while Redis is down", func() bool { return countSince(killed) >= 200 })
	if code, body := call("GET", "/__authconform/health", "", ""); code != 503 || !strings.Contains(body, `"unavailable"`) {
		t.Errorf("health with Redis down: %d %s", code, body)
	}
	if code, body := call("POST", "/workey/api/auth/token", `{"username":"alice","password":"alice-password"}`, ""); code != 503 || !strings.Contains(body, "store is unavailable") {
		t.Errorf("login with Redis down: %d %s", code, body)
	}
	restarting := time.Now()
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	waitFor("health once Redis is back", func() bool {
		code, _ := call("GET", "/__authconform/health", "", "")
		return code == 200
	})
	// Redis restarted without persistence has lost everything, the random signing keys included:
	// the replicas agree on a new key, so the tokens issued before are refused (as after a restart
	// of the mock), and a new login works.
	var relogged time.Time
	waitFor("a login once Redis is back", func() bool {
		code, body := call("POST", "/workey/api/auth/token", `{"username":"alice","password":"alice-password"}`, "")
		var m map[string]any
		_ = json.Unmarshal([]byte(body), &m)
		if tok, _ := m["token"].(string); code == 200 && tok != "" {
			live.Store(tok)
			relogged = time.Now()
			return true
		}
		return false
	})
	waitFor("load once Redis is back", func() bool { return countSince(relogged) >= 200 })
	close(stop)
	wg.Wait()

	// A request is judged by when it started: up (before the kill: right or, if the kill caught it
	// in flight, 503), down (only 503), coming back (right or 503; a logged-out token may pass, as
	// a Redis restarted without persistence has forgotten the logout: docs/redis.md).
	var down, resumed int
	for _, r := range results {
		right := 401
		if r.live {
			right = 200
		}
		isDown := !r.start.Before(killed) && r.start.Before(restarting)
		back := !r.start.Before(restarting)
		switch {
		case r.code == 503:
			down++
		case isDown:
			t.Errorf("a request made while Redis was down answered %d, want 503 (live token: %v)", r.code, r.live)
		case r.code == right:
			if back && r.live && !r.start.Before(relogged) {
				resumed++
			}
		case back && !r.live && r.code == 200:
		case back && r.live && r.code == 401 && r.start.Before(relogged): // the token before Redis lost its keys
		default:
			t.Errorf("status %d, want %d or 503 (live token: %v, after the restart: %v)", r.code, right, r.live, back)
		}
	}
	if down == 0 || resumed < 50 {
		t.Errorf("%d answers 503 while Redis was down, %d successes after it came back; want some of each", down, resumed)
	}
	for _, r := range results[len(results)-50:] {
		if r.code == 503 {
			t.Errorf("503 among the last requests, after Redis came back")
			break
		}
	}
	if code, _ := call("GET", "/workey/api/processes", "", live.Load().(string)); code != 200 {
		t.Errorf("the live token after Redis came back: %d", code)
	}
	t.Logf("%d requests: %d answered 503 while Redis was down, %d succeeded after it came back", len(results), down, resumed)

	client.CloseIdleConnections()
	hs.Close()
	mock.Close()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	redistest.WaitGoroutines(t, before)
}
