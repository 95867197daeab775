package devtools

import (
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"

	"github.com/authconform/authconform/specs"
)

// BenchmarkSandboxCreate builds the world of a new sandbox, every bundled spec served, as the
// lifecycle API does; it reports the heap each world keeps (retained-B/op: live heap after a
// collection, over the worlds built and kept). docs/benchmarks.md has the figures.
func BenchmarkSandboxCreate(b *testing.B) {
	var list []*specs.Spec
	for _, n := range specs.Names() {
		list = append(list, loadSpec(b, n))
	}
	live, err := NewLive(list)
	if err != nil {
		b.Fatal(err)
	}
	var worlds []any
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	b.ReportAllocs()
	for b.Loop() {
		s, tools, err := live.World("bench")
		if err != nil {
			b.Fatal(err)
		}
		worlds = append(worlds, s, tools)
	}
	b.StopTimer()
	runtime.GC()
	runtime.ReadMemStats(&after)
	if n := len(worlds) / 2; n > 0 && after.HeapAlloc > before.HeapAlloc {
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(n), "retained-B/op")
	}
	runtime.KeepAlive(worlds)
}

// BenchmarkSandboxProtectedCall is pixfile's protected call in the default world and in a
// sandbox, reached by its path prefix or its header: what the sandbox layer adds to a request.
func BenchmarkSandboxProtectedCall(b *testing.B) {
	for _, bc := range []struct {
		name, prefix string
		kv           []string
	}{
		{"default", "", nil},
		{"prefix", "/__sandbox/bench", nil},
		{"header", "", []string{SandboxHeader, "bench"}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			m := newSandboxMockOf(b, SandboxOptions{}, []string{"pixfile"})
			login := bc.prefix
			if bc.kv != nil {
				login = "/__sandbox/bench"
			}
			tok := m.login(login)
			b.ReportAllocs()
			for b.Loop() {
				r := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:8080"+bc.prefix+"/api/v2/customers", nil)
				r.Header.Set("X-Auth-Token", tok)
				for i := 0; i+1 < len(bc.kv); i += 2 {
					r.Header.Set(bc.kv[i], bc.kv[i+1])
				}
				rec := httptest.NewRecorder()
				m.sb.ServeHTTP(rec, r)
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d", rec.Code)
				}
			}
		})
	}
}
