package mockserver

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authconform/authconform/specs"
)

// This is the one file that touches golang-jwt (STYLE.md rule 11).

// claims are the claims of every token the mock issues. "use" tells an access token from a
// refresh token, so neither is accepted in the other's place; "sid" names the login session,
// which a logout with that session's token revokes; "gen" is the account's generation at issue,
// which a logout with a password or an API key moves on (see Store).
type claims struct {
	jwt.RegisteredClaims
	Use string `json:"use"`
	SID string `json:"sid"`
	Gen uint64 `json:"gen"`
}

// issuer signs and verifies the tokens of one spec: its own key, algorithm and issuer, so a token
// of one spec is refused by another.
type issuer struct {
	method  jwt.SigningMethod
	key     atomic.Pointer[[]byte]
	pinned  bool // the config fixed the key; rotate keeps it
	iss     string
	clock   Clock
	access  time.Duration
	refresh time.Duration // 0 when the spec has no refresh token
	parser  *jwt.Parser
	// validator judges the time claims and the issuer of a token verified before (verified).
	validator *jwt.Validator
	verified  verifiedCache
	hdr       atomic.Pointer[string]  // the encoded JOSE header, made on first use
	macs      atomic.Pointer[macPool] // HMAC states keyed with the current key (sign)
	// onIssue, when set (in New, before serving), hears of every token issued: the session
	// registry (sessions.go) lists live sessions from it.
	onIssue func(t issued, use, sub, sid string, gen uint64)
	// hooks, when set (in New, before serving), are the deliberate defects and benign variants
	// of issuing and verifying (defects_tokens.go); nil, as shipped: none.
	hooks *tokenHooks
}

// keySize is the size of a random signing key: 64 bytes covers HS512's block.
const keySize = 64

func newIssuer(t specs.Tokens, key []byte, access, refresh time.Duration, clock Clock) (*issuer, error) {
	m := jwt.GetSigningMethod(t.Algorithm)
	if _, ok := m.(*jwt.SigningMethodHMAC); !ok {
		return nil, fmt.Errorf("algorithm %q is not an HMAC algorithm the mock signs with", t.Algorithm)
	}
	i := &issuer{
		method: m, pinned: len(key) > 0, iss: t.Issuer, clock: clock, access: access, refresh: refresh,
		parser: jwt.NewParser(
			jwt.WithValidMethods([]string{m.Alg()}),
			jwt.WithIssuer(t.Issuer),
			jwt.WithTimeFunc(clock.Now),
			jwt.WithExpirationRequired(),
			jwt.WithIssuedAt(),
		),
	}
	i.validator = jwt.NewValidator(
		jwt.WithIssuer(t.Issuer),
		jwt.WithTimeFunc(clock.Now),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
	)
	if !i.pinned {
		key = randomKey()
	}
	i.key.Store(&key)
	return i, nil
}

func randomKey() []byte {
	key := make([]byte, keySize)
	_, _ = rand.Read(key) // never fails (crypto/rand)
	return key
}

// rotate replaces a random key by a new one, which refuses every token issued before, as a
// restart does (a spec may promise that a restart expires tokens). A key pinned by the config stays.
func (i *issuer) rotate() {
	if !i.pinned {
		key := randomKey()
		i.key.Store(&key)
	}
}

// issued is a signed token and what it says.
type issued struct {
	token   string
	jti     string
	expires time.Time
}

// issue signs a token of kind use for subject sub in session sid of account generation gen.
func (i *issuer) issue(use specs.TokenKind, sub, sid string, gen uint64) (issued, error) {
	var shape tokenShape
	if i.hooks != nil {
		shape = i.hooks.shape[use]
	}
	now := i.clock.Now().Truncate(time.Second)
	life := i.access
	if use == specs.TokenRefresh {
		life = i.refresh
	}
	// jwt.NewNumericDate, three times, without three allocations.
	dates := [3]jwt.NumericDate{{Time: now.Truncate(jwt.TimePrecision)}, {Time: now.Truncate(jwt.TimePrecision)}, {Time: now.Add(life).Truncate(jwt.TimePrecision)}}
	c := claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    i.iss,
			Subject:   sub,
			IssuedAt:  &dates[0],
			NotBefore: &dates[1],
			ExpiresAt: &dates[2],
			ID:        rand.Text(),
		},
		Use: string(use),
		SID: sid,
		Gen: gen,
	}
	expires := c.ExpiresAt.Time
	if shape.noIat {
		c.IssuedAt = nil
	}
	if shape.noExp {
		c.ExpiresAt = nil
	}
	token, keyp := i.signWith(&c)
	out := issued{token: token, jti: c.ID, expires: expires}
	if i.hooks == nil {
		// Signed here with keyp, so it verifies with keyp: the first use of the token (the
		// rotating refresh presents a new one every time) need not decode and verify it again.
		// The time claims are still judged on every use (check).
		cc := c
		i.verified.put(token, keyp, &cc)
	}
	if i.onIssue != nil {
		i.onIssue(out, string(use), sub, sid, gen)
	}
	if i.hooks != nil {
		out.token = i.hooks.wrap(use, out.token)
	}
	return out, nil
}

// sign is jwt.NewWithClaims(i.method, c).SignedString(key) without its reflection: the header
// segment is the same for every token of the issuer, and the claims are appended in the order and
// form encoding/json writes them. The signature is the HMAC golang-jwt's method computes, from a
// pooled HMAC state keyed once per key rather than hmac.New per token (which hashes the key pads
// again each time). TestSignMatchesGolangJWT holds the bytes equal to golang-jwt's. This is most
// of a login's cost (docs/benchmarks.md).
func (i *issuer) sign(c *claims) string {
	token, _ := i.signWith(c)
	return token
}

// signWith is sign, also returning the key it signed with.
func (i *issuer) signWith(c *claims) (string, *[]byte) {
	var scratch [512]byte
	buf := append(scratch[:0], i.header()...)
	buf = append(buf, '.')
	var payload [256]byte
	buf = base64.RawURLEncoding.AppendEncode(buf, appendClaims(payload[:0], c))
	mp := i.macPool()
	mac := mp.pool.Get().(hash.Hash)
	mac.Reset()
	mac.Write(buf)
	var sum [sha512.Size]byte
	sig := mac.Sum(sum[:0])
	mp.pool.Put(mac)
	buf = append(buf, '.')
	buf = base64.RawURLEncoding.AppendEncode(buf, sig)
	return string(buf), mp.key
}

// macPool holds HMAC states keyed with one signing key; a new key (rotate, reload) gets a new pool.
type macPool struct {
	key  *[]byte
	pool sync.Pool
}

func (i *issuer) macPool() *macPool {
	keyp := i.key.Load()
	if mp := i.macs.Load(); mp != nil && mp.key == keyp {
		return mp
	}
	h := i.method.(*jwt.SigningMethodHMAC).Hash // newIssuer accepts HMAC methods only
	key := *keyp
	mp := &macPool{key: keyp}
	mp.pool.New = func() any { return hmac.New(h.New, key) }
	i.macs.Store(mp)
	return mp
}

// header is the encoded JOSE header golang-jwt writes for the issuer's algorithm.
func (i *issuer) header() string {
	if h := i.hdr.Load(); h != nil {
		return *h
	}
	h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"` + i.method.Alg() + `","typ":"JWT"}`))
	i.hdr.Store(&h)
	return h
}

// appendClaims appends c as encoding/json marshals it: RegisteredClaims' members in declaration
// order, empty ones omitted, then use, sid and gen.
func appendClaims(b []byte, c *claims) []byte {
	b = append(b, '{')
	first := true
	str := func(name, v string) {
		if v == "" {
			return
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, '"')
		b = append(b, name...)
		b = append(b, '"', ':')
		b = appendJSONString(b, v)
	}
	num := func(name string, d *jwt.NumericDate) {
		if d == nil {
			return
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, '"')
		b = append(b, name...)
		b = append(b, '"', ':')
		b = strconv.AppendInt(b, d.Unix(), 10)
	}
	str("iss", c.Issuer)
	str("sub", c.Subject)
	if len(c.Audience) > 0 {
		aud, _ := json.Marshal(c.Audience)
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, `"aud":`...)
		b = append(b, aud...)
	}
	num("exp", c.ExpiresAt)
	num("nbf", c.NotBefore)
	num("iat", c.IssuedAt)
	str("jti", c.ID)
	if !first {
		b = append(b, ',')
	}
	b = append(b, `"use":`...)
	b = appendJSONString(b, c.Use)
	b = append(b, `,"sid":`...)
	b = appendJSONString(b, c.SID)
	b = append(b, `,"gen":`...)
	b = strconv.AppendUint(b, c.Gen, 10)
	return append(b, '}')
}

// tokenShape leaves registered claims out of a token; the zero value is what the mock ships.
type tokenShape struct {
	noIat bool // no iat: the response's Date header tells when it was issued (a variant)
	noExp bool // no exp: the token never expires (a defect)
}

// errWrongUse: a valid token of the other kind (an access token presented as a refresh token).
var errWrongUse = errors.New("token is of the wrong kind")

// verify checks signature, algorithm, issuer, time claims and kind. It does not know about
// revocation; callers ask the Store.
func (i *issuer) verify(token string, use specs.TokenKind) (*claims, error) {
	if i.hooks != nil {
		return i.hooks.verify(i, token, use)
	}
	return i.check(token, use, laxity{})
}

// laxity switches checks of verify off; the zero value checks everything, as the mock ships.
// Only deliberate defects (defects_tokens.go) set it.
type laxity struct {
	noSignature bool          // the signature is not verified
	allowNone   bool          // a token with alg "none" is taken unverified
	leeway      time.Duration // exp is judged this much too late
	noExpiry    bool          // exp is not required
	anyUse      bool          // a token of the other kind is taken too
}

// check is verify without hooks, as lax as asked.
func (i *issuer) check(token string, use specs.TokenKind, lax laxity) (*claims, error) {
	var c claims
	keyp := i.key.Load()
	key := *keyp
	keyFunc := func(*jwt.Token) (any, error) { return key, nil }
	var err error
	if lax == (laxity{}) {
		if cached, hit := i.verified.get(token, keyp); hit {
			// Verified before with this key: only what depends on the clock is judged again.
			if err = i.validator.Validate(cached); err == nil {
				c = *cached
			}
		} else if _, err = i.parser.ParseWithClaims(token, &c, keyFunc); err == nil {
			cc := c
			i.verified.put(token, keyp, &cc)
		}
	} else {
		opts := []jwt.ParserOption{jwt.WithIssuer(i.iss), jwt.WithTimeFunc(i.clock.Now), jwt.WithIssuedAt(), jwt.WithLeeway(lax.leeway)}
		if !lax.noExpiry {
			opts = append(opts, jwt.WithExpirationRequired())
		}
		var t *jwt.Token
		t, _, err = jwt.NewParser().ParseUnverified(token, &c)
		switch {
		case err != nil:
		case lax.noSignature || lax.allowNone && t.Method == jwt.SigningMethodNone:
			err = jwt.NewValidator(opts...).Validate(c)
		default:
			opts = append(opts, jwt.WithValidMethods([]string{i.method.Alg()}))
			_, err = jwt.NewParser(opts...).ParseWithClaims(token, &claims{}, keyFunc)
		}
	}
	if err != nil {
		return nil, err
	}
	if c.Use != string(use) && !lax.anyUse {
		return nil, fmt.Errorf("%w: %q, want %q", errWrongUse, c.Use, use)
	}
	if c.Subject == "" || c.SID == "" || c.ID == "" {
		return nil, errors.New("token lacks sub, sid or jti")
	}
	return &c, nil
}
