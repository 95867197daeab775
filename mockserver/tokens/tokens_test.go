package tokens

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authconform/authconform/mockserver/clock"
	"github.com/authconform/authconform/specs"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestTokenVerification(t *testing.T) {
	clk := clock.At(t0)
	pix, err := New(Config{Algorithm: "HS512", Issuer: "authconform/pixfile", Access: 24 * time.Hour, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	ely, err := New(Config{Algorithm: "HS256", Issuer: "authconform/elyssa", Access: 24 * time.Hour, Refresh: 360 * 24 * time.Hour, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	good, err := pix.Issue(specs.TokenAccess, "user", "sid", 0)
	if err != nil {
		t.Fatal(err)
	}
	sign := func(m jwt.SigningMethod, key any, mutate func(*Claims)) string {
		c := Claims{RegisteredClaims: jwt.RegisteredClaims{Issuer: "authconform/pixfile", Subject: "user", ID: "j",
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
	key := mustKeys(pix).sign.([]byte)
	cases := []struct {
		name  string
		token string
		iss   *Issuer
		use   specs.TokenKind
		want  string // "" accepted, else part of the error
	}{
		{name: "own access token", token: good.Token, iss: pix, use: specs.TokenAccess},
		{name: "hand-signed with the right key and claims", token: sign(jwt.SigningMethodHS512, key, nil), iss: pix, use: specs.TokenAccess},
		{name: "another spec's issuer refuses it", token: good.Token, iss: ely, use: specs.TokenAccess, want: "signature"},
		{name: "algorithm pinned: HS256 with the same key", token: sign(jwt.SigningMethodHS256, key, nil), iss: pix, use: specs.TokenAccess, want: "signing method"},
		{name: "algorithm none", token: sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, nil), iss: pix, use: specs.TokenAccess, want: "signing method"},
		{name: "wrong issuer", token: sign(jwt.SigningMethodHS512, key, func(c *Claims) { c.Issuer = "someone" }), iss: pix, use: specs.TokenAccess, want: "issuer"},
		{name: "no exp", token: sign(jwt.SigningMethodHS512, key, func(c *Claims) { c.ExpiresAt = nil }), iss: pix, use: specs.TokenAccess, want: "exp"},
		{name: "expired", token: sign(jwt.SigningMethodHS512, key, func(c *Claims) { c.ExpiresAt = jwt.NewNumericDate(t0) }), iss: pix, use: specs.TokenAccess, want: "expired"},
		{name: "issued in the future", token: sign(jwt.SigningMethodHS512, key, func(c *Claims) { c.IssuedAt = jwt.NewNumericDate(t0.Add(time.Minute)) }), iss: pix, use: specs.TokenAccess, want: "before issued"},
		{name: "access token as refresh", token: good.Token, iss: pix, use: specs.TokenRefresh, want: "wrong kind"},
		{name: "no session", token: sign(jwt.SigningMethodHS512, key, func(c *Claims) { c.SID = "" }), iss: pix, use: specs.TokenAccess, want: "sid"},
		{name: "garbage", token: "garbage", iss: pix, use: specs.TokenAccess, want: "malformed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.iss.Verify(tc.token, tc.use)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestSignAfterRotate: a rotated key signs with the new key at once, byte for byte as golang-jwt
// does with that key, also while other goroutines sign (run with -race).
func TestSignAfterRotate(t *testing.T) {
	i, err := New(Config{Algorithm: "HS512", Issuer: "iss/x", Access: time.Hour, Refresh: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	c := Claims{RegisteredClaims: jwt.RegisteredClaims{Issuer: i.iss, Subject: "alice", ID: "j"}, Use: "access", SID: "s"}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				_, _ = i.Sign(&c)
			}
		}()
	}
	for round := range 3 {
		if round > 0 {
			i.Rotate()
		}
		want, err := jwt.NewWithClaims(i.method, c).SignedString(mustKeys(i).sign)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := i.Sign(&c); got != want {
			t.Fatalf("round %d: signed with a stale key:\n got %s\nwant %s", round, got, want)
		}
	}
	wg.Wait()
}

// TestSignMatchesSignedString: the prepared header changes nothing: every token is byte for byte
// what golang-jwt's SignedString makes of the same claims and key, for every algorithm and for
// claim values that need escaping.
func TestSignMatchesSignedString(t *testing.T) {
	subjects := []string{"alice", `quote"back\slash`, "<script>&", "naïve ü", "tab\tnew\nline", "bad utf8 \xff"}
	for _, alg := range []string{"HS256", "HS384", "HS512", "RS256"} { // ES256 signatures are random: TestAsymmetric
		var key []byte
		if alg[:2] == "HS" {
			key = []byte("a-test-key-a-test-key-a-test-key")
		}
		i, err := New(Config{Algorithm: alg, Issuer: "iss/x", Key: key, Access: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		for n, sub := range subjects {
			c := i.Claims(specs.TokenAccess, sub, "s"+sub, uint64(n)<<40)
			got, err := i.Sign(&c)
			if err != nil {
				t.Fatal(err)
			}
			want, err := librarySigned(i, &c)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("%s %q:\n got %s\nwant %s", alg, sub, got, want)
			}
		}
		// Claims a defect signs (package defects): no iat, no exp, an audience, other times.
		for name, edit := range map[string]func(c *Claims){
			"no iat":      func(c *Claims) { c.IssuedAt = nil },
			"no exp":      func(c *Claims) { c.ExpiresAt = nil },
			"audience":    func(c *Claims) { c.Audience = jwt.ClaimStrings{"a", "b"} },
			"empty":       func(c *Claims) { *c = Claims{} },
			"before 1970": func(c *Claims) { c.NotBefore = jwt.NewNumericDate(time.Unix(-86401, 0)) },
			"far future":  func(c *Claims) { c.ExpiresAt = jwt.NewNumericDate(time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)) },
			"fraction":    func(c *Claims) { c.ExpiresAt = &jwt.NumericDate{Time: time.Unix(1700000000, 999999999)} },
		} {
			c := i.Claims(specs.TokenRefresh, "alice", "sid", 7)
			edit(&c)
			got, err := i.Sign(&c)
			if err != nil {
				t.Fatal(err)
			}
			want, err := librarySigned(i, &c)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("%s %s:\n got %s\nwant %s", alg, name, got, want)
			}
		}
	}
}

func BenchmarkIssue(b *testing.B) {
	i, _ := New(Config{Algorithm: "HS512", Issuer: "authconform/x", Access: time.Hour, Refresh: 24 * time.Hour})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := i.Issue(specs.TokenAccess, "alice", "sid", 0); err != nil {
			b.Fatal(err)
		}
	}
}

// TestVerifiedCacheKeepsSemantics guards the cache of verified tokens: a hit skips only what
// depends on the token and the key; expiry, a clock moved back, a new key, tampering and the
// token's kind are judged on every use exactly as without the cache.
func TestVerifiedCacheKeepsSemantics(t *testing.T) {
	start := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	clock := clock.At(start)
	i, err := New(Config{Algorithm: "HS256", Issuer: "iss/cache", Access: time.Hour, Refresh: 24 * time.Hour, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := i.Issue(specs.TokenAccess, "alice", "sid-1", 0)
	if err != nil {
		t.Fatal(err)
	}
	for n := range 3 { // issuing cached it: hits
		if _, err := i.Verify(tok.Token, specs.TokenAccess); err != nil {
			t.Fatalf("use %d: %v", n, err)
		}
	}
	if _, hit := i.cache.get(tok.Token, mustKeys(i)); !hit {
		t.Fatal("an issued token was not cached")
	}
	// A token of this issuer's that the cache does not hold is verified in full, and cached.
	i.cache.m = nil // as when the cache starts over
	if _, err := i.Verify(tok.Token, specs.TokenAccess); err != nil {
		t.Fatalf("after the cache was emptied: %v", err)
	}
	if _, hit := i.cache.get(tok.Token, mustKeys(i)); !hit {
		t.Fatal("a verified token was not cached")
	}
	if _, err := i.Verify(tok.Token, specs.TokenRefresh); !errors.Is(err, ErrWrongUse) {
		t.Errorf("cached access token as a refresh token: %v", err)
	}
	tampered := tok.Token[:len(tok.Token)-2] + "AA"
	if tampered == tok.Token {
		tampered = tok.Token[:len(tok.Token)-2] + "BB"
	}
	if _, err := i.Verify(tampered, specs.TokenAccess); err == nil {
		t.Error("a tampered copy of a cached token was accepted")
	}
	clock.Set(start.Add(time.Hour + time.Second))
	if _, err := i.Verify(tok.Token, specs.TokenAccess); !errors.Is(err, jwt.ErrTokenExpired) {
		t.Errorf("cached token past exp: %v, want expired", err)
	}
	clock.Set(start.Add(-time.Minute))
	if _, err := i.Verify(tok.Token, specs.TokenAccess); err == nil {
		t.Error("cached token accepted on a clock moved back before its iat/nbf")
	}
	clock.Set(start)
	i.Rotate()
	if _, err := i.Verify(tok.Token, specs.TokenAccess); err == nil {
		t.Error("cached token accepted after the key changed")
	}
}

func TestVerifiedCacheConcurrent(t *testing.T) {
	i, _ := New(Config{Algorithm: "HS512", Issuer: "iss/c", Access: time.Hour, Refresh: 24 * time.Hour})
	var toks []string
	for n := range 16 {
		tk, _ := i.Issue(specs.TokenAccess, fmt.Sprint("u", n), "s", 0)
		toks = append(toks, tk.Token)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range 200 {
				tk := toks[(g+n)%len(toks)]
				if n%50 == 0 && g == 0 {
					i.Rotate()
				}
				_, _ = i.Verify(tk, specs.TokenAccess)
			}
		}()
	}
	wg.Wait()
	// After the last rotation, no token of the old key verifies, cached or not.
	for _, tk := range toks {
		if _, err := i.Verify(tk, specs.TokenAccess); err == nil {
			t.Fatal("a token of a rotated key verified")
		}
	}
}

// BenchmarkVerify is the verification of a presented access token: a token the cache holds (a
// client's repeated calls), and one it does not (signature and decoding by golang-jwt).
func BenchmarkVerify(b *testing.B) {
	i, _ := New(Config{Algorithm: "HS512", Issuer: "authconform/x", Access: time.Hour, Refresh: 24 * time.Hour})
	tok, err := i.Issue(specs.TokenAccess, "alice", "sid", 0)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("cached", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := i.Verify(tok.Token, specs.TokenAccess); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("uncached", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			i.cache.mu.Lock()
			i.cache.m = nil
			i.cache.mu.Unlock()
			if _, err := i.Verify(tok.Token, specs.TokenAccess); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// librarySigned is golang-jwt's own SignedString of c with i's key and header (kid included).
func librarySigned(i *Issuer, c *Claims) (string, error) {
	tok := jwt.NewWithClaims(i.method, c)
	if kid := mustKeys(i).kid; kid != "" {
		tok.Header["kid"] = kid
	}
	return tok.SignedString(mustKeys(i).sign)
}

// mustKeys is the issuer's current key, made when first used.
func mustKeys(i *Issuer) *keySet {
	ks, err := i.keys()
	if err != nil {
		panic(err)
	}
	return ks
}
