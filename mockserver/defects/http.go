package defects

import (
	"bytes"
	"net"
	"net/http"
	"strconv"
	"strings"
)

// bufferedResponse holds what the mock answered, for the mutations' response edits.
type bufferedResponse struct {
	h      http.Header
	status int
	body   bytes.Buffer
}

var _ http.ResponseWriter = (*bufferedResponse)(nil)

func newBufferedResponse() *bufferedResponse { return &bufferedResponse{h: http.Header{}} }

func (b *bufferedResponse) Header() http.Header { return b.h }

func (b *bufferedResponse) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}

func (b *bufferedResponse) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}

// setBody replaces the body.
func (b *bufferedResponse) setBody(p []byte) {
	b.body.Reset()
	b.body.Write(p)
}

// isJSON reports whether the body is declared JSON.
func (b *bufferedResponse) isJSON() bool {
	return strings.HasPrefix(b.h.Get("Content-Type"), "application/json") && b.body.Len() > 0
}

// send writes the (edited) response: header names in lower case when asked (Content-Type and
// Date stay canonical, net/http looks them up to decide what to add), and in chunks when asked.
func (b *bufferedResponse) send(w http.ResponseWriter, lower, chunked bool) {
	h := w.Header()
	for k, v := range b.h {
		switch {
		case k == "Content-Length":
		case lower && k != "Content-Type" && k != "Date":
			h[strings.ToLower(k)] = v
		default:
			h[k] = v
		}
	}
	status := b.status
	if status == 0 {
		status = http.StatusOK
	}
	body := b.body.Bytes()
	if !chunked {
		h.Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(status)
		_, _ = w.Write(body)
		return
	}
	w.WriteHeader(status)
	rc := http.NewResponseController(w)
	_ = rc.Flush() // headers out without a length: the body follows in chunks
	for len(body) > 0 {
		n := min(len(body), 16)
		_, _ = w.Write(body[:n])
		_ = rc.Flush()
		body = body[n:]
	}
}

// Listener returns ln, or, when a defect of the Set makes the mock match header names
// case-sensitively, a listener whose connections hide the header names that defect chose (a
// server that looks up "X-Auth-Token" byte for byte never sees "x-auth-token"). Whoever serves the
// mock wraps its listener once; the Set's middleware refuses requests that did not come through
// it, so a forgotten wrap fails loudly. Call it after New (Extend chooses the names).
func (s *Set) Listener(ln net.Listener) net.Listener {
	s.mu.Lock()
	blind := s.blind
	s.mu.Unlock()
	if len(blind) == 0 {
		return ln
	}
	return blindListener{Listener: ln, names: blind, set: s}
}

// throughListener reports whether a request came through a connection Listener accepted.
func (s *Set) throughListener(r *http.Request) bool {
	_, ok := s.conns.Load(r.RemoteAddr)
	return ok
}

type blindListener struct {
	net.Listener
	names []string
	set   *Set
}

func (l blindListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	addr := c.RemoteAddr().String()
	l.set.conns.Store(addr, true)
	return &blindConn{Conn: c, names: l.names, set: l.set, addr: addr}, nil
}

// blindConn renames the chosen lower-case header names on the wire, keeping their length so the
// framing holds. A name split across two reads escapes; clients write a request's header in one.
type blindConn struct {
	net.Conn
	names []string
	set   *Set
	addr  string
}

func (c *blindConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	for _, name := range c.names {
		from := []byte("\r\n" + name + ":")
		to := []byte("\r\n" + strings.Repeat("z", len(name)) + ":")
		copy(p[:n], bytes.ReplaceAll(p[:n], from, to))
	}
	return n, err
}

func (c *blindConn) Close() error {
	c.set.conns.Delete(c.addr)
	return c.Conn.Close()
}
