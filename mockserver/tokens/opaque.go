package tokens

import (
	"crypto/rand"
	"errors"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authconform/authconform/specs"
)

// ErrUnknownToken: an opaque token the issuer never issued, or forgot (a reset).
var ErrUnknownToken = errors.New("token is not one the server issued")

// Table remembers the claims of opaque tokens until they expire, as a server with a token table
// does. The mock keeps it in its state store (shared by replicas); Config.Table nil keeps one in
// the Issuer's memory. Its errors reach the caller of Issue or Verify unchanged.
type Table interface {
	Put(token string, c *Claims) error
	Get(token string) (*Claims, bool, error)
	// Forget drops every token (Rotate: a new key, as a restart). A table the mock's store keeps
	// is emptied by the store's reset instead, and does nothing here.
	Forget()
}

// opaqueTokens issues the token kinds a spec declares opaque (format: opaque): random strings
// with nothing in them, whose claims the table remembers. A nil *opaqueTokens issues none.
type opaqueTokens struct {
	kinds map[specs.TokenKind]bool
	table Table
}

// issues reports whether tokens of kind use are opaque.
func (o *opaqueTokens) issues(use specs.TokenKind) bool { return o != nil && o.kinds[use] }

// issue remembers c under a new random token: 256 bits, base32 (rand.Text twice).
func (o *opaqueTokens) issue(c *Claims) (Issued, error) {
	token := rand.Text() + rand.Text()
	if err := o.table.Put(token, c); err != nil {
		return Issued{}, err
	}
	var exp time.Time
	if c.ExpiresAt != nil {
		exp = c.ExpiresAt.Time
	}
	return Issued{Token: token, JTI: c.ID, Expires: exp}, nil
}

// verify finds the claims of an opaque token and judges them as a JWT's: time (v), kind, and
// completeness.
func (o *opaqueTokens) verify(token string, use specs.TokenKind, v *jwt.Validator) (*Claims, error) {
	c, ok, err := o.table.Get(token)
	switch {
	case err != nil:
		return nil, err
	case !ok:
		return nil, ErrUnknownToken
	}
	if err := v.Validate(c); err != nil {
		return nil, err
	}
	return CheckUse(c, use)
}

// memoryTable is the Table of an Issuer given none: a map, swept of tokens expired a day since
// once it has doubled.
type memoryTable struct {
	mu    sync.RWMutex
	m     map[string]*Claims
	swept int // the table's size after the last sweep
}

// sweepSlack is how long past its expiry an opaque token is kept: a clock moved back by less
// still finds it valid. Forgetting one earlier only refuses it (the safe direction), never
// accepts what should be refused.
const sweepSlack = 24 * time.Hour

func (t *memoryTable) Put(token string, c *Claims) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m == nil {
		t.m = map[string]*Claims{}
	}
	if len(t.m) >= 2*max(t.swept, 512) && c.NotBefore != nil {
		cutoff := c.NotBefore.Add(-sweepSlack)
		for tok, cc := range t.m {
			if cc.ExpiresAt != nil && cc.ExpiresAt.Before(cutoff) {
				delete(t.m, tok)
			}
		}
		t.swept = len(t.m)
	}
	t.m[token] = c
	return nil
}

func (t *memoryTable) Get(token string) (*Claims, bool, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	c, ok := t.m[token]
	if !ok {
		return nil, false, nil
	}
	cc := *c
	return &cc, true, nil
}

func (t *memoryTable) Forget() {
	t.mu.Lock()
	t.m, t.swept = nil, 0
	t.mu.Unlock()
}

// Opaque reports whether tokens of kind use are opaque strings (format: opaque), not JWTs.
func (i *Issuer) Opaque(use specs.TokenKind) bool { return i.opaque.issues(use) }

// Mint makes a token of claims c: signed, or for an opaque kind (c.Use) remembered under a random
// string. Issue is Mint of Claims; decorators mint claims of their own shape.
func (i *Issuer) Mint(c *Claims) (Issued, error) {
	if i.opaque.issues(specs.TokenKind(c.Use)) {
		return i.opaque.issue(c)
	}
	token, err := i.Sign(c)
	if err != nil {
		return Issued{}, err
	}
	var exp time.Time
	if c.ExpiresAt != nil {
		exp = c.ExpiresAt.Time
	}
	return Issued{Token: token, JTI: c.ID, Expires: exp}, nil
}

// Lookup returns the claims an opaque token was issued with, unjudged (no time or kind check),
// for decorators that judge them their own way; false for a JWT or an unknown token, and the
// table's error.
func (i *Issuer) Lookup(token string) (*Claims, bool, error) {
	if i.opaque == nil {
		return nil, false, nil
	}
	return i.opaque.table.Get(token)
}
