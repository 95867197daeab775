package cli

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authconform/authconform/mockserver"
)

// syncBuffer is a bytes.Buffer safe to read while serve writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestServeRefuses(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("specs:\n  pixfile:\n    acounts: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		args   []string
		stderr string
	}{
		{name: "bad config", args: []string{"serve", "--config", bad}, stderr: "bad.yaml:3:5: specs.pixfile.acounts: unknown field"},
		{name: "missing config", args: []string{"serve", "--config", filepath.Join(t.TempDir(), "none.yaml")}, stderr: "none.yaml"},
		{name: "unknown spec", args: []string{"serve", "--spec", "nosuch"}, stderr: "no bundled spec of that name"},
		{name: "bad log format", args: []string{"serve", "--log-format", "xml"}, stderr: "--log-format"},
		{name: "arguments", args: []string{"serve", "pixfile"}, stderr: "unknown command"},
		{name: "reading without =", args: []string{"serve", "--reading", "precrime-authorization"}, stderr: "write DECISION=CHOICE"},
		{name: "reading of no served spec", args: []string{"serve", "--spec", "pixfile", "--reading", "precrime-authorization=bare"}, stderr: `no served spec has the decision "precrime-authorization"; decisions with readings: pixfile-password-expiry`},
		{name: "unknown reading", args: []string{"serve", "--reading", "precrime-authorization=naked"}, stderr: "choose one of bearer, bare"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tc.args...)
			if code != exitUsage || !strings.Contains(stderr, tc.stderr) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, stderr, tc.stderr)
			}
		})
	}
}

func TestServeStartsAndStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	root, out, errb, done := startServe(t, ctx, "--spec", "pixfile", "--spec", "efalia", "--check-responses", "--log-format", "json")
	for _, want := range []string{root + "/workey/api", "username alice, password alice-password", "dave-password (disabled)",
		"curl -i -X POST '" + root + "/api/v2/login'", "__authconform/clock"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("banner lacks %q:\n%s", want, out.String())
		}
	}
	resp, err := http.Post(root+"/api/v2/login", "application/json", strings.NewReader(`{"username":"user","password":"pass"}`))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("X-Auth-Token") == "" {
		t.Errorf("login through the served mock: %d", resp.StatusCode)
	}
	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Errorf("exit %d after shutdown; stderr %s", code, errb.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop after the context was cancelled")
	}
	if strings.Contains(errb.String(), "pass\"") || !strings.Contains(errb.String(), `"path":"/api/v2/login"`) || strings.Contains(errb.String(), "does not conform") {
		t.Errorf("request log: %s", errb.String())
	}
}

// startServe runs `authconform serve --addr 127.0.0.1:0 ARGS...` in process until ctx ends and
// waits for its listening line. root is its base URL; done receives the exit code.
func startServe(t *testing.T, ctx context.Context, args ...string) (root string, out, errb *syncBuffer, done chan int) {
	t.Helper()
	out, errb, done = &syncBuffer{}, &syncBuffer{}, make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), out, errb, func(string) string { return "" })
	}()
	addr := regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && root == ""; time.Sleep(10 * time.Millisecond) {
		if m := addr.FindStringSubmatch(out.String()); m != nil {
			root = m[1]
		}
	}
	if root == "" {
		t.Fatalf("no listening line; stdout %q stderr %q", out.String(), errb.String())
	}
	return root, out, errb, done
}

// TestAdminHostsNote: listening beyond loopback without admin.hosts, serve says the admin API
// answers loopback Host names only, and how to add others.
func TestAdminHostsNote(t *testing.T) {
	withHosts := &mockserver.Config{Admin: mockserver.AdminConfig{Token: "a-long-admin-token", Hosts: []string{"mock.team.internal"}}}
	for _, tc := range []struct {
		addr string
		cfg  *mockserver.Config
		note bool
	}{
		{"127.0.0.1:8080", nil, false},
		{"[::1]:8080", nil, false},
		{"0.0.0.0:8080", nil, true},
		{"192.0.2.10:8080", &mockserver.Config{Admin: mockserver.AdminConfig{Token: "a-long-admin-token"}}, true},
		{"0.0.0.0:8080", withHosts, false},
	} {
		addr, err := net.ResolveTCPAddr("tcp", tc.addr)
		if err != nil {
			t.Fatal(err)
		}
		got := adminHostsNote(addr, tc.cfg)
		if (got != "") != tc.note || got != "" && !strings.Contains(got, "admin.hosts") {
			t.Errorf("%s: note %q, want one: %v", tc.addr, got, tc.note)
		}
	}
}

func TestExposedAdmin(t *testing.T) {
	withToken := &mockserver.Config{Admin: mockserver.AdminConfig{Token: "a-long-admin-token"}}
	for _, tc := range []struct {
		addr string
		cfg  *mockserver.Config
		warn bool
	}{
		{"127.0.0.1:8080", nil, false},
		{"[::1]:8080", nil, false},
		{"0.0.0.0:8080", nil, true},
		{"[::]:8080", nil, true},
		{"192.0.2.10:8080", &mockserver.Config{}, true},
		{"0.0.0.0:8080", withToken, false},
	} {
		addr, err := net.ResolveTCPAddr("tcp", tc.addr)
		if err != nil {
			t.Fatal(err)
		}
		got := exposedAdmin(addr, tc.cfg)
		if (got != "") != tc.warn {
			t.Errorf("%s (config %v): warning %q, want one: %v", tc.addr, tc.cfg != nil, got, tc.warn)
		}
		if got != "" && (!strings.Contains(got, "admin.token") || !strings.Contains(got, tc.addr)) {
			t.Errorf("%s: the warning %q should name the address and admin.token", tc.addr, got)
		}
	}
}

// TestBannerShowsNoConfiguredSecret: with --config, the banner prints no account's password or
// API key, in the account list or in the "log in:" curl line, which reads $PASSWORD (or
// $API_KEY) and says where it comes from; pasted into a shell with PASSWORD set, the line sends
// the right credentials. Before, the curl line held the first account's password in clear.
func TestBannerShowsNoConfiguredSecret(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash to paste the curl line into")
	}
	const password, key = "Qz7-Plm-Wq3Tx9Kd", "Zq9-Yek-Wv8x7Kp0Lm"
	cfg := filepath.Join(t.TempDir(), "mock.yaml")
	body := "specs:\n" +
		"  pixfile:\n    accounts: [{username: qa, password: " + password + "}]\n" +
		"  efalia:\n    accounts: [{username: alice, password: " + password + ", apiKeys: [" + key + "]}]\n"
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, out, _, done := startServe(t, ctx, "--spec", "pixfile", "--spec", "efalia", "--config", cfg)
	banner := out.String()
	cancel()
	<-done
	for _, secret := range []string{password, key} {
		for i := 0; i+6 <= len(secret); i++ {
			if strings.Contains(banner, secret[i:i+6]) {
				t.Fatalf("the banner shows %q of a configured secret:\n%s", secret[i:i+6], banner)
			}
		}
	}
	for _, want := range []string{"$PASSWORD: the password of account qa in " + cfg, "$PASSWORD: the password of account alice in " + cfg} {
		if !strings.Contains(banner, want) {
			t.Errorf("the banner lacks %q:\n%s", want, banner)
		}
	}
	// Paste the pixfile line into bash, with curl replaced by a function that prints its arguments.
	var line string
	for _, l := range strings.Split(banner, "\n") {
		if strings.Contains(l, "/api/v2/login") && strings.Contains(l, "curl ") {
			line = strings.TrimSpace(l)
		}
	}
	if line == "" {
		t.Fatalf("no pixfile login line:\n%s", banner)
	}
	cmd := exec.Command("bash", "-c", `curl() { printf '%s\n' "$@"; }; `+line)
	cmd.Env = append(os.Environ(), "PASSWORD="+password)
	got, err := cmd.Output()
	if err != nil {
		t.Fatalf("bash: %v", err)
	}
	if !strings.Contains(string(got), `{"password":"`+password+`","username":"qa"}`) {
		t.Errorf("the pasted line sends:\n%s", got)
	}
}

// TestServeFollowsAReading: `serve --reading` makes the mock follow another reading of a gap, and
// a target file that declares that reading passes against it, while one that declares the other
// reading fails its MUST.
func TestServeFollowsAReading(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	root, out, _, _ := startServe(t, ctx, "--spec", "precrime", "--reading", "precrime-authorization=bare")
	if !strings.Contains(out.String(), "follows the reading precrime-authorization = bare") || !strings.Contains(out.String(), "-H 'Authorization: <token>'") {
		t.Errorf("the banner does not say which reading it follows:\n%s", out.String())
	}
	for _, tc := range []struct {
		reading string
		code    int
	}{{"bare", exitOK}, {"bearer", exitFailed}} {
		target := writeTarget(t, "precrime", root, "readings: {precrime-authorization: "+tc.reading+"}\n")
		code, stdout, stderr := runCLI(t, "test", "--target", target, "--label-filter", "HDR-11 || LOG-01")
		if code != tc.code || !strings.Contains(stdout, "declared: precrime-authorization = "+tc.reading) {
			t.Errorf("declaring %s against a bare mock: exit %d, want %d\n%s%s", tc.reading, code, tc.code, stdout, stderr)
		}
	}
}
