package suites

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func testClient(t *testing.T, h http.Handler, timeout time.Duration, max int64) (*client, *httptest.Server) {
	t.Helper()
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	u, _ := url.Parse(ts.URL)
	return newClient(u, timeout, max, false, &redactor{}, nil), ts
}

func TestClientSafety(t *testing.T) {
	var offHostHit bool
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { offHostHit = true }))
	defer other.Close()
	mux := http.NewServeMux()
	mux.HandleFunc("/away", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/steal", http.StatusFound)
	})
	mux.HandleFunc("/here", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/ok", http.StatusFound) })
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) })
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(strings.Repeat("x", 5000))) })
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	mux.HandleFunc("/headers", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(r.Header.Get("X-Auth-Token"))) })
	c, ts := testClient(t, mux, 200*time.Millisecond, 1024)
	ctx := context.Background()
	get := func(path string, hs ...header) (*response, error) {
		return c.do(ctx, &request{method: http.MethodGet, url: ts.URL + path, headers: hs})
	}

	t.Run("no redirect to another host", func(t *testing.T) {
		resp, err := get("/away")
		if err != nil || resp.status != http.StatusFound || offHostHit {
			t.Errorf("status %v err %v, other host reached: %v", resp, err, offHostHit)
		}
	})
	t.Run("same-host redirect followed", func(t *testing.T) {
		resp, err := get("/here")
		if err != nil || resp.status != 200 || string(resp.body) != "ok" {
			t.Errorf("%v %v", resp, err)
		}
	})
	t.Run("size cap", func(t *testing.T) {
		resp, err := get("/big")
		if err != nil || !resp.truncated || len(resp.body) != 1024 {
			t.Errorf("truncated %v len %d err %v", resp.truncated, len(resp.body), err)
		}
	})
	t.Run("per-request timeout", func(t *testing.T) {
		start := time.Now()
		_, err := get("/slow")
		if err == nil || time.Since(start) > 2*time.Second {
			t.Errorf("err %v after %s", err, time.Since(start))
		}
	})
	t.Run("context cancelled", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err := c.do(cctx, &request{method: http.MethodGet, url: ts.URL + "/ok"})
		if err == nil {
			t.Error("a cancelled context still sent the request")
		}
	})
	t.Run("lowercase header name on the wire still reaches a canonicalising server", func(t *testing.T) {
		resp, err := get("/headers", header{"x-auth-token", "v"})
		if err != nil || string(resp.body) != "v" {
			t.Errorf("%v %v", resp, err)
		}
	})
}

// TestSuitesNeverImportTheMock guards the first dependency rule (docs/architecture.md): the suites judge a target
// from the spec alone.
func TestSuitesNeverImportTheMock(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list unavailable: %v", err)
	}
	if strings.Contains(string(out), "/mockserver") {
		t.Error("package suites depends on mockserver")
	}
}
