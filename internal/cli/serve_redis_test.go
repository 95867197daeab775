package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authconform/authconform/internal/redistest"
)

// TestServeStoreRefuses: a store that is not one, or a Redis that does not answer, ends serve
// with exit 2 and one line on stderr, without the URL's password.
func TestServeStoreRefuses(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "mock.yaml")
	if err := os.WriteFile(cfg, []byte("store:\n  url: redis://:cfg-s3cret@127.0.0.1:1/0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		args   []string
		env    string
		stderr string
	}{
		{"unreachable", []string{"--store", "redis://user:s3cret-pw@127.0.0.1:1/0"}, "", "the store redis://user:xxxxx@127.0.0.1:1/0 does not answer: dial tcp 127.0.0.1:1"},
		{"unreachable, from the environment", nil, "rediss://:s3cret-pw@127.0.0.1:1/0", "the store rediss://:xxxxx@127.0.0.1:1/0 does not answer"},
		{"unreachable, from the config", []string{"--config", cfg}, "", "the store redis://:xxxxx@127.0.0.1:1/0 does not answer"},
		{"not a store", []string{"--store", "memcached://u:s3cret-pw@h:1"}, "", "--store memcached://u:xxxxx@h:1: not a store"},
		{"not a URL", []string{"--store", "redis://u:s3cret-pw@h:port/0"}, "", "redis://(a URL that does not parse): invalid port"},
		{"bad database", []string{"--store", "redis://u:s3cret-pw@127.0.0.1:1/zero"}, "", "invalid database number"},
		{"prefix with a space", []string{"--store", "memory", "--store-prefix", "a b"}, "", `--store-prefix "a b"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb syncBuffer
			getenv := func(k string) string {
				if k == StoreEnv {
					return tc.env
				}
				return ""
			}
			code := run(context.Background(), append([]string{"serve", "--addr", "127.0.0.1:0", "--spec", "pixfile"}, tc.args...), &out, &errb, getenv)
			stderr := errb.String()
			if code != exitUsage || !strings.Contains(stderr, tc.stderr) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, stderr, tc.stderr)
			}
			if n := strings.Count(strings.TrimSpace(stderr), "\n"); n != 0 {
				t.Errorf("stderr has %d lines, want one:\n%s", n+1, stderr)
			}
			if strings.Contains(stderr+out.String(), "s3cret") {
				t.Errorf("the password shows:\n%s%s", stderr, out.String())
			}
		})
	}
}

// replica is one `authconform serve` of TestServeReplicas.
type replica struct {
	t    *testing.T
	root string
}

// replicaClient bounds every request of the replica tests.
var replicaClient = &http.Client{Timeout: 10 * time.Second}

// do sends a request (JSON unless kv says otherwise) and decodes a JSON object answer.
func (r replica) do(method, path, body string, kv ...string) (int, http.Header, map[string]any) {
	r.t.Helper()
	code, h, raw := r.raw(method, path, body, kv...)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return code, h, m
}

func (r replica) raw(method, path, body string, kv ...string) (int, http.Header, []byte) {
	r.t.Helper()
	code, h, raw, err := r.send(method, path, body, kv...)
	if err != nil {
		r.t.Fatal(err)
	}
	return code, h, raw
}

// send is raw without failing the test, for a goroutine of its own.
func (r replica) send(method, path, body string, kv ...string) (int, http.Header, []byte, error) {
	req, err := http.NewRequest(method, r.root+path, strings.NewReader(body))
	if err != nil {
		return 0, nil, nil, err
	}
	if body != "" || method == http.MethodPost || method == http.MethodDelete {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(kv); i += 2 {
		req.Header.Set(kv[i], kv[i+1])
	}
	resp, err := replicaClient.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, raw, err
}

// clock is the replica's clock in the world under prefix ("" or /__sandbox/ID).
func (r replica) clock(prefix string) time.Time {
	r.t.Helper()
	code, _, body := r.do("GET", prefix+"/__authconform/clock", "")
	now, err := time.Parse(time.RFC3339Nano, fmt.Sprint(body["now"]))
	if code != 200 || err != nil {
		r.t.Fatalf("clock%s: %d %v", prefix, code, body)
	}
	return now
}

// moveClock posts a clock request ({"advance": ...}) in the world under prefix.
func (r replica) moveClock(prefix, body string) {
	r.t.Helper()
	if code, _, got := r.do("POST", prefix+"/__authconform/clock", body); code != 200 {
		r.t.Fatalf("clock%s %s: %d %v", prefix, body, code, got)
	}
}

// efaliaLogin logs user in through the replica (in the world under prefix): the status and
// the tokens.
func (r replica) efaliaLogin(prefix, user, password string) (code int, access, refresh string) {
	r.t.Helper()
	code, _, body := r.do("POST", prefix+"/workey/api/auth/token", `{"username":"`+user+`","password":"`+password+`"}`)
	access, _ = body["token"].(string)
	refresh, _ = body["refreshToken"].(string)
	return code, access, refresh
}

// protected is the status of efalia's protected call with access.
func (r replica) protected(prefix, access string) int {
	r.t.Helper()
	code, _, _ := r.do("GET", prefix+"/workey/api/processes", "", "Authorization", "Bearer "+access)
	return code
}

// oauth posts form to the OAuth 2 example's token endpoint, as its client.
func (r replica) oauth(form url.Values) (int, map[string]any) {
	r.t.Helper()
	form.Set("client_id", "web-app")
	form.Set("client_secret", "web-app-secret")
	code, _, body := r.do("POST", "/oauth/token", form.Encode(), "Content-Type", "application/x-www-form-urlencoded")
	return code, body
}

// atOnce checks cond right after an admin call answered on another replica: a change made
// through one replica's admin API is every replica's by then (the announcement waits until the
// others applied it), so a client whose next request a load balancer sends elsewhere sees it.
func atOnce(t *testing.T, what string, cond func() bool) {
	t.Helper()
	if !cond() {
		t.Errorf("not at once: %s", what)
	}
}

// startReplicas starts two `authconform serve` with args, the second with bArgs too; stop ends
// both and checks that they exit 0.
func startReplicas(t *testing.T, args, bArgs []string) (a, b replica, outs [2]*syncBuffer, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	rootA, outA, _, doneA := startServe(t, ctx, args...)
	rootB, outB, _, doneB := startServe(t, ctx, append(append([]string{}, args...), bArgs...)...)
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		for _, done := range []chan int{doneA, doneB} {
			select {
			case code := <-done:
				if code != exitOK {
					t.Errorf("serve exited %d", code)
				}
			case <-time.After(15 * time.Second):
				t.Fatal("serve did not stop")
			}
		}
	}
	t.Cleanup(stop)
	return replica{t, rootA}, replica{t, rootB}, [2]*syncBuffer{outA, outB}, stop
}

// TestServeReplicas: two `authconform serve` processes on one Redis and prefix, as two replicas
// behind a load balancer, are one mock (issue 18's "Replicas agree" and "Durable enough"):
//   - a token issued by one is accepted by the other: HS256 (efalia), and RS256 with an opaque
//     refresh token (the OAuth 2 example), with no key pinned by the config;
//   - a logout on one is refused on the other at once;
//   - a refresh token presented to both at once (50 pairs) succeeds exactly once per pair;
//   - an API key made on one works and is listed on the other and, deleted there, is refused on
//     the first;
//   - the clock moved on one is the clock of the other;
//   - a reset on one resets the world for both: tokens of before refused, the clock back, the
//     accounts as configured;
//   - a sandbox made through one is served, with the same state, through the other;
//   - accounts added or disabled through the admin API, API keys, tokens and logouts, a sandbox
//     with its clock moved and a queued fault survive a restart of both replicas (two new
//     processes on the same Redis and prefix).
//
// Both report their store healthy and neither shows its password.
func TestServeReplicas(t *testing.T) {
	srv := redistest.New(t)
	storeURL := srv.URL(1) // the test's Redis takes no password (TestStoreChoiceShowsNoPassword for the banner's)
	cfg := filepath.Join(t.TempDir(), "mock.yaml")
	if err := os.WriteFile(cfg, []byte("store:\n  url: "+storeURL+"\n  prefix: \"replicas:\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"--spec", "efalia", "--spec", "precrime", "--spec", "examples/specs/oauth2.yaml", "--config", cfg}
	// One replica takes the store from the config, the other from the flags.
	flags := []string{"--store", storeURL, "--store-prefix", "replicas:"}
	a, b, outs, stop := startReplicas(t, args, flags)
	for _, out := range outs {
		if want := `state: Redis ` + storeURL + `, keys under "replicas:"`; !strings.Contains(out.String(), want) {
			t.Errorf("the banner lacks %q:\n%s", want, out.String())
		}
	}
	for _, r := range []replica{a, b} {
		if code, _, body := r.do("GET", "/__authconform/health", ""); code != 200 || fmt.Sprint(body["store"]) != "map[kind:redis status:ok]" {
			t.Errorf("health: %d %v", code, body)
		}
	}
	login := func(r replica) (access, refresh string) {
		t.Helper()
		code, access, refresh := r.efaliaLogin("", "alice", "alice-password")
		if code != 200 {
			t.Fatalf("login: %d", code)
		}
		return access, refresh
	}

	t.Run("a token issued by one is accepted by the other", func(t *testing.T) {
		for _, p := range [][2]replica{{a, b}, {b, a}} {
			access, _ := login(p[0])
			if code := p[1].protected("", access); code != 200 {
				t.Errorf("an HS256 token of %s on %s: %d", p[0].root, p[1].root, code)
			}
		}
		code, first := a.oauth(url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {"alice-password"}})
		refresh, _ := first["refresh_token"].(string)
		if code != 200 || refresh == "" || strings.Count(refresh, ".") == 2 {
			t.Fatalf("OAuth 2 login on A: %d, refresh token %q (want an opaque one)", code, refresh)
		}
		if code, _, _ := b.do("GET", "/oauth/userinfo", "", "Authorization", "Bearer "+fmt.Sprint(first["access_token"])); code != 200 {
			t.Errorf("an RS256 token of A on B: %d", code)
		}
		code, second := b.oauth(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}})
		if code != 200 {
			t.Fatalf("A's opaque refresh token on B: %d %v", code, second)
		}
		if code, _, _ := a.do("GET", "/oauth/userinfo", "", "Authorization", "Bearer "+fmt.Sprint(second["access_token"])); code != 200 {
			t.Errorf("an RS256 token B issued by refresh, on A: %d", code)
		}
		if code, _ := a.oauth(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}}); code == 200 {
			t.Error("the opaque refresh token B used was accepted again on A")
		}
		_, _, jwksA := a.raw("GET", "/oauth/jwks", "")
		_, _, jwksB := b.raw("GET", "/oauth/jwks", "")
		if string(jwksA) != string(jwksB) || !strings.Contains(string(jwksA), `"RS256"`) {
			t.Errorf("the replicas publish different keys:\n%s\n%s", jwksA, jwksB)
		}
	})

	t.Run("a logout on one is refused on the other at once", func(t *testing.T) {
		access, _ := login(a)
		if code := b.protected("", access); code != 200 {
			t.Fatalf("a token of A on B: %d", code)
		}
		if code, _, _ := a.do("POST", "/workey/api/auth/logout", "", "Authorization", "Bearer "+access); code != 200 {
			t.Fatalf("logout on A: %d", code)
		}
		if code, h, _ := b.do("GET", "/workey/api/processes", "", "Authorization", "Bearer "+access); code != 401 || !strings.Contains(h.Get("X-Authconform-Message"), "revoked") {
			t.Errorf("a token logged out on A, on B: %d %q", code, h.Get("X-Authconform-Message"))
		}
	})

	t.Run("a refresh token presented to both at once is used once", func(t *testing.T) {
		const pairs = 50
		refresh := make([]string, pairs)
		for i := range refresh {
			_, refresh[i] = login(a)
		}
		codes := make([][2]int, pairs)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range pairs {
			for j, r := range []replica{a, b} {
				wg.Go(func() {
					<-start
					codes[i][j], _, _ = r.do("POST", "/workey/api/auth/refresh", `{"refreshToken":"`+refresh[i]+`"}`)
				})
			}
		}
		close(start)
		wg.Wait()
		for i, c := range codes {
			ok := 0
			for _, code := range c {
				switch {
				case code == 200:
					ok++
				case code >= 500 && code != 555: // efalia's documented refusal is 555
					t.Errorf("pair %d: status %d", i, code)
				}
			}
			if ok != 1 {
				t.Errorf("pair %d: statuses %v on A and B, want exactly one 200", i, c)
			}
		}
	})

	precrimeLogin := func(r replica) string {
		t.Helper()
		code, _, body := r.do("POST", "/user/login", `{"username":"john.doe","password":"SecurePass123!"}`)
		if code != 200 {
			t.Fatalf("precrime login: %d", code)
		}
		return body["Token"].(string)
	}
	addKey := func(r replica, tok, name string) string {
		t.Helper()
		code, _, body := r.do("POST", "/authheader/add", `{"name":"`+name+`"}`, "Authorization", "Bearer "+tok)
		if code != 200 {
			t.Fatalf("key %s: %d", name, code)
		}
		return body["token"].(string)
	}
	keyListed := func(r replica, key string) bool {
		code, _, raw := r.raw("GET", "/authheader/list", "", "Authorization", "Bearer "+key)
		return code == 200 && strings.Contains(string(raw), key)
	}

	t.Run("an API key made on one works on the other", func(t *testing.T) {
		tok := precrimeLogin(a)
		key := addKey(a, tok, "ci")
		if !keyListed(b, key) {
			t.Error("A's key, used and listed on B: refused or missing")
		}
		if code, _, _ := b.do("POST", "/authheader/delete", `{"text":"`+key+`"}`, "Authorization", "Bearer "+tok); code != 200 {
			t.Errorf("delete on B: %d", code)
		}
		if code, _, _ := a.do("GET", "/authheader/list", "", "Authorization", "Bearer "+key); code != 401 {
			t.Errorf("the key deleted on B, on A: %d", code)
		}
	})

	t.Run("the clock moved on one is the clock of the other", func(t *testing.T) {
		access, _ := login(a)
		a.moveClock("", `{"advance":"2h"}`) // past efalia's 1 h access tokens
		atOnce(t, "B's clock follows A's move", func() bool { return time.Until(b.clock("")) > 119*time.Minute })
		if d := b.clock("").Sub(a.clock("")).Abs(); d > time.Minute {
			t.Errorf("the clocks differ by %s", d)
		}
		if code := b.protected("", access); code != 401 {
			t.Errorf("a 1 h token two hours later on A's clock, on B: %d, want 401", code)
		}
		if code, _, _ := b.do("POST", "/__authconform/clock/reset", ""); code != 200 {
			t.Fatalf("clock reset on B: %d", code)
		}
		atOnce(t, "A's clock back to real time with B's", func() bool { return time.Until(a.clock("")).Abs() < time.Minute })
		for i := range 20 { // moved through one, the other's at once, each time
			from, to := a, b
			if i%2 == 1 {
				from, to = b, a
			}
			at := time.Date(2030, 1, 1, i, 0, 0, 0, time.UTC)
			from.moveClock("", `{"set":"`+at.Format(time.RFC3339)+`"}`)
			if got := to.clock(""); got.Sub(at).Abs() > time.Minute {
				t.Errorf("move %d: the clock set to %s on one replica reads %s on the other", i, at, got)
			}
		}
		b.do("POST", "/__authconform/clock/reset", "")
	})

	t.Run("a reset on one resets the world for both", func(t *testing.T) {
		before, _ := login(b)
		if code, _, body := a.do("POST", "/__authconform/accounts?spec=efalia", `{"username":"dora","password":"dora-password"}`); code != 201 {
			t.Fatalf("adding dora on A: %d %v", code, body)
		}
		if code, _, _ := b.do("POST", "/__authconform/accounts/efalia/bob/disable", ""); code != 200 {
			t.Fatalf("disabling bob on B: %d", code)
		}
		atOnce(t, "dora, added on A, logs in on B", func() bool { c, _, _ := b.efaliaLogin("", "dora", "dora-password"); return c == 200 })
		atOnce(t, "bob, disabled on B, is refused on A", func() bool { c, _, _ := a.efaliaLogin("", "bob", "bob-password"); return c != 200 })
		b.moveClock("", `{"advance":"5h"}`)
		atOnce(t, "A's clock follows B's", func() bool { return time.Until(a.clock("")) > 4*time.Hour })

		if code, _, body := a.do("POST", "/__authconform/reset", ""); code != 200 || body["reset"] != true {
			t.Fatalf("reset on A: %d %v", code, body)
		}
		atOnce(t, "B's clock back to real time", func() bool { return time.Until(b.clock("")).Abs() < time.Minute })
		atOnce(t, "a token of before the reset refused on B", func() bool { return b.protected("", before) == 401 })
		atOnce(t, "bob enabled again on B", func() bool { c, _, _ := b.efaliaLogin("", "bob", "bob-password"); return c == 200 })
		atOnce(t, "dora gone on B", func() bool { c, _, _ := b.efaliaLogin("", "dora", "dora-password"); return c != 200 })
		after, _ := login(b)
		if code := a.protected("", after); code != 200 {
			t.Errorf("a token B issued after the reset, on A: %d", code)
		}
	})

	t.Run("a sandbox made through one is served by the other", func(t *testing.T) {
		const sb = "/__sandbox/team"
		if code, _, body := a.do("POST", "/__authconform/sandboxes", `{"id":"team"}`); code != 201 {
			t.Fatalf("creating team on A: %d %v", code, body)
		}
		code, access, _ := a.efaliaLogin(sb, "alice", "alice-password")
		if code != 200 {
			t.Fatalf("login in team on A: %d", code)
		}
		if code := b.protected(sb, access); code != 200 {
			t.Errorf("team's token from A, in team on B: %d", code)
		}
		if code := b.protected("", access); code != 401 {
			t.Errorf("team's token in B's default world: %d, want 401", code)
		}
		_, _, list := b.raw("GET", "/__authconform/sandboxes", "")
		if !strings.Contains(string(list), `"id":"team"`) {
			t.Errorf("B does not list team: %s", list)
		}
		b.moveClock(sb, `{"advance":"30m"}`)
		atOnce(t, "team's clock on A follows B's move", func() bool { return time.Until(a.clock(sb)) > 29*time.Minute })
		if time.Until(a.clock("")) > time.Minute {
			t.Error("A's default clock moved with team's")
		}
		code, _, other := b.efaliaLogin(sb, "bob", "bob-password")
		if code != 200 || other == "" {
			t.Fatalf("bob's login in team on B: %d", code)
		}
		if code, _, _ := b.do("POST", sb+"/workey/api/auth/logout", "", "Authorization", "Bearer "+access); code != 200 {
			t.Fatalf("logout in team on B: %d", code)
		}
		if code := a.protected(sb, access); code != 401 {
			t.Errorf("team's token logged out on B, on A: %d, want 401", code)
		}
		if code, _, _ := b.do("DELETE", "/__authconform/sandboxes/team", ""); code != 204 {
			t.Fatalf("deleting team on B: %d", code)
		}
		if code, _, _ := a.do("POST", sb+"/workey/api/auth/refresh", `{"refreshToken":"`+other+`"}`); code == 200 {
			t.Error("a refresh token of team, deleted on B, accepted on A")
		}
	})

	t.Run("accounts, API keys, tokens, logouts, sandboxes, clocks and faults survive a restart of every replica", func(t *testing.T) {
		if code, _, _ := a.do("POST", "/__authconform/accounts?spec=efalia", `{"username":"erin","password":"erin-password"}`); code != 201 {
			t.Fatalf("adding erin on A: %d", code)
		}
		if code, _, _ := b.do("POST", "/__authconform/accounts/efalia/bob/disable", ""); code != 200 {
			t.Fatalf("disabling bob on B: %d", code)
		}
		key := addKey(b, precrimeLogin(b), "durable")
		if code, _, body := a.do("POST", "/__authconform/sandboxes", `{"id":"kept"}`); code != 201 {
			t.Fatalf("creating kept on A: %d %v", code, body)
		}
		a.moveClock("/__sandbox/kept", `{"advance":"3h"}`)
		if code, _, body := b.do("POST", "/__authconform/faults", `{"operation":"GET /userinfo","spec":"oauth2","count":1,"delay":"1ms"}`); code != 201 {
			t.Fatalf("queueing a fault on B: %d %v", code, body)
		}
		kept, _ := login(a)
		gone, _ := login(b)
		if code, _, _ := b.do("POST", "/workey/api/auth/logout", "", "Authorization", "Bearer "+gone); code != 200 {
			t.Fatalf("logout on B: %d", code)
		}
		stop()
		a2, b2, _, _ := startReplicas(t, args, flags)
		for i, r := range []replica{a2, b2} {
			if c, _, _ := r.efaliaLogin("", "erin", "erin-password"); c != 200 {
				t.Errorf("replica %d after the restart: erin, added before, logs in: %d", i, c)
			}
			if c, _, _ := r.efaliaLogin("", "bob", "bob-password"); c == 200 {
				t.Errorf("replica %d after the restart: bob, disabled before, logs in", i)
			}
			if !keyListed(r, key) {
				t.Errorf("replica %d after the restart: the API key made before is refused or not listed", i)
			}
			if c := r.protected("", kept); c != 200 {
				t.Errorf("replica %d after the restart: a token of before: %d, want 200 (the signing key is the store's)", i, c)
			}
			if c := r.protected("", gone); c != 401 {
				t.Errorf("replica %d after the restart: a token logged out before: %d, want 401", i, c)
			}
			if d := time.Until(r.clock("/__sandbox/kept")); d < 2*time.Hour+50*time.Minute || d > 3*time.Hour+10*time.Minute {
				t.Errorf("replica %d after the restart: sandbox kept's clock is %s ahead, want 3 h", i, d)
			}
			if _, _, raw := r.raw("GET", "/__authconform/faults", ""); !strings.Contains(string(raw), `"operation":"GET /userinfo"`) {
				t.Errorf("replica %d after the restart: the fault queued before is gone: %s", i, raw)
			}
		}
	})
}

// TestStoreChoiceShowsNoPassword: the banner's line on the store never shows its password.
func TestStoreChoiceShowsNoPassword(t *testing.T) {
	c, err := chooseStore(serveOptions{store: "rediss://team:s3cret-pw@redis.team:6380/2"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.String(); strings.Contains(got, "s3cret") || !strings.Contains(got, "rediss://team:xxxxx@redis.team:6380/2") || !strings.Contains(got, `"authconform:"`) {
		t.Errorf("banner line %q", got)
	}
	if c, _ := chooseStore(serveOptions{}, nil, nil); !strings.Contains(c.String(), "memory") {
		t.Errorf("default store %q", c.String())
	}
}
