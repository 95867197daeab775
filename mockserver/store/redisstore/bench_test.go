package redisstore

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/authconform/authconform/internal/redistest"
	"github.com/authconform/authconform/mockserver/clock"
	"github.com/authconform/authconform/mockserver/store/storetest"
)

// BenchmarkRedis is what a request asks of the Redis store, one round trip each: a protected
// call's Check, a rotating refresh's UseRefresh, a logout's RevokeSession (beside
// store.BenchmarkStore, the memory store's).
func BenchmarkRedis(b *testing.B) {
	srv := redistest.New(b)
	ctx := context.Background()
	st, err := Open(ctx, srv.URL(0), "bench:", clock.At(storetest.T0))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	until := storetest.T0.Add(time.Hour)
	for _, bc := range []struct {
		name string
		op   func(n int) error
	}{
		{"Check", func(n int) error {
			_, _, err := st.Check(ctx, "spec", "alice", "sid-"+strconv.Itoa(n))
			return err
		}},
		{"UseRefresh", func(n int) error { _, err := st.UseRefresh(ctx, "spec", "jti-"+strconv.Itoa(n), until); return err }},
		{"RevokeSession", func(n int) error { return st.RevokeSession(ctx, "spec", "sid-"+strconv.Itoa(n), until) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				n++
				if err := bc.op(n); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
