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

// opaqueTokens issues the token kinds a spec declares opaque (format: opaque): random strings
// with nothing in them, whose claims the issuer remembers until they expire, as a server with a
// token table does. A nil *opaqueTokens issues none.
type opaqueTokens struct {
	kinds map[specs.TokenKind]bool
	mu    sync.RWMutex
	m     map[string]*Claims
	swept int // the table's size after the last sweep
}

func newOpaqueTokens(kinds map[specs.TokenKind]bool) *opaqueTokens {
	return &opaqueTokens{kinds: kinds, m: map[string]*Claims{}}
}

// issues reports whether tokens of kind use are opaque.
func (o *opaqueTokens) issues(use specs.TokenKind) bool { return o != nil && o.kinds[use] }

// issue remembers c under a new random token: 256 bits, base32 (rand.Text twice).
func (o *opaqueTokens) issue(c *Claims) Issued {
	token := rand.Text() + rand.Text()
	o.mu.Lock()
	if len(o.m) >= 2*max(o.swept, 512) && c.NotBefore != nil {
		o.sweep(c.NotBefore.Time)
	}
	o.m[token] = c
	o.mu.Unlock()
	var exp time.Time
	if c.ExpiresAt != nil {
		exp = c.ExpiresAt.Time
	}
	return Issued{Token: token, JTI: c.ID, Expires: exp}
}

// sweepSlack is how long past its expiry an opaque token is kept: a clock moved back by less
// still finds it valid. Forgetting one earlier only refuses it (the safe direction), never
// accepts what should be refused.
const sweepSlack = 24 * time.Hour

// sweep drops the tokens expired sweepSlack before now. Called with mu held.
func (o *opaqueTokens) sweep(now time.Time) {
	for t, c := range o.m {
		if c.ExpiresAt != nil && c.ExpiresAt.Before(now.Add(-sweepSlack)) {
			delete(o.m, t)
		}
	}
	o.swept = len(o.m)
}

// verify finds the claims of an opaque token and judges them as a JWT's: time (v), kind, and
// completeness.
func (o *opaqueTokens) verify(token string, use specs.TokenKind, v *jwt.Validator) (*Claims, error) {
	o.mu.RLock()
	c, ok := o.m[token]
	o.mu.RUnlock()
	if !ok {
		return nil, ErrUnknownToken
	}
	if err := v.Validate(c); err != nil {
		return nil, err
	}
	cc := *c
	return CheckUse(&cc, use)
}

// forget drops every token (a new key: a reset).
func (o *opaqueTokens) forget() {
	o.mu.Lock()
	o.m, o.swept = map[string]*Claims{}, 0
	o.mu.Unlock()
}

// take makes o remember from's tokens (a reload keeps them valid), when both issue opaque ones.
func (o *opaqueTokens) take(from *opaqueTokens) {
	if o == nil || from == nil {
		return
	}
	from.mu.RLock()
	defer from.mu.RUnlock()
	o.mu.Lock()
	defer o.mu.Unlock()
	for t, c := range from.m {
		o.m[t] = c
	}
}

// Opaque reports whether tokens of kind use are opaque strings (format: opaque), not JWTs.
func (i *Issuer) Opaque(use specs.TokenKind) bool { return i.opaque.issues(use) }

// Mint makes a token of claims c: signed, or for an opaque kind (c.Use) remembered under a random
// string. Issue is Mint of Claims; decorators mint claims of their own shape.
func (i *Issuer) Mint(c *Claims) (Issued, error) {
	if i.opaque.issues(specs.TokenKind(c.Use)) {
		return i.opaque.issue(c), nil
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
// for decorators that judge them their own way; false for a JWT or an unknown token.
func (i *Issuer) Lookup(token string) (*Claims, bool) {
	if i.opaque == nil {
		return nil, false
	}
	i.opaque.mu.RLock()
	defer i.opaque.mu.RUnlock()
	c, ok := i.opaque.m[token]
	if !ok {
		return nil, false
	}
	cc := *c
	return &cc, true
}
