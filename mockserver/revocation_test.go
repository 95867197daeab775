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
		back func(c *ControlledClock) // the move back, as the admin API makes it (package devtools)
	}{
		{name: "back to real time", back: (*ControlledClock).Reset},
		{name: "set back", back: func(c *ControlledClock) { c.Set(time.Date(2026, 3, 1, 12, 0, 30, 0, time.UTC)) }},
		{name: "advance back", back: func(c *ControlledClock) { c.Advance(-400 * 24 * time.Hour) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, "efalia")
			ctx := context.Background()
			_, used := h.efaliaTokens("alice", "alice-password")
			h.expect(h.do(h.req("POST", "/workey/api/auth/refresh", `{"refreshToken":"`+used+`"}`)), 200) // used up
			out, outRefresh := h.efaliaTokens("bob", "bob-password")
			h.expect(h.do(h.req("POST", "/workey/api/auth/logout", "", "Authorization", "Bearer "+out)), 200)

			h.clock.Advance(400 * 24 * time.Hour) // far past every lifetime and the sweep margin
			for i := range 2 * store.MinSweep {   // grow the store past its sweep size, on the moved clock
				_, _ = h.s.store.UseRefresh(ctx, "efalia", "filler-"+strconv.Itoa(i), h.s.clock.Now().Add(time.Hour))
			}
			_ = h.s.store.RevokeSession(ctx, "efalia", "filler", h.s.clock.Now().Add(time.Hour))

			tc.back(h.clock)
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
