package mockserver

import (
	"testing"

	"github.com/authconform/authconform/specs"
)

// BenchmarkStartup is the in-process part of the mock's cold start (make bench measures the
// whole, from exec to the first answer): load and check every bundled spec, then prepare the
// server (routers, validators, keys, examples).
func BenchmarkStartup(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		list, err := specs.LoadAll()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := New(list); err != nil {
			b.Fatal(err)
		}
	}
}
