//go:build unix

package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The frontend quick start (docs/frontend.md, examples/frontend) is run as a frontend developer
// runs it: npm run build generates the TypeScript clients from specs/*.yaml, type-checks the
// quick start and its type proofs, and bundles it; authconform serve runs in process; headless
// Chromium loads the page from another origin, and the page logs in to every bundled spec, reads
// each token where its spec puts it, calls the protected operation and provokes the refusals.
// Skipped without npm, the installed packages (npm ci in examples/frontend) or Chromium, except
// under CI=true, where that is a failure.

// frontendOutcome is what src/quickstart.ts returns for one spec.
type frontendOutcome struct {
	Login     int
	TokenRead bool
	Protected int
	Refusals  map[string]struct {
		Status  int
		Message *string
	}
	More  map[string]int
	Error string
}

func needTool(t *testing.T, ok bool, msg string) {
	t.Helper()
	if ok {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

func TestFrontendQuickStart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the frontend quick start in a browser")
	}
	dir, err := filepath.Abs(filepath.Join("examples", "frontend")) // TestMain runs from the repository root
	if err != nil {
		t.Fatal(err)
	}
	npm, errNpm := exec.LookPath("npm")
	needTool(t, errNpm == nil, "npm is not on PATH (Debian: apt-get install -y nodejs npm)")
	_, errPkg := os.Stat(filepath.Join(dir, "node_modules", ".bin", "openapi-typescript"))
	needTool(t, errPkg == nil, fmt.Sprintf("the quick start's packages are not installed (%v): run (cd examples/frontend && npm ci)", errPkg))
	chromium, errChr := exec.LookPath("chromium")
	needTool(t, errChr == nil, "chromium is not on PATH (Debian: apt-get install -y chromium)")

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	build := exec.CommandContext(ctx, npm, "run", "build")
	build.Dir = dir
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("npm run build in examples/frontend: %v\n%s", err, out)
	}

	serveCtx, stop := context.WithCancel(ctx)
	root, _, errb, done := startServe(t, serveCtx) // every bundled spec, 127.0.0.1
	defer func() {
		stop()
		if code := <-done; code != 0 {
			t.Errorf("serve exited %d: %s", code, errb.String())
		}
	}()
	page := httptest.NewServer(http.FileServer(http.Dir(dir))) // another origin: 127.0.0.1, another port
	defer page.Close()

	args := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
		"--user-data-dir=" + filepath.Join(t.TempDir(), "profile"), "--virtual-time-budget=20000",
		"--dump-dom", page.URL + "/index.html?mock=" + root}
	cmd := exec.CommandContext(ctx, chromium, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) } // the whole group
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	m := regexp.MustCompile(`(?s)<pre id="result">(.*?)</pre>`).FindSubmatch(stdout.Bytes())
	if m == nil || string(m[1]) == "pending" {
		t.Fatalf("the page wrote no result:\n%s", stdout.String())
	}
	t.Logf("the page saw %s", html.UnescapeString(string(m[1])))
	var got map[string]frontendOutcome
	if err := json.Unmarshal([]byte(html.UnescapeString(string(m[1]))), &got); err != nil {
		t.Fatalf("result %s: %v", m[1], err)
	}

	// message: "" where the spec declares no body (the status is all a client gets), "typed"
	// where it declares one (the page read a message from the typed error).
	type refusal struct {
		status  int
		message bool
	}
	want := map[string]struct {
		refusals map[string]refusal
		more     map[string]int
	}{
		"efalia": {map[string]refusal{"wrongPassword": {555, true}, "noCredential": {401, true}},
			map[string]int{"refresh": 200, "logout": 200}},
		"pixfile": {map[string]refusal{"wrongPassword": {401, false}, "disabled": {403, false}},
			map[string]int{"v1": 200, "v1Token": 1}},
		"elyssa": {map[string]refusal{"unknownCompany": {401, true}, "otherCompany": {401, true}},
			map[string]int{"refresh": 200, "protectedAfterRefresh": 200}},
		"precrime": {map[string]refusal{"wrongPassword": {401, true}, "passwordExpired": {403, true}, "deletedKey": {401, true}},
			map[string]int{"createKey": 200, "keyRead": 1, "protectedWithKey": 200, "deleteKey": 200}},
	}
	for spec, w := range want {
		o, ok := got[spec]
		switch {
		case !ok || o.Error != "":
			t.Errorf("%s: the quick start failed in the browser: %+v", spec, o)
			continue
		case o.Login != 200 || !o.TokenRead || o.Protected != 200:
			t.Errorf("%s: login %d, token read %v, protected call %d; want 200, true, 200", spec, o.Login, o.TokenRead, o.Protected)
		}
		for name, r := range w.refusals {
			g := o.Refusals[name]
			hasMessage := g.Message != nil && strings.TrimSpace(*g.Message) != ""
			if g.Status != r.status || hasMessage != r.message {
				t.Errorf("%s %s: status %d, message %v; want %d, a message: %v", spec, name, g.Status, g.Message, r.status, r.message)
			}
		}
		for name, v := range w.more {
			if o.More[name] != v {
				t.Errorf("%s %s: %d, want %d (all: %v)", spec, name, o.More[name], v, o.More)
			}
		}
	}
}
