//go:build unix

package cli

import (
	"bufio"
	"errors"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/authconform/authconform/internal/redistest"
)

// TestReplicasScript: examples/replicas/run.sh (docs/redis.md) starts a Redis and two replicas
// on it, all on loopback, and prints their URLs; a token issued by one works on the other and a
// logout on the other is refused on the first; SIGTERM ends the script with exit 0, and with it
// every process it started (none is left in its process group, no port answers) and its
// temporary folder. The replicas are this test binary as the command (TestMain), so nothing is
// built.
func TestReplicasScript(t *testing.T) {
	redisServer := redistest.Need(t)
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash is not installed")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	cmd := exec.Command(bash, filepath.Join("examples", "replicas", "run.sh"), "--spec", "efalia")
	cmd.Env = append(os.Environ(), asCLI+"=1", "AUTHCONFORM="+self, "REDIS_SERVER="+redisServer, "TMPDIR="+tmp)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // the script and all it starts, in a group of their own
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pgid := cmd.Process.Pid
	urls, exited := make(chan map[string]string, 1), make(chan error, 1)
	go func() {
		// Drain stdout past the URLs, so the script never blocks writing.
		lines := make(chan string, 16)
		go func() {
			defer close(lines)
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				lines <- sc.Text()
			}
		}()
		urls <- readURLs(lines)
		for range lines {
		}
		exited <- cmd.Wait()
	}()
	defer func() { _ = syscall.Kill(-pgid, syscall.SIGKILL) }() // whatever happens, nothing outlives the test

	var got map[string]string
	select {
	case got = <-urls:
	case err := <-exited:
		t.Fatalf("the script ended before printing the URLs: %v\n%s", err, stderr.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("the script printed no URLs within 60 s:\n%s", stderr.String())
	}
	if len(got) != 3 {
		t.Fatalf("the script printed %v\n%s", got, stderr.String())
	}
	a, b := replica{t, got["A"]}, replica{t, got["B"]}
	var ports []string
	for _, u := range got {
		pu, err := url.Parse(u)
		if err != nil || pu.Hostname() != "127.0.0.1" {
			t.Fatalf("%q: not on loopback (%v)", u, err)
		}
		ports = append(ports, pu.Host)
	}

	code, access, _ := a.efaliaLogin("", "alice", "alice-password")
	if code != 200 {
		t.Fatalf("login on A: %d", code)
	}
	if c := b.protected("", access); c != 200 {
		t.Errorf("A's token on B: %d", c)
	}
	if c, _, _ := b.do("POST", "/workey/api/auth/logout", "", "Authorization", "Bearer "+access); c != 200 {
		t.Errorf("logout on B: %d", c)
	}
	if c := a.protected("", access); c != 401 {
		t.Errorf("a token logged out on B, on A: %d", c)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("the script after SIGTERM: %v\n%s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the script did not end within 30 s of SIGTERM")
	}
	if err := syscall.Kill(-pgid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("processes of the script are left running (kill -0 on its group: %v)", err)
	}
	for _, p := range ports {
		if c, err := net.DialTimeout("tcp", p, time.Second); err == nil {
			c.Close()
			t.Errorf("%s still answers", p)
		}
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("the script left %v in its temporary folder", left)
	}
}

// readURLs reads the script's lines until it has printed the replicas' and Redis's URLs.
func readURLs(lines <-chan string) map[string]string {
	re := regexp.MustCompile(`^(?:replica (A|B)|(redis)): (\S+)`)
	got := map[string]string{}
	for line := range lines {
		if m := re.FindStringSubmatch(line); m != nil {
			got[m[1]+m[2]] = m[3]
		}
		if len(got) == 3 {
			break
		}
	}
	return got
}
