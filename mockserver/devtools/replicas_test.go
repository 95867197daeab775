package devtools

import (
	"testing"
	"time"

	"github.com/authconform/authconform/mockserver"
	"github.com/authconform/authconform/mockserver/store/storetest"
	"github.com/authconform/authconform/specs"
)

// TestReplicasShareFaultsAndAdmin: two mocks with their tools on one store (in-process replicas)
// share the admin API's state: a fault queued on one is taken by a call to the other, once; the
// clock moved and an account disabled through one replica's admin API hold on the other.
func TestReplicasShareFaultsAndAdmin(t *testing.T) {
	stores := storetest.Shared(mockserver.NewClock(), 2)
	var r [2]*harness
	for i := range r {
		c := mockserver.NewClock()
		tools := NewTools(Options{})
		s, err := mockserver.New([]*specs.Spec{loadSpec(t, "pixfile")}, mockserver.WithClock(c), mockserver.WithStore(stores[i]), mockserver.WithExtension(tools))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Close)
		r[i] = &harness{t: t, s: s, d: tools.last, clock: c}
	}
	a, b := r[0], r[1]
	login := func(h *harness) int {
		return h.do(h.req("POST", "/api/v2/login", `{"username":"user","password":"pass"}`)).Code
	}
	if got := login(b); got != 200 { // b has looked at the queue and found it empty
		t.Fatalf("a login on b: %d", got)
	}
	a.expect(a.do(a.req("POST", "/__authconform/faults", `{"operation":"POST /api/v2/login","status":401}`)), 201)
	eventually(t, "b takes the fault a queued", func() bool { return login(b) == 401 })
	if got := login(a); got != 200 {
		t.Errorf("the fault was taken twice: a login on a after b took it: %d", got)
	}

	a.expect(a.do(a.req("POST", "/__authconform/clock", `{"advance":"240h"}`)), 200)
	eventually(t, "b's clock follows a's admin API", func() bool { return time.Until(b.clock.Now()) > 239*time.Hour })

	a.expect(a.do(a.req("POST", "/__authconform/accounts/pixfile/user/disable", "")), 200)
	eventually(t, "the account disabled on a is disabled on b", func() bool { return login(b) != 200 })
	b.expect(b.do(b.req("POST", "/__authconform/reset", "")), 200)
	eventually(t, "the reset on b resets a", func() bool { return login(a) == 200 && time.Until(a.clock.Now()) < time.Hour })
}

// eventually retries cond for a second: what another replica announces arrives on its own
// goroutine.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
	}
}
