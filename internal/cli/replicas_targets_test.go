package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authconform/authconform/internal/redistest"
)

// exampleTargets are the files of examples/targets, each pointing at root: its URL replaced,
// and the example specs' relative path made absolute (the copies live in a temporary folder).
func exampleTargets(t *testing.T, root string) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("examples", "targets", "*.yaml"))
	if err != nil || len(files) < 6 {
		t.Fatalf("examples/targets: %v %v", files, err)
	}
	specsDir, err := filepath.Abs(filepath.Join("examples", "specs"))
	if err != nil {
		t.Fatal(err)
	}
	url := regexp.MustCompile(`http://127\.0\.0\.1:\d+`)
	dir := t.TempDir()
	out := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		s := url.ReplaceAllString(string(b), root)
		s = strings.ReplaceAll(s, "spec: ../specs/", "spec: "+specsDir+"/")
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		p := filepath.Join(dir, name+".yaml")
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		out[name] = p
	}
	return out
}

// secondClient drives r in the default world until stop: logins, protected calls, a refresh and
// a logout, and the default world's clock moved five hours on and back, checking each answer.
// It returns how many rounds it made, and the first unexpected answer.
func secondClient(r replica, stop <-chan struct{}) (rounds int, err error) {
	const maxRounds = 2000 // bounded in count too
	type step struct {
		method, path, body string
		want               int
		kv                 func() []string
	}
	var pixToken, access, refresh string
	steps := []step{
		{"POST", "/api/v2/login", `{"username":"user","password":"pass"}`, 200, nil},
		{"GET", "/api/v2/customers", "", 200, func() []string { return []string{"X-Auth-Token", pixToken} }},
		{"POST", "/workey/api/auth/token", `{"username":"bob","password":"bob-password"}`, 200, nil},
		{"GET", "/workey/api/processes", "", 200, func() []string { return []string{"Authorization", "Bearer " + access} }},
		{"POST", "/workey/api/auth/refresh", "", 200, nil},
		{"POST", "/workey/api/auth/logout", "", 200, func() []string { return []string{"Authorization", "Bearer " + access} }},
		{"GET", "/workey/api/processes", "", 401, func() []string { return []string{"Authorization", "Bearer " + access} }},
	}
	for i := range maxRounds {
		select {
		case <-stop:
			return i, nil
		default:
		}
		for j, s := range steps {
			var kv []string
			if s.kv != nil {
				kv = s.kv()
			}
			body := s.body
			if s.path == "/workey/api/auth/refresh" {
				body = `{"refreshToken":"` + refresh + `"}`
			}
			code, h, raw, err := r.send(s.method, s.path, body, kv...)
			if err != nil {
				return i, err
			}
			if code != s.want {
				return i, fmt.Errorf("round %d, step %d: %s %s: %d, want %d", i, j, s.method, s.path, code, s.want)
			}
			switch j {
			case 0:
				pixToken = h.Get("X-Auth-Token")
			case 2:
				var m map[string]any
				_ = json.Unmarshal(raw, &m)
				access, _ = m["token"].(string)
				refresh, _ = m["refreshToken"].(string)
			}
		}
		if i%5 == 4 { // the default world's clock five hours on, and back
			for _, c := range [][2]string{{"/__authconform/clock", `{"advance":"5h"}`}, {"/__authconform/clock/reset", ""}} {
				if code, _, _, err := r.send("POST", c[0], c[1]); err != nil || code != 200 {
					return i, fmt.Errorf("round %d: %s: %d %v", i, c[0], code, err)
				}
			}
		}
	}
	return maxRounds, nil
}

// roundRobin is a load balancer in front of the replicas: each request goes to the next one.
func roundRobin(t *testing.T, rs ...replica) string {
	t.Helper()
	proxies := make([]*httputil.ReverseProxy, len(rs))
	for i, r := range rs {
		u, err := url.Parse(r.root)
		if err != nil {
			t.Fatal(err)
		}
		proxies[i] = httputil.NewSingleHostReverseProxy(u)
	}
	var n atomic.Uint64
	lb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proxies[(n.Add(1)-1)%uint64(len(proxies))].ServeHTTP(w, r)
	}))
	t.Cleanup(lb.Close)
	return lb.URL
}

// TestExampleTargetsAgainstReplicas: every example target (the four bundled specs and the two
// example specs) passes `authconform test` against one of two replicas on one Redis while a
// second client drives the other (logins, protected calls, refreshes, logouts, the default
// world's clock moved), then the same with the replicas' roles swapped, then through a load
// balancer that sends each request to the next replica while the second client drives A: a run's
// clock moved, account changed or sandbox reset through one replica is the other's by the time
// the admin call answers. Each run works in a fresh sandbox, which lives in Redis, and deletes
// it: no sandbox is left on either replica. The runs
// are processes of their own (this test binary as the command, TestMain); the mocks run here.
//
// -stress-sandbox off (parallel_test.go's flag) runs them in the shared default world instead,
// the world whose clock the second client moves through the other replica (docs/redis.md says
// what happens then).
func TestExampleTargetsAgainstReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("twelve conformance runs: not with -short")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	srv := redistest.New(t)
	args := []string{"--spec", "efalia", "--spec", "pixfile", "--spec", "elyssa", "--spec", "precrime",
		"--spec", "examples/specs/oauth2.yaml", "--spec", "examples/specs/signin.yaml", "--store", srv.URL(2)}
	a, b, _, _ := startReplicas(t, args, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	verdict := regexp.MustCompile(`(?m)^Verdict: .*$`)
	failed := regexp.MustCompile(`(?m)^\s*FAILED .*$`)
	for _, pair := range []struct {
		name   string
		tested string // the root the runs test
		loaded replica
	}{
		{"runs on A, second client on B", a.root, b},
		{"runs on B, second client on A", b.root, a},
		{"runs through a load balancer alternating A and B, second client on A", roundRobin(t, a, b), a},
	} {
		t.Run(pair.name, func(t *testing.T) {
			targets := exampleTargets(t, pair.tested)
			stop := make(chan struct{})
			var rounds atomic.Int64
			var client sync.WaitGroup
			var clientErr error
			client.Go(func() {
				n, err := secondClient(pair.loaded, stop)
				rounds.Store(int64(n))
				clientErr = err
			})
			var runs sync.WaitGroup
			for name, target := range targets {
				runs.Go(func() {
					cmd := exec.CommandContext(ctx, self, "test", "--target", target, "--sandbox", *stressSandbox)
					cmd.Env = append(os.Environ(), asCLI+"=1")
					out, err := cmd.CombinedOutput()
					if err != nil {
						t.Errorf("%s: %v: %s\n%s", name, err, verdict.Find(out), strings.Join(failed.FindAllString(string(out), 10), "\n"))
						return
					}
					if *stressSandbox == "auto" && !bytes.Contains(out, []byte("in a fresh sandbox of the mock")) {
						t.Errorf("%s: the run did not say it used a sandbox:\n%s", name, out)
					}
				})
			}
			runs.Wait()
			close(stop)
			client.Wait()
			if clientErr != nil {
				t.Errorf("the second client, on %s: %v", pair.loaded.root, clientErr)
			}
			if rounds.Load() < 2 {
				t.Errorf("the second client made %d rounds during the runs; the test shows nothing", rounds.Load())
			}
			t.Logf("%d runs; the second client made %d rounds meanwhile", len(targets), rounds.Load())
			for _, r := range []replica{a, b} {
				_, _, list := r.raw("GET", "/__authconform/sandboxes", "")
				if !strings.Contains(string(list), `"sandboxes":[]`) {
					t.Errorf("sandboxes left after the runs, on %s: %s", r.root, list)
				}
			}
		})
	}
}
