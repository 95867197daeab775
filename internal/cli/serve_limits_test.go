package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// serveForTest runs `authconform serve` on a free loopback port until the test ends and returns
// its address (host:port).
func serveForTest(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	root, _, _, done := startServe(t, ctx, args...)
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Error("serve did not stop")
		}
	})
	return strings.TrimPrefix(root, "http://")
}

// TestServeLimits: the http.Server that `serve` builds bounds what one client can hold: header
// size, the time to send headers (a slowloris connection is closed), and the body size.
func TestServeLimits(t *testing.T) {
	addr := serveForTest(t, "--spec", "pixfile")

	t.Run("headers over MaxHeaderBytes get 431", func(t *testing.T) {
		t.Parallel()
		req := "GET /api/v2/customers HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("b", 2*maxHeaderBytes) + "\r\n\r\n"
		if got := rawStatus(t, addr, req); got != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("status %d, want 431", got)
		}
	})
	t.Run("a body over the limit gets 413", func(t *testing.T) {
		t.Parallel()
		body := `{"username":"` + strings.Repeat("u", 2<<20) + `","password":"p"}`
		req := fmt.Sprintf("POST /api/v2/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
		if got := rawStatus(t, addr, req); got != http.StatusRequestEntityTooLarge {
			t.Errorf("status %d, want 413", got)
		}
	})
	t.Run("a connection that never finishes its headers is closed", func(t *testing.T) {
		t.Parallel()
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		start := time.Now()
		if _, err := io.WriteString(conn, "GET /api/v2/customers HTTP/1.1\r\nHost: x\r\nX-Slow: "); err != nil {
			t.Fatal(err)
		}
		_ = conn.SetReadDeadline(time.Now().Add(readHeaderTimeout + 10*time.Second))
		_, err = io.Copy(io.Discard, conn) // returns when the server closes the connection
		took := time.Since(start)
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatalf("the server kept a connection with unfinished headers open for %s", took.Round(time.Second))
		}
		if took < readHeaderTimeout-time.Second {
			t.Errorf("closed after %s, before ReadHeaderTimeout (%s)", took, readHeaderTimeout)
		}
	})
	t.Run("limits are set and consistent", func(t *testing.T) {
		if readHeaderTimeout <= 0 || readTimeout < readHeaderTimeout || writeTimeout <= 0 || idleTimeout <= 0 || maxHeaderBytes <= 0 {
			t.Errorf("limits: header %s, read %s, write %s, idle %s, header bytes %d", readHeaderTimeout, readTimeout, writeTimeout, idleTimeout, maxHeaderBytes)
		}
	})
}

// rawStatus writes a raw request and returns the status of the answer.
func rawStatus(t *testing.T, addr, raw string) int {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
	go func() { _, _ = io.WriteString(conn, raw) }() // the server may answer before reading it all
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no response: %v", err)
	}
	res.Body.Close()
	return res.StatusCode
}
