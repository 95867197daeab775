package mockserver

import (
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authconform/authconform/mockserver/tokens"
)

// TestTokenClaims checks the claims and lifetimes every issued token carries.
func TestTokenClaims(t *testing.T) {
	h := newHarness(t)
	cases := []struct {
		name    string
		token   func() string
		issuer  string
		life    time.Duration
		use     string
		wantAlg string
	}{
		{name: "pixfile access 24h HS512", token: func() string { return h.pixfileToken("user", "pass") }, issuer: "authconform/pixfile", life: 24 * time.Hour, use: "access", wantAlg: "HS512"},
		{name: "elyssa access 24h HS256", token: func() string { a, _ := h.elyssaTokens(company1); return a }, issuer: "authconform/elyssa", life: 24 * time.Hour, use: "access", wantAlg: "HS256"},
		{name: "elyssa refresh 360d", token: func() string { _, r := h.elyssaTokens(company1); return r }, issuer: "authconform/elyssa", life: 360 * 24 * time.Hour, use: "refresh", wantAlg: "HS256"},
		{name: "efalia access 1h", token: func() string { a, _ := h.efaliaTokens("alice", "alice-password"); return a }, issuer: "authconform/efalia", life: time.Hour, use: "access", wantAlg: "HS512"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var c tokens.Claims
			tok, _, err := jwt.NewParser().ParseUnverified(tc.token(), &c)
			if err != nil {
				t.Fatal(err)
			}
			if tok.Method.Alg() != tc.wantAlg || c.Issuer != tc.issuer || c.Use != tc.use || c.ID == "" || c.Subject == "" || c.NotBefore == nil {
				t.Errorf("alg %s claims %+v", tok.Method.Alg(), c)
			}
			if got := c.ExpiresAt.Sub(c.IssuedAt.Time); got != tc.life {
				t.Errorf("exp - iat = %v, want %v", got, tc.life)
			}
			if !c.IssuedAt.Equal(t0) {
				t.Errorf("iat %v, want the mock clock's %v", c.IssuedAt, t0)
			}
		})
	}
}
