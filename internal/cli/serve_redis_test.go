package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
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

func (r replica) do(method, path, body string, kv ...string) (int, http.Header, map[string]any) {
	r.t.Helper()
	req, err := http.NewRequest(method, r.root+path, strings.NewReader(body))
	if err != nil {
		r.t.Fatal(err)
	}
	if body != "" || method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(kv); i += 2 {
		req.Header.Set(kv[i], kv[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return resp.StatusCode, resp.Header, m
}

// TestServeReplicas: two `authconform serve` on one Redis and prefix, as two replicas behind a
// load balancer, agree: a logout on one is refused on the other at once, a refresh token
// presented to both at once (50 pairs) succeeds exactly once per pair, an API key made on one
// works and is listed on the other and, deleted there, is refused on the first; both report
// their store healthy and neither shows its password. Until signing keys move into the store,
// each process draws its own random keys, so the replicas share keys pinned by the config
// (signingKey): a token of one is then verified by the other.
func TestServeReplicas(t *testing.T) {
	srv := redistest.New(t)
	url := srv.URL(1) // the test's Redis takes no password (TestStoreChoiceShowsNoPassword for the banner's)
	cfg := filepath.Join(t.TempDir(), "mock.yaml")
	pinned := "specs:\n" +
		"  efalia: {signingKey: replica-test-key-efalia-0123456789}\n" +
		"  precrime: {signingKey: replica-test-key-precrime-0123456789}\n" +
		"store:\n  url: " + url + "\n  prefix: \"replicas:\"\n"
	if err := os.WriteFile(cfg, []byte(pinned), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// One replica takes the store from the config, the other from the flags.
	rootA, outA, _, doneA := startServe(t, ctx, "--spec", "efalia", "--spec", "precrime", "--config", cfg)
	rootB, outB, _, doneB := startServe(t, ctx, "--spec", "efalia", "--spec", "precrime", "--config", cfg, "--store", url, "--store-prefix", "replicas:")
	a, b := replica{t, rootA}, replica{t, rootB}
	for _, out := range []*syncBuffer{outA, outB} {
		if want := `state: Redis ` + url + `, keys under "replicas:"`; !strings.Contains(out.String(), want) {
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
		code, _, body := r.do("POST", "/workey/api/auth/token", `{"username":"alice","password":"alice-password"}`)
		if code != 200 {
			t.Fatalf("login: %d %v", code, body)
		}
		return body["token"].(string), body["refreshToken"].(string)
	}

	t.Run("a logout on one is refused on the other at once", func(t *testing.T) {
		access, _ := login(a)
		if code, _, _ := b.do("GET", "/workey/api/processes", "", "Authorization", "Bearer "+access); code != 200 {
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

	t.Run("an API key made on one works on the other", func(t *testing.T) {
		code, _, body := a.do("POST", "/user/login", `{"username":"john.doe","password":"SecurePass123!"}`)
		if code != 200 {
			t.Fatalf("login: %d", code)
		}
		tok := body["Token"].(string)
		code, _, body = a.do("POST", "/authheader/add", `{"name":"ci"}`, "Authorization", "Bearer "+tok)
		if code != 200 {
			t.Fatalf("key on A: %d", code)
		}
		key := body["token"].(string)
		req, _ := http.NewRequest("GET", b.root+"/authheader/list", nil)
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(raw), key) {
			t.Errorf("A's key, used and listed on B: %d %s", resp.StatusCode, raw)
		}
		if code, _, _ := b.do("POST", "/authheader/delete", `{"text":"`+key+`"}`, "Authorization", "Bearer "+tok); code != 200 {
			t.Errorf("delete on B: %d", code)
		}
		if code, _, _ := a.do("GET", "/authheader/list", "", "Authorization", "Bearer "+key); code != 401 {
			t.Errorf("the key deleted on B, on A: %d", code)
		}
	})
	cancel()
	for _, done := range []chan int{doneA, doneB} {
		select {
		case code := <-done:
			if code != exitOK {
				t.Errorf("exit %d", code)
			}
		case <-time.After(15 * time.Second):
			t.Fatal("serve did not stop")
		}
	}
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
