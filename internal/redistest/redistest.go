// Package redistest runs Debian's redis-server for tests and benchmarks: on a free loopback port,
// with persistence off (--save "" --appendonly no), in a folder of its own, stopped at the end.
// Kill and Restart take it down and bring it back on the same port, for the tests that prove the
// mock survives losing its store.
//
// Where redis-server is not installed, New skips the test; under CI (CI=true, as .ci/run sets it,
// which installs the package) it fails instead, so the Redis tests cannot silently not run there.
package redistest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Binary is the server's program, looked up on the PATH.
const Binary = "redis-server"

// startTimeout bounds how long a start waits for the server to answer PING.
const startTimeout = 10 * time.Second

// Server is one redis-server process on 127.0.0.1.
type Server struct {
	// Addr is 127.0.0.1:PORT, the same across Kill and Restart.
	Addr string
	dir  string
	bin  string

	mu     sync.Mutex
	cmd    *exec.Cmd  // nil while killed
	exited chan error // cmd.Wait's result
	log    *os.File
}

// New starts a redis-server for the test and stops it when the test ends. It skips the test
// when redis-server is not installed, and fails it instead when CI=true.
func New(t testing.TB) *Server {
	t.Helper()
	s, err := Start(Need(t), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

// Need returns the path of redis-server, for a test that starts it otherwise (a script). It
// skips the test when redis-server is not installed, and fails it instead when CI=true.
func Need(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath(Binary)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not installed; under CI it must be (.ci/run installs the Debian package redis-server)", Binary)
		}
		t.Skipf("%s is not installed (apt-get install redis-server); the Redis tests are skipped", Binary)
	}
	return bin
}

// Start starts bin (a redis-server) with its files in dir, on a free loopback port, and waits
// until it answers. The caller stops it (Stop).
func Start(bin, dir string) (*Server, error) {
	s := &Server{dir: dir, bin: bin}
	var err error
	// A free port is found by listening on port 0 and closing the listener; another process may
	// take it before redis-server binds it, so a failed start tries another port, a few times.
	for range 5 {
		var port int
		if port, err = freePort(); err != nil {
			return nil, err
		}
		s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		if err = s.start(); err == nil {
			return s, nil
		}
	}
	return nil, err
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("redistest: no free loopback port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// start runs redis-server on s.Addr and waits until it answers PING.
func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, port, _ := net.SplitHostPort(s.Addr)
	logPath := filepath.Join(s.dir, "redis-"+port+".log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	cmd := exec.Command(s.bin,
		"--bind", "127.0.0.1", "--port", port, "--protected-mode", "yes",
		"--save", "", "--appendonly", "no", "--dir", s.dir,
		"--daemonize", "no", "--logfile", "", "--databases", "4")
	cmd.Dir = s.dir
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("redistest: starting %s: %w", s.bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	c := redis.NewClient(&redis.Options{Addr: s.Addr, MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	defer c.Close()
	deadline := time.Now().Add(startTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err = c.Ping(ctx).Err()
		cancel()
		if err == nil {
			s.cmd, s.exited, s.log = cmd, exited, logf
			return nil
		}
		select {
		case werr := <-exited:
			logf.Close()
			out, _ := os.ReadFile(logPath)
			return fmt.Errorf("redistest: %s on %s exited before answering (%v): %s", s.bin, s.Addr, werr, tail(out))
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-exited
			logf.Close()
			return fmt.Errorf("redistest: %s on %s did not answer within %s: %w", s.bin, s.Addr, startTimeout, err)
		}
	}
}

func tail(b []byte) string {
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// URL is the server's redis:// URL, database db.
func (s *Server) URL(db int) string { return "redis://" + s.Addr + "/" + strconv.Itoa(db) }

// Kill ends the server at once (SIGKILL), as a crash would, and waits until the port is closed.
func (s *Server) Kill() {
	s.mu.Lock()
	cmd, exited, logf := s.cmd, s.exited, s.log
	s.cmd, s.exited, s.log = nil, nil, nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Kill()
	<-exited // the process is gone, and its port closed with it
	logf.Close()
}

// Restart starts the server again on the same port, after Kill; its data is gone (no
// persistence), as after a crash of a Redis without it.
func (s *Server) Restart() error {
	s.mu.Lock()
	running := s.cmd != nil
	s.mu.Unlock()
	if running {
		return errors.New("redistest: Restart of a running server; Kill it first")
	}
	var err error
	for range 20 { // the port may linger a moment after the kill
		if err = s.start(); err == nil {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return err
}

// Stop ends the server, if it runs.
func (s *Server) Stop() { s.Kill() }

// WaitGoroutines fails the test unless the process is back to n goroutines within a few seconds
// (a Redis client's pool, a subscription, a watcher left behind), printing every goroutine's
// stack when it is not.
func WaitGoroutines(t testing.TB, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > n {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines, %d before:\n%s", runtime.NumGoroutine(), n, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(20 * time.Millisecond)
	}
}
