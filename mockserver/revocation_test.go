package mockserver

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/authconform/authconform/mockserver/store"
)

// TestRevocationsSurviveClockTravel: a used refresh token and a logged-out session stay refused
// after the clock goes far forward, the store grows past its sweep size there, and the clock
// comes back ("past refresh expiry" then "back to real time" on the dashboard). Before, the sweep
// forgot both and they worked again.
func TestRevocationsSurviveClockTravel(t *testing.T) {
	cases := []struct {
		name string
		back string // POST body of the move back; "" for clock/reset
	}{
		{name: "back to real time", back: ""},
		{name: "set back", back: `{"set":"2026-03-01T12:00:30Z"}`},
		{name: "advance back", back: `{"advance":"-400d"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, "efalia")
			ctx := context.Background()
			_, used := h.efaliaTokens("alice", "alice-password")
			h.expect(h.do(h.req("POST", "/workey/api/auth/refresh", `{"refreshToken":"`+used+`"}`)), 200) // used up
			out, outRefresh := h.efaliaTokens("bob", "bob-password")
			h.expect(h.do(h.req("POST", "/workey/api/auth/logout", "", "Authorization", "Bearer "+out)), 200)

			h.admin("POST", "clock", `{"advance":"400d"}`, 200) // far past every lifetime and the sweep margin
			for i := range 2 * store.MinSweep {                 // grow the store past its sweep size, on the moved clock
				_, _ = h.s.store.UseRefresh(ctx, "efalia", "filler-"+strconv.Itoa(i), h.s.clock.Now().Add(time.Hour))
			}
			_ = h.s.store.RevokeSession(ctx, "efalia", "filler", h.s.clock.Now().Add(time.Hour))

			if tc.back == "" {
				h.admin("POST", "clock/reset", "", 200)
			} else {
				h.admin("POST", "clock", tc.back, 200)
			}
			if now := h.s.clock.Now(); now.Before(t0) || now.After(t0.Add(time.Minute)) {
				t.Fatalf("the clock is at %s, not back", now)
			}
			rec := h.do(h.req("POST", "/workey/api/auth/refresh", `{"refreshToken":"`+used+`"}`))
			h.expect(rec, 555)
			if !strings.Contains(rec.Header().Get(MessageHeader), "already been used") {
				t.Errorf("the used refresh token: %q", rec.Header().Get(MessageHeader))
			}
			h.expect(h.do(h.req("GET", "/workey/api/processes", "", "Authorization", "Bearer "+out)), 401)
			h.expect(h.do(h.req("POST", "/workey/api/auth/refresh", `{"refreshToken":"`+outRefresh+`"}`)), 555)
		})
	}
}
