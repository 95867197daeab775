package runner

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authconform/authconform/reports"
	"github.com/authconform/authconform/specs"
)

// The harness holds real credentials and faces whatever a broken staging server returns. Each
// hostile target below must make a run end in bounded time and memory, with failed checks whose
// messages say what went wrong, no panic, and no credential sent anywhere the target file does not
// name.

// Per-request timeouts of the hostile runs (the target file's timeout): targets that never finish
// an answer get a short one, since every request of the run waits for it in full; the others a
// long one, so a slow machine under -race never turns an answer into a timeout.
const (
	slowTargetTimeout = 50 * time.Millisecond
	hostileTimeout    = 2 * time.Second
)

// hostilePassword is the password of the hostile runs' account: it must reach no report message
// and no server other than the target.
const hostilePassword = "hostile-S3cret-pa55word"

// hostileSecrets are the secrets of the hostile target files.
var hostileSecrets = []string{hostilePassword, "hostile-api-key-0123456789"}

// hostileTarget writes a target file for spec against baseURL with short limits and loads it.
func hostileTarget(t *testing.T, spec, baseURL string, timeout time.Duration) *Target {
	t.Helper()
	var accounts string
	switch spec {
	case "efalia":
		accounts = "  valid: {username: alice, password: " + hostilePassword + ", apiKey: hostile-api-key-0123456789}\n"
	case "elyssa":
		accounts = "  valid: {companyId: 11111111-1111-4111-8111-111111111111}\n"
	default:
		accounts = "  valid: {username: user, password: " + hostilePassword + "}\n"
	}
	doc := "spec: " + spec + "\nbaseURL: " + baseURL + "\naccounts:\n" + accounts +
		"timeout: " + timeout.String() + "\nmaxResponseBytes: 65536\n"
	path := filepath.Join(t.TempDir(), "target.yaml")
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	tg, err := LoadTarget(path, func(string) string { return "" })
	if err != nil {
		t.Fatalf("LoadTarget: %v\n%s", err, doc)
	}
	return tg
}

// hostileRun runs every check against the target and asserts what holds for any hostile target:
// the run ends in time, nothing panics, every failure says why, and no secret reaches the report.
// It returns the report.
func hostileRun(t *testing.T, tg *Target, bound time.Duration) *reports.Report {
	t.Helper()
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	peak := samplePeakHeap()
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 5*bound) // a last resort, never the bound itself
	defer cancel()
	var progress strings.Builder
	// The checks' own client is what meets each hostile answer here; TestPreflightHostileTargets
	// shows the preflight, which would stop most of these runs before any check, bounded too.
	rep, err := Run(ctx, Config{Target: tg, ToolVersion: "test", Progress: &progress, NoPreflight: true})
	took := time.Since(start)
	top := peak()
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if took > bound {
		t.Errorf("the run took %s; a hostile target must not hold it longer than %s", took.Round(time.Millisecond), bound)
	}
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	// Bounded memory: the live heap at its highest during the run (each response is capped by
	// maxResponseBytes and the client's header limit), and what the run kept.
	if grown := int64(top) - int64(before.HeapAlloc); grown > hostileHeapBound {
		t.Errorf("the heap peaked %d MB above its start during the run; a hostile target must not push it past %d MB", grown>>20, hostileHeapBound>>20)
	}
	if after.HeapAlloc > before.HeapAlloc+32<<20 {
		t.Errorf("the heap grew from %d MB to %d MB over the run", before.HeapAlloc>>20, after.HeapAlloc>>20)
	}
	if rep.Passed() {
		t.Errorf("a hostile target passed the run:\n%s", progress.String())
	}
	failed := 0
	for _, secret := range hostileSecrets {
		if strings.Contains(progress.String(), secret) {
			t.Errorf("a secret of the target file reached the progress output")
		}
	}
	for _, c := range rep.Checks {
		for _, secret := range hostileSecrets {
			if strings.Contains(c.Message, secret) {
				t.Errorf("%s: a secret of the target file reached the report: %q", c.Name(), c.Message)
			}
		}
		if c.Status != reports.Failed {
			continue
		}
		failed++
		if strings.TrimSpace(c.Message) == "" || strings.HasPrefix(c.Message, "failed (") {
			t.Errorf("%s failed without saying why: %q", c.Name(), c.Message)
		}
		if strings.Contains(c.Message, "panicked") {
			t.Errorf("%s panicked: %s", c.Name(), c.Message)
		}
	}
	if failed == 0 {
		t.Errorf("no check failed against a hostile target")
	}
	t.Logf("%d checks, %d failed, in %s; heap peak +%d MB, %d MB allocated in all", len(rep.Checks), failed, took.Round(time.Millisecond),
		(int64(top)-int64(before.HeapAlloc))>>20, (after.TotalAlloc-before.TotalAlloc)>>20)
	if testing.Verbose() {
		for _, c := range rep.Checks {
			if c.Status == reports.Failed {
				t.Logf("  %s: %s", c.Name(), firstLine(c.Message))
			}
		}
	}
	return rep
}

// hostileHeapBound is how far above its start the live heap may rise during a run against a
// hostile target. A run against the mock stays within a few MB; endless bodies, 50 MB of headers,
// gzip bombs or floods of 1xx answers must not make that hundreds.
const hostileHeapBound = 128 << 20

// samplePeakHeap samples the live heap every few milliseconds until the returned function is
// called, which returns the highest value seen.
func samplePeakHeap() func() uint64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	stop := make(chan struct{})
	done := make(chan uint64)
	go func() {
		var top uint64
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(sample)
			top = max(top, sample[0].Value.Uint64())
			select {
			case <-stop:
				done <- top
				return
			case <-tick.C:
			}
		}
	}()
	return func() uint64 {
		close(stop)
		return <-done
	}
}

// hostileBound is the wall-clock bound of one hostile run. Every request of a run against a target
// that never answers takes the full timeout (50 ms here), and a run makes a few dozen that reach
// the network before its checks fail: about 2 s. The bound is generous for -race on two cores.
const hostileBound = 30 * time.Second

// serve starts h on 127.0.0.1 until the test ends.
func serve(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts
}

// hijack takes the raw connection of a request, for answers net/http would not write.
func hijack(w http.ResponseWriter) (*bufio.ReadWriter, func()) {
	conn, rw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(err)
	}
	return rw, func() { _ = conn.Close() }
}

// hostileCases are targets that misbehave in every way a broken or malicious server can.
func hostileCases(stop <-chan struct{}) []struct {
	name    string
	slow    bool // never finishes an answer: each request takes the full timeout
	handler http.Handler
} {
	wait := func(r *http.Request, d time.Duration) bool {
		select {
		case <-r.Context().Done():
			return false
		case <-stop:
			return false
		case <-time.After(d):
			return true
		}
	}
	return []struct {
		name    string
		slow    bool
		handler http.Handler
	}{
		{"hangs forever", true, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			wait(r, time.Hour)
		})},
		{"drips one byte per second", true, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			_ = http.NewResponseController(w).Flush() // the status line now, the body never
			for i := 0; i < 3600 && wait(r, time.Second); i++ {
				if _, err := w.Write([]byte("{")); err != nil {
					return
				}
				_ = http.NewResponseController(w).Flush()
			}
		})},
		{"drips its headers", true, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rw, closeConn := hijack(w)
			defer closeConn()
			_, _ = rw.WriteString("HTTP/1.1 200 OK\r\n")
			for i := 0; i < 3600 && wait(r, 200*time.Millisecond); i++ {
				if _, err := rw.WriteString("X-Drip: x\r\n"); err != nil || rw.Flush() != nil {
					return
				}
			}
		})},
		{"sends an endless body", false, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			chunk := []byte(`{"token":"` + strings.Repeat("a", 32<<10))
			for i := 0; i < 1<<16; i++ { // at most 2 GB, never reached: the client stops at its cap
				if _, err := w.Write(chunk); err != nil {
					return
				}
				select {
				case <-stop:
					return
				default:
				}
			}
		})},
		{"sends invalid JSON", false, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("X-Auth-Token", "{{{")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte(`{"token": "abc", "refreshToken": [1, 2,`))
		})},
		{"sends HTML", false, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte("<!doctype html><html><body><h1>Welcome</h1><script>alert(1)</script></body></html>"))
		})},
		{"closes mid-response", false, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rw, closeConn := hijack(w)
			defer closeConn()
			_, _ = rw.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n{\"token\":\"eyJhbGciOi")
			_ = rw.Flush()
		})},
		{"closes before answering", false, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, closeConn := hijack(w)
			closeConn()
		})},
		{"answers 200 to everything", false, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("X-Auth-Token", "ok")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte(`{"ok":true}`))
		})},
		{"answers 500 to everything", false, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "internal error", http.StatusInternalServerError)
		})},
		{"answers with 50 MB of headers", false, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rw, closeConn := hijack(w)
			defer closeConn()
			_, _ = rw.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
			line := "X-Junk: " + strings.Repeat("h", 1000) + "\r\n"
			for sent := 0; sent < 50<<20; sent += len(line) {
				if _, err := rw.WriteString(line); err != nil {
					return // the client gave up at its header limit
				}
				select {
				case <-stop:
					return
				default:
				}
			}
			_, _ = rw.WriteString("\r\n{}")
			_ = rw.Flush()
		})},
		{"sends a gzip bomb", false, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Encoding", "gzip")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(gzipBomb())
		})},
		{"sends endless 1xx answers", false, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rw, closeConn := hijack(w)
			defer closeConn()
			hint := "HTTP/1.1 103 Early Hints\r\nLink: </" + strings.Repeat("x", 1000) + ">; rel=preload\r\n\r\n"
			for i := 0; i < 1<<20; i++ { // until the client gives up at its header limit
				if _, err := rw.WriteString(hint); err != nil || rw.Flush() != nil {
					return
				}
			}
		})},
		{"issues absurd tokens", false, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			tok := absurdTokens[absurdNext.Add(1)%uint64(len(absurdTokens))]
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("X-Auth-Token", tok)
			w.Header().Set("Date", "Mon, 99 Foo 99999 99:99:99 GMT")
			w.WriteHeader(http.StatusOK)
			b, _ := json.Marshal(map[string]any{"X-Auth-Token": tok, "token": tok, "refreshToken": tok, "accessToken": tok, "refresh": tok, "Token": tok,
				"username": "user", "now": "not a time", "time": -1e308})
			_, _ = w.Write(b)
		})},
		{"answers a redirect loop", false, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, r.URL.Path+"x", http.StatusTemporaryRedirect)
		})},
	}
}

func TestHostileTargets(t *testing.T) {
	if testing.Short() {
		t.Skip("hostile runs take seconds each")
	}
	for i, hc := range hostileCases(nil) {
		t.Run(strings.ReplaceAll(hc.name, " ", "_"), func(t *testing.T) {
			stop := make(chan struct{})
			ts := serve(t, hostileCases(stop)[i].handler)
			t.Cleanup(func() { close(stop) }) // runs before ts.Close: a blocked handler returns
			timeout := hostileTimeout
			if hc.slow {
				timeout = slowTargetTimeout
			}
			rep := hostileRun(t, hostileTarget(t, "pixfile", ts.URL, timeout), hostileBound)
			if want := hostileSays[hc.name]; want != "" && !anyMessageHas(rep, want) {
				t.Errorf("no failed check says %q", want)
			}
		})
	}
}

// hostileSays is what the failures against each hostile target must say, in at least one check.
var hostileSays = map[string]string{
	"hangs forever":                 "no response within the 50ms timeout",
	"drips one byte per second":     "answered 200 but did not finish its body within the 50ms timeout",
	"drips its headers":             "no response within the 50ms timeout",
	"sends an endless body":         "larger than the 65536-byte cap",
	"sends invalid JSON":            "failed to decode response body",
	"sends HTML":                    "answered 200 (text/html",
	"closes mid-response":           "unexpected EOF",
	"closes before answering":       "no response: EOF",
	"answers 200 to everything":     "expected the access token in the body /X-Auth-Token",
	"answers 500 to everything":     "answered 500",
	"answers with 50 MB of headers": "server response headers exceeded 1048576 bytes",
	"sends a gzip bomb":             "larger than the 65536-byte cap",
	"sends endless 1xx answers":     "server response headers exceeded 1048576 bytes",
	"answers a redirect loop":       "answered 307",
}

func anyMessageHas(rep *reports.Report, s string) bool {
	for _, c := range rep.Checks {
		if c.Outcome() != reports.Passed && strings.Contains(c.Message, s) {
			return true
		}
	}
	return false
}

// TestHostileTokensEverySpec runs the target that issues absurd tokens (in every place a bundled
// spec reads one, and as its clock API's answer) against every spec: the login, refresh, lifetime
// and clock checks all decode them.
func TestHostileTokensEverySpec(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the suites")
	}
	var absurd http.Handler
	for _, hc := range hostileCases(nil) {
		if hc.name == "issues absurd tokens" {
			absurd = hc.handler
		}
	}
	for _, spec := range []string{"efalia", "elyssa", "precrime"} { // pixfile: TestHostileTargets
		t.Run(spec, func(t *testing.T) {
			ts := serve(t, absurd)
			hostileRun(t, hostileTarget(t, spec, ts.URL, hostileTimeout), hostileBound)
		})
	}
}

// recorder remembers what a server outside the target file received.
type leakRecorder struct {
	mu   sync.Mutex
	hits []string
}

// credentialHeaders are every header a bundled spec carries a credential in.
var credentialHeaders = []string{"Authorization", "X-Auth-Token", "X-Api-Key", "X-Api-Key-Impersonate", "X-Company-Id", "Cookie"}

func (l *leakRecorder) handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body strings.Builder
		if r.Body != nil {
			buf := make([]byte, 4096)
			n, _ := r.Body.Read(buf)
			body.Write(buf[:n])
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		for _, h := range credentialHeaders {
			if v := r.Header.Get(h); v != "" {
				l.hits = append(l.hits, fmt.Sprintf("%s %s carried %s: %q", r.Method, r.URL.Path, h, v))
			}
		}
		for _, secret := range []string{hostilePassword, "hostile-api-key", "11111111-1111-4111-8111-111111111111"} {
			if strings.Contains(r.URL.RawQuery, secret) || strings.Contains(body.String(), secret) {
				l.hits = append(l.hits, fmt.Sprintf("%s %s carried a secret in its query or body", r.Method, r.URL.Path))
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Auth-Token", "from-the-other-host")
		_, _ = w.Write([]byte(`{"token":"from-the-other-host","accessToken":"x","Token":"x"}`))
	})
}

// TestRedirectToAnotherHostCarriesNoCredential: a target that redirects (307, which resends the
// body) to another host, for every request or only for protected calls after an honest login,
// must not make the harness send any credential there.
func TestRedirectToAnotherHostCarriesNoCredential(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the suites")
	}
	for _, spec := range []string{"efalia", "pixfile", "elyssa", "precrime"} {
		for _, mode := range []string{"everything", "after-login"} {
			t.Run(spec+"/"+mode, func(t *testing.T) {
				leak := &leakRecorder{}
				evil := serve(t, leak.handler())
				sp, err := specs.Load(spec)
				if err != nil {
					t.Fatal(err)
				}
				mw := func(next http.Handler) http.Handler {
					return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						isLogin := false
						for _, op := range sp.Operations {
							if op.Flow.Kind == specs.KindLogin && strings.HasSuffix(r.URL.Path, op.Path) {
								isLogin = true
							}
						}
						if mode == "everything" || !isLogin {
							w.Header().Set("Location", evil.URL+r.URL.RequestURI())
							w.WriteHeader(http.StatusTemporaryRedirect)
							return
						}
						next.ServeHTTP(w, r)
					})
				}
				ts := startMock(t, sp, mw)
				base := ts.URL
				if spec == "efalia" {
					base += "/workey/api"
				}
				hostileRun(t, hostileTarget(t, spec, base, hostileTimeout), hostileBound)
				leak.mu.Lock()
				defer leak.mu.Unlock()
				for _, h := range leak.hits {
					t.Errorf("a credential reached a host the target file does not name: %s", h)
				}
			})
		}
	}
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// gzipBomb is 64 MB of JSON whitespace in about 64 KB: gzip members one after the other, each 1 MB
// of spaces, which a gzip reader reads as one stream. The client decompresses it transparently,
// and only its size cap stops it.
var gzipBomb = sync.OnceValue(func() []byte {
	member := func(p []byte) []byte {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		_, _ = zw.Write(p)
		_ = zw.Close()
		return b.Bytes()
	}
	out := member([]byte(`{"token":"`))
	spaces := member(bytes.Repeat([]byte(" "), 1<<20))
	for range 64 {
		out = append(out, spaces...)
	}
	return out
})

// absurdTokens are JWTs no issuer would write: time claims at the ends of every range or of the
// wrong type, headers that are not JSON, nesting, sheer size. The lifetime and JWT checks decode
// them; they must fail the checks, not the run.
var (
	absurdNext   atomic.Uint64
	absurdTokens = func() []string {
		seg := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
		hs := seg(`{"alg":"HS256","typ":"JWT"}`)
		return []string{
			seg(`{"alg":"none"}`) + "." + seg(`{"exp":1e308,"iat":-1e308,"nbf":1e308}`) + ".",
			hs + "." + seg(`{"exp":9223372036854775807,"iat":-9223372036854775808}`) + ".c2ln",
			hs + "." + seg(`{"exp":"tomorrow","iat":{"a":[1]},"sub":null}`) + ".c2ln",
			hs + "." + seg(`{"exp":-1,"iat":0}`) + ".c2ln",
			"!!!." + seg(`{"exp":1}`) + ".x",
			hs + "." + seg(`{"a":`+strings.Repeat("[", 10001)+strings.Repeat("]", 10001)+`}`) + ".c2ln",
			hs + "." + seg(`{"exp":1,"pad":"`+strings.Repeat("x", 16<<10)+`"}`) + ".c2ln",
			"eyJ.eyJ.eyJ",
		}
	}()
)

// TestRedirectToPlainHTTPCarriesNoCredential: an https target that redirects to plain http on the
// same host and port (a downgrade) must not make the harness send any credential in clear text.
// The listener serves TLS and plain HTTP on one port, telling them apart by the first byte.
func TestRedirectToPlainHTTPCarriesNoCredential(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the suites")
	}
	leak := &leakRecorder{}
	plain := leak.handler()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil {
			plain.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Location", "http://"+r.Host+r.URL.RequestURI())
		w.WriteHeader(http.StatusTemporaryRedirect)
	})
	tlsSrv := httptest.NewTLSServer(h) // for its certificate
	tlsSrv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(&sniffListener{Listener: ln, tls: tlsSrv.TLS}) }()
	t.Cleanup(func() { _ = srv.Close() })

	tg := hostileTarget(t, "efalia", "https://"+ln.Addr().String()+"/workey/api", hostileTimeout)
	tg.InsecureSkipVerify = true // the test certificate
	hostileRun(t, tg, hostileBound)
	leak.mu.Lock()
	defer leak.mu.Unlock()
	for _, l := range leak.hits {
		t.Errorf("a credential went out in clear text after a downgrade redirect: %s", l)
	}
}

// sniffListener hands out TLS connections for clients that start a TLS handshake and plain ones
// for the others.
type sniffListener struct {
	net.Listener
	tls *tls.Config
}

func (l *sniffListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	br := bufio.NewReader(c)
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	first, err := br.Peek(1)
	_ = c.SetReadDeadline(time.Time{})
	pc := &peekedConn{Conn: c, r: br}
	if err == nil && first[0] == 0x16 { // a TLS handshake record
		return tls.Server(pc, l.tls), nil
	}
	return pc, nil
}

type peekedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *peekedConn) Read(p []byte) (int, error) { return c.r.Read(p) }
