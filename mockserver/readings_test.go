package mockserver

import (
	"net/http"
	"testing"

	"github.com/authconform/authconform/specs"
)

// newReadingHarness serves one bundled spec following the given readings, as `serve --reading`
// does.
func newReadingHarness(t *testing.T, name string, readings map[string]string) *harness {
	t.Helper()
	sp, err := loadSpec(t, name).WithReadings(readings)
	if err != nil {
		t.Fatal(err)
	}
	clock := NewClockAt(t0)
	s, err := New([]*specs.Spec{sp}, WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, s: s, clock: clock}
}

func TestMockFollowsReadings(t *testing.T) {
	t.Run("efalia logout ends the access token only", func(t *testing.T) {
		h := newReadingHarness(t, "efalia", map[string]string{"efalia-logout-refresh": "no"})
		access, refresh := h.efaliaTokens("alice", "alice-password")
		h.expect(h.do(h.req("POST", "/workey/api/auth/logout", "", "Authorization", "Bearer "+access)), http.StatusOK)
		h.expect(h.do(h.req("GET", "/workey/api/processes", "", "Authorization", "Bearer "+access)), http.StatusUnauthorized)
		h.expect(h.do(h.req("POST", "/workey/api/auth/refresh", `{"refreshToken":"`+refresh+`"}`)), http.StatusOK)
	})
	t.Run("efalia logout ends the session (the document's reading)", func(t *testing.T) {
		h := newHarness(t, "efalia")
		access, refresh := h.efaliaTokens("alice", "alice-password")
		h.expect(h.do(h.req("POST", "/workey/api/auth/logout", "", "Authorization", "Bearer "+access)), http.StatusOK)
		h.expect(h.do(h.req("POST", "/workey/api/auth/refresh", `{"refreshToken":"`+refresh+`"}`)), 555)
	})
	t.Run("efalia used refresh token accepted until expiry", func(t *testing.T) {
		h := newReadingHarness(t, "efalia", map[string]string{"efalia-refresh-rotation": "accepted-until-expiry"})
		_, refresh := h.efaliaTokens("alice", "alice-password")
		for range 2 {
			h.expect(h.do(h.req("POST", "/workey/api/auth/refresh", `{"refreshToken":"`+refresh+`"}`)), http.StatusOK)
		}
	})
	t.Run("efalia impersonation required", func(t *testing.T) {
		h := newReadingHarness(t, "efalia", map[string]string{"efalia-impersonate": "required"})
		h.expect(h.do(h.req("GET", "/workey/api/processes", "", "X-API-KEY", "efalia-demo-key")), http.StatusUnauthorized)
		h.expect(h.do(h.req("GET", "/workey/api/processes", "", "X-API-KEY", "efalia-demo-key", "X-API-KEY-IMPERSONATE", "alice")), http.StatusOK)
	})
	t.Run("precrime bare token", func(t *testing.T) {
		h := newReadingHarness(t, "precrime", map[string]string{"precrime-authorization": "bare"})
		tok := h.precrimeToken("john.doe", "SecurePass123!")
		h.expect(h.do(h.req("GET", "/authheader/list", "", "Authorization", tok)), http.StatusOK)
		h.expect(h.do(h.req("GET", "/authheader/list", "", "Authorization", "Bearer "+tok)), http.StatusUnauthorized)
	})
	t.Run("precrime auth headers refused on authheader operations", func(t *testing.T) {
		h := newReadingHarness(t, "precrime", map[string]string{"precrime-authheader-keys": "no"})
		tok := h.precrimeToken("john.doe", "SecurePass123!")
		key := h.precrimeKey(tok, "k1")
		h.expect(h.do(h.req("GET", "/authheader/list", "", "Authorization", "Bearer "+key)), http.StatusUnauthorized)
		h.expect(h.do(h.req("GET", "/authheader/list", "", "Authorization", "Bearer "+tok)), http.StatusOK)
	})
}
