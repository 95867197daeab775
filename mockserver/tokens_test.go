package mockserver

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authconform/authconform/specs"
)

func TestTokenVerification(t *testing.T) {
	h := newHarness(t)
	mountOf := func(name string) *mount {
		for _, m := range h.s.mounts {
			if m.spec.Name == name {
				return m
			}
		}
		t.Fatalf("no mount %s", name)
		return nil
	}
	pix, ely := mountOf("pixfile"), mountOf("elyssa")
	good, err := pix.iss.issue(specs.TokenAccess, "user", "sid", 0)
	if err != nil {
		t.Fatal(err)
	}
	sign := func(m jwt.SigningMethod, key any, mutate func(*claims)) string {
		c := claims{RegisteredClaims: jwt.RegisteredClaims{Issuer: "authconform/pixfile", Subject: "user", ID: "j",
			IssuedAt: jwt.NewNumericDate(t0), NotBefore: jwt.NewNumericDate(t0), ExpiresAt: jwt.NewNumericDate(t0.Add(time.Hour))},
			Use: "access", SID: "sid"}
		if mutate != nil {
			mutate(&c)
		}
		s, err := jwt.NewWithClaims(m, c).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	key := *pix.iss.key.Load()
	cases := []struct {
		name  string
		token string
		iss   *issuer
		use   specs.TokenKind
		want  string // "" accepted, else part of the error
	}{
		{name: "own access token", token: good.token, iss: pix.iss, use: specs.TokenAccess},
		{name: "hand-signed with the right key and claims", token: sign(jwt.SigningMethodHS512, key, nil), iss: pix.iss, use: specs.TokenAccess},
		{name: "another spec's issuer refuses it", token: good.token, iss: ely.iss, use: specs.TokenAccess, want: "signature"},
		{name: "algorithm pinned: HS256 with the same key", token: sign(jwt.SigningMethodHS256, key, nil), iss: pix.iss, use: specs.TokenAccess, want: "signing method"},
		{name: "algorithm none", token: sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, nil), iss: pix.iss, use: specs.TokenAccess, want: "signing method"},
		{name: "wrong issuer", token: sign(jwt.SigningMethodHS512, key, func(c *claims) { c.Issuer = "someone" }), iss: pix.iss, use: specs.TokenAccess, want: "issuer"},
		{name: "no exp", token: sign(jwt.SigningMethodHS512, key, func(c *claims) { c.ExpiresAt = nil }), iss: pix.iss, use: specs.TokenAccess, want: "exp"},
		{name: "expired", token: sign(jwt.SigningMethodHS512, key, func(c *claims) { c.ExpiresAt = jwt.NewNumericDate(t0) }), iss: pix.iss, use: specs.TokenAccess, want: "expired"},
		{name: "issued in the future", token: sign(jwt.SigningMethodHS512, key, func(c *claims) { c.IssuedAt = jwt.NewNumericDate(t0.Add(time.Minute)) }), iss: pix.iss, use: specs.TokenAccess, want: "before issued"},
		{name: "access token as refresh", token: good.token, iss: pix.iss, use: specs.TokenRefresh, want: "wrong kind"},
		{name: "no session", token: sign(jwt.SigningMethodHS512, key, func(c *claims) { c.SID = "" }), iss: pix.iss, use: specs.TokenAccess, want: "sid"},
		{name: "garbage", token: "garbage", iss: pix.iss, use: specs.TokenAccess, want: "malformed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.iss.verify(tc.token, tc.use)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

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
			var c claims
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

// TestSignMatchesGolangJWT guards the hand-built signer: for every kind of claim value, the token
// is byte for byte the one golang-jwt's SignedString makes, and golang-jwt's parser accepts it.
func TestSignMatchesGolangJWT(t *testing.T) {
	subjects := []string{"alice", "12345678-1234-1234-1234-123456789abc", `quote"back\slash`, "<script>&", "naïve ü", "tab\tnew\nline", "\x00\x7f", "bad utf8 \xff"}
	for _, alg := range []string{"HS256", "HS384", "HS512"} {
		i, err := newIssuer(specs.Tokens{Algorithm: alg, Issuer: "iss/x"}, []byte("a-test-key-a-test-key-a-test-key"), time.Hour, 24*time.Hour, NewClock())
		if err != nil {
			t.Fatal(err)
		}
		for n, sub := range subjects {
			now := time.Unix(1_700_000_000+int64(n), 0)
			for _, c := range []claims{
				{RegisteredClaims: jwt.RegisteredClaims{Issuer: i.iss, Subject: sub, IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour)), ID: "J" + sub}, Use: "access", SID: "s" + sub, Gen: uint64(n) << 40},
				{RegisteredClaims: jwt.RegisteredClaims{Subject: sub, ExpiresAt: jwt.NewNumericDate(now)}, Use: "refresh", SID: "s"},
				{RegisteredClaims: jwt.RegisteredClaims{Audience: jwt.ClaimStrings{"a", sub}}, Use: "", SID: ""},
			} {
				got := i.sign(&c)
				want, err := jwt.NewWithClaims(i.method, c).SignedString(*i.key.Load())
				if err != nil {
					t.Fatal(err)
				}
				if got != want {
					t.Errorf("%s %q:\n got %s\nwant %s", alg, sub, got, want)
				}
			}
		}
	}
}

// TestSignAfterRotate: the pooled HMAC states follow the key, so a rotated key signs with the new
// key at once, also while other goroutines sign (run with -race).
func TestSignAfterRotate(t *testing.T) {
	i, err := newIssuer(specs.Tokens{Algorithm: "HS512", Issuer: "iss/x"}, nil, time.Hour, 24*time.Hour, NewClock())
	if err != nil {
		t.Fatal(err)
	}
	c := claims{RegisteredClaims: jwt.RegisteredClaims{Issuer: i.iss, Subject: "alice", ID: "j"}, Use: "access", SID: "s"}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				_ = i.sign(&c)
			}
		}()
	}
	for round := range 3 {
		if round > 0 {
			i.rotate()
		}
		want, err := jwt.NewWithClaims(i.method, c).SignedString(*i.key.Load())
		if err != nil {
			t.Fatal(err)
		}
		if got := i.sign(&c); got != want {
			t.Fatalf("round %d: signed with a stale key:\n got %s\nwant %s", round, got, want)
		}
	}
	wg.Wait()
}

func BenchmarkIssue(b *testing.B) {
	i, _ := newIssuer(specs.Tokens{Algorithm: "HS512", Issuer: "authconform/x"}, nil, time.Hour, 24*time.Hour, NewClock())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := i.issue(specs.TokenAccess, "alice", "sid", 0); err != nil {
			b.Fatal(err)
		}
	}
}

// TestVerifiedCacheKeepsSemantics guards the cache of verified tokens: a hit skips only what
// depends on the token and the key; expiry, a clock moved back, a new key, tampering and the
// token's kind are judged on every use exactly as without the cache.
func TestVerifiedCacheKeepsSemantics(t *testing.T) {
	start := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	clock := NewClockAt(start)
	i, err := newIssuer(specs.Tokens{Algorithm: "HS256", Issuer: "iss/cache"}, nil, time.Hour, 24*time.Hour, clock)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := i.issue(specs.TokenAccess, "alice", "sid-1", 0)
	if err != nil {
		t.Fatal(err)
	}
	for n := range 3 { // issuing cached it: hits
		if _, err := i.verify(tok.token, specs.TokenAccess); err != nil {
			t.Fatalf("use %d: %v", n, err)
		}
	}
	if _, hit := i.verified.get(tok.token, i.key.Load()); !hit {
		t.Fatal("an issued token was not cached")
	}
	// A token of this issuer's that the cache does not hold is verified in full, and cached.
	i.verified.m = nil // as when the cache starts over
	if _, err := i.verify(tok.token, specs.TokenAccess); err != nil {
		t.Fatalf("after the cache was emptied: %v", err)
	}
	if _, hit := i.verified.get(tok.token, i.key.Load()); !hit {
		t.Fatal("a verified token was not cached")
	}
	if _, err := i.verify(tok.token, specs.TokenRefresh); !errors.Is(err, errWrongUse) {
		t.Errorf("cached access token as a refresh token: %v", err)
	}
	tampered := tok.token[:len(tok.token)-2] + "AA"
	if tampered == tok.token {
		tampered = tok.token[:len(tok.token)-2] + "BB"
	}
	if _, err := i.verify(tampered, specs.TokenAccess); err == nil {
		t.Error("a tampered copy of a cached token was accepted")
	}
	clock.Set(start.Add(time.Hour + time.Second))
	if _, err := i.verify(tok.token, specs.TokenAccess); !errors.Is(err, jwt.ErrTokenExpired) {
		t.Errorf("cached token past exp: %v, want expired", err)
	}
	clock.Set(start.Add(-time.Minute))
	if _, err := i.verify(tok.token, specs.TokenAccess); err == nil {
		t.Error("cached token accepted on a clock moved back before its iat/nbf")
	}
	clock.Set(start)
	i.rotate()
	if _, err := i.verify(tok.token, specs.TokenAccess); err == nil {
		t.Error("cached token accepted after the key changed")
	}
}

func TestVerifiedCacheConcurrent(t *testing.T) {
	i, _ := newIssuer(specs.Tokens{Algorithm: "HS512", Issuer: "iss/c"}, nil, time.Hour, 24*time.Hour, NewClock())
	var toks []string
	for n := range 16 {
		tk, _ := i.issue(specs.TokenAccess, fmt.Sprint("u", n), "s", 0)
		toks = append(toks, tk.token)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range 200 {
				tk := toks[(g+n)%len(toks)]
				if n%50 == 0 && g == 0 {
					i.rotate()
				}
				_, _ = i.verify(tk, specs.TokenAccess)
			}
		}()
	}
	wg.Wait()
	// After the last rotation, no token of the old key verifies, cached or not.
	for _, tk := range toks {
		if _, err := i.verify(tk, specs.TokenAccess); err == nil {
			t.Fatal("a token of a rotated key verified")
		}
	}
}

// BenchmarkVerify is the verification of a presented access token: a token the cache holds (a
// client's repeated calls), and one it does not (signature and decoding by golang-jwt).
func BenchmarkVerify(b *testing.B) {
	i, _ := newIssuer(specs.Tokens{Algorithm: "HS512", Issuer: "authconform/x"}, nil, time.Hour, 24*time.Hour, NewClock())
	tok, err := i.issue(specs.TokenAccess, "alice", "sid", 0)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("cached", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := i.verify(tok.token, specs.TokenAccess); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("uncached", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			i.verified.mu.Lock()
			i.verified.m = nil
			i.verified.mu.Unlock()
			if _, err := i.verify(tok.token, specs.TokenAccess); err != nil {
				b.Fatal(err)
			}
		}
	})
}
