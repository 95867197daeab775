//go:build unix

package cli

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestServeReloads: serve picks up a changed config without a restart, keeps serving the old one
// when the new one is broken, keeps its state, and reloads on SIGHUP.
func TestServeReloads(t *testing.T) {
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "mock.yaml")
	write := func(body string) {
		t.Helper()
		// A new size as well as a new time, so even a coarse file system clock shows the change.
		if err := os.WriteFile(cfgFile, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	const accounts = "specs:\n  pixfile:\n    accounts:\n      - {username: user, password: pass, profile: {userId: 5}}\n"
	write(accounts)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	root, _, errb, done := startServe(t, ctx, "--spec", "pixfile", "--config", cfgFile)
	login := func(user, pass string) int {
		resp, err := http.Post(root+"/api/v2/login", "application/json", strings.NewReader(`{"username":"`+user+`","password":"`+pass+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	eventually := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if ok() {
				return
			}
		}
		t.Fatalf("%s did not happen; stderr:\n%s", what, errb.String())
	}
	if login("frank", "frank-password") != 401 || login("user", "pass") != 200 {
		t.Fatal("unexpected accounts before the reload")
	}
	clock := func() string {
		resp, err := http.Post(root+"/__authconform/clock", "application/json", strings.NewReader(`{"advance":"1h"}`))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return string(b)
	}
	moved := clock()

	cases := []struct {
		name string
		run  func(t *testing.T)
	}{
		{name: "a changed file is reloaded", run: func(t *testing.T) {
			write(accounts + "      - {username: frank, password: frank-password, profile: {userId: 8}}\n")
			eventually("frank's login after the reload", func() bool { return login("frank", "frank-password") == 200 })
		}},
		{name: "a broken file is reported and ignored", run: func(t *testing.T) {
			write(accounts + "      - {username: frank, pasword: x}\n")
			eventually("the located error in the log", func() bool {
				return strings.Contains(errb.String(), "reload refused") && strings.Contains(errb.String(), "specs.pixfile.accounts[1].pasword: unknown field")
			})
			if login("frank", "frank-password") != 200 {
				t.Error("the broken file replaced the good one")
			}
		}},
		{name: "SIGHUP reloads", run: func(t *testing.T) {
			write(accounts) // frank gone, file good again
			eventually("frank's removal", func() bool { return login("frank", "frank-password") == 401 })
			n := strings.Count(errb.String(), "reason=SIGHUP")
			if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
				t.Skipf("cannot send SIGHUP: %v", err)
			}
			eventually("a reload on SIGHUP", func() bool { return strings.Count(errb.String(), "reason=SIGHUP") > n })
		}},
		{name: "the clock was kept", run: func(t *testing.T) {
			resp, err := http.Get(root + "/__authconform/clock")
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var now struct{ Now time.Time }
			if err := json.Unmarshal(b, &now); err != nil {
				t.Fatalf("clock %s: %v", b, err)
			}
			if ahead := time.Until(now.Now); ahead < 50*time.Minute {
				t.Errorf("clock %s after reloads is %v ahead of real time, want the hour moved before (%s)", b, ahead, moved)
			}
		}},
	}
	for _, tc := range cases {
		if !t.Run(tc.name, tc.run) {
			break
		}
	}
	cancel()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop")
	}
}
