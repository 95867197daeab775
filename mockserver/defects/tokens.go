package defects

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authconform/authconform/mockserver"
	"github.com/authconform/authconform/mockserver/tokens"
	"github.com/authconform/authconform/specs"
)

// mutantIssuer decorates a spec's token issuer for the mutations of issuing and verifying: claims
// left out (shape), lifetimes changed (life), checks switched off when verifying (lax), and tokens
// handed out opaque (the JWT wrapped so that it no longer looks like one; Verify unwraps it).
// Tokens of another shape or lifetime are signed with the base issuer's key (Claims, Sign); the
// lax checks parse with golang-jwt's own options. Without a change for a kind, the next issuer
// answers.
type mutantIssuer struct {
	mockserver.TokenIssuer
	base   *tokens.Issuer
	shape  map[specs.TokenKind]tokenShape
	life   map[specs.TokenKind]func(time.Duration) time.Duration
	lax    map[specs.TokenKind]laxity // by the kind of token expected
	opaque map[specs.TokenKind]bool
}

// tokenShape leaves registered claims out of a token; the zero value is what the mock ships.
type tokenShape struct {
	noIat bool // no iat: the response's Date header tells when it was issued (a variant)
	noExp bool // no exp: the token never expires (a defect)
}

// laxity switches checks of verification off; the zero value checks everything, as the mock ships.
type laxity struct {
	noSignature bool          // the signature is not verified
	allowNone   bool          // a token with alg "none" is taken unverified
	hmacPublic  bool          // an HS256 token is verified with the public key's PEM as its secret (algorithm confusion)
	kidPath     bool          // an HS256 token whose kid names a path is verified with that file's content (empty: /dev/null)
	leeway      time.Duration // exp is judged this much too late
	noExpiry    bool          // exp is not required
	anyUse      bool          // a token of the other kind is taken too
}

// opaquePrefix starts a wrapped token: no dots, so no client can read it as a JWT.
const opaquePrefix = "opq_"

func (m *mutantIssuer) Lifetime(use specs.TokenKind) time.Duration {
	d := m.TokenIssuer.Lifetime(use)
	if f := m.life[use]; f != nil {
		d = f(d)
	}
	return d
}

func (m *mutantIssuer) Issue(use specs.TokenKind, sub, sid string, gen uint64) (tokens.Issued, error) {
	var out tokens.Issued
	shape := m.shape[use]
	if shape == (tokenShape{}) && m.life[use] == nil {
		var err error
		if out, err = m.TokenIssuer.Issue(use, sub, sid, gen); err != nil {
			return out, err
		}
	} else {
		c := m.base.Claims(use, sub, sid, gen)
		c.ExpiresAt = jwt.NewNumericDate(c.IssuedAt.Add(m.Lifetime(use)))
		expires := c.ExpiresAt.Time
		if shape.noIat {
			c.IssuedAt = nil
		}
		if shape.noExp {
			c.ExpiresAt = nil
		}
		var err error
		if out, err = m.base.Mint(&c); err != nil {
			return out, err
		}
		out.Expires = expires
	}
	if m.opaque[use] {
		out.Token = opaquePrefix + base64.RawURLEncoding.EncodeToString([]byte(out.Token))
	}
	return out, nil
}

func (m *mutantIssuer) Verify(token string, use specs.TokenKind) (*tokens.Claims, error) {
	if rest, ok := strings.CutPrefix(token, opaquePrefix); ok {
		if b, err := base64.RawURLEncoding.DecodeString(rest); err == nil {
			token = string(b)
		}
	}
	lax := m.lax[use]
	if lax == (laxity{}) {
		return m.TokenIssuer.Verify(token, use)
	}
	b := m.base
	opts := []jwt.ParserOption{jwt.WithIssuer(b.Name()), jwt.WithTimeFunc(b.Clock().Now), jwt.WithIssuedAt(), jwt.WithLeeway(lax.leeway)}
	if !lax.noExpiry {
		opts = append(opts, jwt.WithExpirationRequired())
	}
	var c tokens.Claims
	var t *jwt.Token
	remembered, opaque, err := b.Lookup(token)
	switch {
	case err != nil:
		return nil, err
	case opaque:
		c = *remembered
	default:
		t, _, err = jwt.NewParser().ParseUnverified(token, &c)
	}
	switch {
	case err != nil:
	case opaque: // nothing signed: only the claims are judged, laxly
		err = jwt.NewValidator(opts...).Validate(c)
	case lax.noSignature || lax.allowNone && t.Method == jwt.SigningMethodNone:
		err = jwt.NewValidator(opts...).Validate(c)
	case lax.hmacPublic && t.Method == jwt.SigningMethodHS256 && b.Asymmetric():
		_, err = jwt.NewParser(opts...).ParseWithClaims(token, &tokens.Claims{}, func(*jwt.Token) (any, error) {
			key, _ := b.Keyfunc()(nil)
			der, err := x509.MarshalPKIXPublicKey(key)
			return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), err
		})
	case lax.kidPath && t.Method == jwt.SigningMethodHS256 && strings.Contains(fmt.Sprint(t.Header["kid"]), "/"):
		// the "file" a kid path names reads as empty, as /dev/null does
		_, err = jwt.NewParser(opts...).ParseWithClaims(token, &tokens.Claims{}, func(*jwt.Token) (any, error) { return []byte{}, nil })
	default:
		opts = append(opts, jwt.WithValidMethods([]string{b.Algorithm()}))
		_, err = jwt.NewParser(opts...).ParseWithClaims(token, &tokens.Claims{}, b.Keyfunc())
	}
	if err != nil {
		return nil, err
	}
	if lax.anyUse {
		return tokens.CheckComplete(&c)
	}
	return tokens.CheckUse(&c, use)
}

// tokens returns the issuer decorator of the mount's spec, installing it.
func (m *mount) tokens() *mutantIssuer {
	h := m.hooks()
	if h.tokens == nil {
		h.tokens = &mutantIssuer{shape: map[specs.TokenKind]tokenShape{},
			life: map[specs.TokenKind]func(time.Duration) time.Duration{}, lax: map[specs.TokenKind]laxity{}, opaque: map[specs.TokenKind]bool{}}
		t := h.tokens
		m.in.h.DecorateIssuer(m.spec.Name, func(base *tokens.Issuer, next mockserver.TokenIssuer) mockserver.TokenIssuer {
			t.base, t.TokenIssuer = base, next
			return t
		})
	}
	return h.tokens
}

// relax switches verification checks off for tokens expected to be of kind use.
func (m *mount) relax(use specs.TokenKind, change func(*laxity)) {
	t := m.tokens()
	l := t.lax[use]
	change(&l)
	t.lax[use] = l
}

// reshape changes the claims of issued tokens of kind use.
func (m *mount) reshape(use specs.TokenKind, change func(*tokenShape)) {
	t := m.tokens()
	s := t.shape[use]
	change(&s)
	t.shape[use] = s
}

// relife changes the lifetime of issued tokens of kind use.
func (m *mount) relife(use specs.TokenKind, change func(time.Duration) time.Duration) {
	m.tokens().life[use] = change
}
