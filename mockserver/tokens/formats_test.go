package tokens

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"

	"github.com/authconform/authconform/mockserver/clock"
	"github.com/authconform/authconform/specs"
)

// TestRandomKeyMadeWhenFirstUsed: a random key is made at the first token (a sandbox that never
// issues one pays nothing; a key pair costs tens of milliseconds), once however many ask at once,
// and again after a reset only when used; a pinned key exists from the start.
func TestRandomKeyMadeWhenFirstUsed(t *testing.T) {
	for _, alg := range []string{"RS256", "ES256", "HS256"} {
		t.Run(alg, func(t *testing.T) {
			i, err := New(Config{Algorithm: alg, Issuer: "iss/x", Access: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			if i.key.Load() != nil || i.Asymmetric() != (alg != "HS256") {
				t.Fatal("a random key was made before any use, or the issuer is not of its kind")
			}
			var wg sync.WaitGroup
			toks := make([]string, 4)
			for n := range toks {
				wg.Go(func() {
					tok, err := i.Issue(specs.TokenAccess, "alice", "s1", 0)
					if err != nil {
						t.Error(err)
						return
					}
					toks[n] = tok.Token
				})
			}
			wg.Wait()
			for _, tok := range toks {
				if _, err := i.Verify(tok, specs.TokenAccess); err != nil {
					t.Errorf("a token issued at once with others does not verify: %v (two keys generated?)", err)
				}
			}
			i.Rotate()
			if i.key.Load() != nil {
				t.Error("a reset generated the next key pair before any use")
			}
			if _, err := i.Verify(toks[0], specs.TokenAccess); err == nil {
				t.Error("a token of the key before the reset verified")
			}
		})
	}
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	pinned, err := New(Config{Algorithm: "ES256", Issuer: "iss/x", Access: time.Hour, Key: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})})
	if err != nil {
		t.Fatal(err)
	}
	if pinned.key.Load() == nil {
		t.Error("a pinned key is not there from the start")
	}
}

// TestSharedKey: issuers given one Share (replicas on one store) sign with the key stored first,
// so each verifies the other's tokens, also after a reset of the store; a Share that fails fails
// the token, it does not fall back to a key of the issuer's own.
func TestSharedKey(t *testing.T) {
	for _, alg := range []string{"HS256", "RS256", "ES256"} {
		t.Run(alg, func(t *testing.T) {
			var mu sync.Mutex
			var stored []byte
			var down bool
			share := func(fresh []byte) ([]byte, error) {
				mu.Lock()
				defer mu.Unlock()
				if down {
					return nil, errors.New("the store is down")
				}
				if stored == nil {
					stored = fresh
				}
				return stored, nil
			}
			a, _ := New(Config{Algorithm: alg, Issuer: "iss/x", Access: time.Hour, Share: share})
			b, _ := New(Config{Algorithm: alg, Issuer: "iss/x", Access: time.Hour, Share: share})
			crossed := func(from, to *Issuer) error {
				tok, err := from.Issue(specs.TokenAccess, "alice", "s1", 0)
				if err != nil {
					return err
				}
				_, err = to.Verify(tok.Token, specs.TokenAccess)
				return err
			}
			if err := crossed(a, b); err != nil {
				t.Fatalf("a's token on b: %v", err)
			}
			if err := crossed(b, a); err != nil {
				t.Fatalf("b's token on a: %v", err)
			}
			old, _ := a.Issue(specs.TokenAccess, "alice", "s1", 0)
			mu.Lock()
			stored = nil // the store's reset
			mu.Unlock()
			a.Rotate()
			b.Rotate()
			if err := crossed(b, a); err != nil {
				t.Fatalf("after the reset, b's token on a: %v", err)
			}
			if _, err := b.Verify(old.Token, specs.TokenAccess); err == nil {
				t.Error("a token of the key before the reset verified")
			}
			mu.Lock()
			down = true
			mu.Unlock()
			a.Rotate()
			if _, err := a.Issue(specs.TokenAccess, "alice", "s1", 0); err == nil {
				t.Error("a token was issued while the shared key could not be read")
			}
		})
	}
}

// TestAsymmetric: RS256 and ES256 tokens verify with the issuer, and with its published JWKS
// through a well-kept JWKS client (keyfunc) as a relying party would; a reset's new key gets a new
// kid, and a token naming another kid is refused.
func TestAsymmetric(t *testing.T) {
	for _, alg := range []string{"RS256", "ES256"} {
		t.Run(alg, func(t *testing.T) {
			i, err := New(Config{Algorithm: alg, Issuer: "iss/x", Access: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			if !i.Asymmetric() {
				t.Fatal("not asymmetric")
			}
			tok, err := i.Issue(specs.TokenAccess, "alice", "s1", 0)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := i.Verify(tok.Token, specs.TokenAccess); err != nil {
				t.Fatalf("verify: %v", err)
			}
			set, err := i.JWKS()
			if err != nil {
				t.Fatal(err)
			}
			kf, err := keyfunc.NewJWKSetJSON(set)
			if err != nil {
				t.Fatalf("the JWKS %s does not load: %v", set, err)
			}
			var c Claims
			if _, err := jwt.ParseWithClaims(tok.Token, &c, kf.Keyfunc, jwt.WithValidMethods([]string{alg})); err != nil || c.Subject != "alice" {
				t.Errorf("through the JWKS: %v, sub %q", err, c.Subject)
			}
			kid := mustKeys(i).kid
			i.Rotate()
			if mustKeys(i).kid == kid {
				t.Error("a new key kept its kid")
			}
			if _, err := i.Verify(tok.Token, specs.TokenAccess); err == nil {
				t.Error("a token of the key before the reset verified")
			}
		})
	}
}

// TestPinnedPEMKey: a PEM private key in the config signs, survives Rotate, and is refused when it
// is not a key of the algorithm.
func TestPinnedPEMKey(t *testing.T) {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	i, err := New(Config{Algorithm: "ES256", Issuer: "iss/x", Key: pemKey, Access: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := i.Issue(specs.TokenAccess, "alice", "s1", 0)
	i.Rotate()
	if _, err := i.Verify(tok.Token, specs.TokenAccess); err != nil {
		t.Errorf("a pinned key's token after Rotate: %v", err)
	}
	if _, err := New(Config{Algorithm: "RS256", Issuer: "iss/x", Key: pemKey, Access: time.Hour}); err == nil || !strings.Contains(err.Error(), "RS256 signing key") {
		t.Errorf("an EC key for RS256: %v", err)
	}
	if _, err := New(Config{Algorithm: "PS256", Issuer: "iss/x", Access: time.Hour}); err == nil {
		t.Error("PS256 accepted")
	}
}

// TestKidTricks: tokens whose header names another kid are refused, whatever they are signed with.
func TestKidTricks(t *testing.T) {
	i, err := New(Config{Algorithm: "RS256", Issuer: "iss/x", Access: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	c := i.Claims(specs.TokenAccess, "alice", "s1", 0)
	for _, kid := range []string{"../../../../dev/null", "other", ""} {
		tok := jwt.NewWithClaims(jwt.SigningMethodRS256, &c)
		tok.Header["kid"] = kid
		s, err := tok.SignedString(mustKeys(i).sign)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := i.Verify(s, specs.TokenAccess); err == nil {
			t.Errorf("kid %q accepted", kid)
		}
	}
	// HS256 with the public key's bytes as the secret (algorithm confusion).
	der, _ := x509.MarshalPKIXPublicKey(mustKeys(i).verify)
	pub := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, &c)
	tok.Header["kid"] = mustKeys(i).kid
	s, _ := tok.SignedString(pub)
	if _, err := i.Verify(s, specs.TokenAccess); err == nil {
		t.Error("an HS256 token keyed with the public key was accepted")
	}
}

// TestOpaque: opaque tokens carry nothing, verify while remembered and unexpired, keep their kind,
// and are forgotten by a reset.
func TestOpaque(t *testing.T) {
	clk := clock.At(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	i, err := New(Config{Algorithm: "RS256", Issuer: "iss/x", Access: time.Hour, Refresh: 24 * time.Hour, Clock: clk,
		Opaque: map[specs.TokenKind]bool{specs.TokenRefresh: true}})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := i.Issue(specs.TokenRefresh, "alice", "s1", 0)
	a, _ := i.Issue(specs.TokenAccess, "alice", "s1", 0)
	if strings.Count(r.Token, ".") != 0 || len(r.Token) < 40 || strings.Count(a.Token, ".") != 2 {
		t.Fatalf("refresh %q should be opaque and access %q a JWT", r.Token, a.Token)
	}
	if c, err := i.Verify(r.Token, specs.TokenRefresh); err != nil || c.Subject != "alice" || c.SID != "s1" {
		t.Fatalf("verify: %v %+v", err, c)
	}
	if _, err := i.Verify("nope", specs.TokenRefresh); !errors.Is(err, ErrUnknownToken) {
		t.Errorf("an unknown token: %v", err)
	}
	if _, err := i.Verify(a.Token, specs.TokenRefresh); err == nil {
		t.Error("an access token accepted as a refresh token")
	}
	clk.Advance(25 * time.Hour)
	if _, err := i.Verify(r.Token, specs.TokenRefresh); !errors.Is(err, jwt.ErrTokenExpired) {
		t.Errorf("an expired opaque token: %v", err)
	}
	clk.Advance(-25 * time.Hour)
	i.Rotate()
	if _, err := i.Verify(r.Token, specs.TokenRefresh); !errors.Is(err, ErrUnknownToken) {
		t.Errorf("after a reset: %v", err)
	}
}
