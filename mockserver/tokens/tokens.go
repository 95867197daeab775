package tokens

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authconform/authconform/mockserver/clock"
	"github.com/authconform/authconform/specs"
)

// Claims are the claims of every token the mock issues. Use tells an access token from a refresh
// token, so neither is accepted in the other's place; SID names the login session, which a logout
// with that session's token revokes; Gen is the account's generation at issue, which a logout
// with a password or an API key moves on (package store).
type Claims struct {
	jwt.RegisteredClaims
	Use string `json:"use"`
	SID string `json:"sid"`
	Gen uint64 `json:"gen"`
}

// Issued is a signed token and what the flows need of it.
type Issued struct {
	Token   string
	JTI     string
	Expires time.Time
}

// Sentinel errors of verification besides golang-jwt's own (jwt.ErrTokenExpired, ...).
var (
	// ErrWrongUse: a valid token of the other kind (an access token presented as a refresh token).
	ErrWrongUse = errors.New("token is of the wrong kind")
	// ErrIncomplete: a valid token without sub, sid or jti, which the mock never issues.
	ErrIncomplete = errors.New("token lacks sub, sid or jti")
)

// Config makes an Issuer.
type Config struct {
	Algorithm string // HS256, HS384, HS512, RS256 or ES256
	Issuer    string // the iss claim written and required
	Key       []byte // the signing key: an HMAC secret, or a PEM private key; nil: a random one, replaced by Rotate
	// Opaque are the token kinds issued as opaque random strings the issuer remembers, not JWTs.
	Opaque map[specs.TokenKind]bool
	// Table remembers the opaque tokens (nil: a table in the Issuer's memory).
	Table Table
	// Share, when set, makes a random key the one every replica of the mock uses: it is given
	// the key the issuer just generated (as Config.Key takes it) and returns the key to use, the
	// one a store kept first. nil: the issuer's own.
	Share   func(fresh []byte) ([]byte, error)
	Access  time.Duration
	Refresh time.Duration // 0 when the spec has no refresh token
	Clock   clock.Clock
}

// Issuer signs and verifies the tokens of one spec. It is safe for concurrent use.
type Issuer struct {
	method jwt.SigningMethod
	// key is the current key; nil until first used when it is a random key pair (RSA, ECDSA),
	// whose generation costs (a 2048-bit RSA key, tens of milliseconds): a mock built and never
	// asked for a token, an idle sandbox, pays nothing. Read it with keys().
	key     atomic.Pointer[keySet]
	keyMu   sync.Mutex // one generation at a time
	pinned  bool       // the config fixed the key; Rotate keeps it
	share   func([]byte) ([]byte, error)
	opaque  *opaqueTokens // kinds issued opaque, and the ones issued; nil when none
	iss     string
	clock   clock.Clock
	access  time.Duration
	refresh time.Duration
	parser  *jwt.Parser
	// validator judges the time claims and the issuer of a token verified before (cache).
	validator *jwt.Validator
	cache     verifiedCache
}

// KeySize is the size of a random signing key: 64 bytes covers HS512's block.
const KeySize = 64

// New prepares an Issuer: HMAC (HS256, HS384, HS512), RSA (RS256) or ECDSA (ES256).
func New(cfg Config) (*Issuer, error) {
	m := jwt.GetSigningMethod(cfg.Algorithm)
	if m == nil || !supported[cfg.Algorithm] {
		return nil, fmt.Errorf("algorithm %q is not one the mock signs with (HS256, HS384, HS512, RS256, ES256)", cfg.Algorithm)
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.New()
	}
	i := &Issuer{
		method: m, pinned: len(cfg.Key) > 0, share: cfg.Share, iss: cfg.Issuer, clock: cfg.Clock, access: cfg.Access, refresh: cfg.Refresh,
		parser: jwt.NewParser(
			jwt.WithValidMethods([]string{m.Alg()}),
			jwt.WithIssuer(cfg.Issuer),
			jwt.WithTimeFunc(cfg.Clock.Now),
			jwt.WithExpirationRequired(),
			jwt.WithIssuedAt(),
		),
		validator: jwt.NewValidator(
			jwt.WithIssuer(cfg.Issuer),
			jwt.WithTimeFunc(cfg.Clock.Now),
			jwt.WithExpirationRequired(),
			jwt.WithIssuedAt(),
		),
	}
	if i.pinned { // else generated when first used
		ks, err := newKeySet(m, cfg.Key)
		if err != nil {
			return nil, err
		}
		i.key.Store(ks)
	}
	if slices.Contains(slices.Collect(maps.Values(cfg.Opaque)), true) {
		table := cfg.Table
		if table == nil {
			table = &memoryTable{}
		}
		i.opaque = &opaqueTokens{kinds: cfg.Opaque, table: table}
	}
	return i, nil
}

// supported are the algorithms the mock signs with.
var supported = map[string]bool{"HS256": true, "HS384": true, "HS512": true, "RS256": true, "ES256": true}

func randomKey() []byte {
	key := make([]byte, KeySize)
	_, _ = rand.Read(key) // never fails (crypto/rand)
	return key
}

// keys is the current key. A random key is made when first used (after New or Rotate): generated
// here, or, with Config.Share, the one the replicas share; only Share can fail.
func (i *Issuer) keys() (*keySet, error) {
	if ks := i.key.Load(); ks != nil {
		return ks, nil
	}
	i.keyMu.Lock()
	defer i.keyMu.Unlock()
	if ks := i.key.Load(); ks != nil {
		return ks, nil
	}
	ks, err := newKeySet(i.method, nil)
	if err != nil { // a generated key does not fail (crypto/rand), and New checked the method
		return nil, err
	}
	if i.share != nil {
		raw, err := i.share(ks.raw)
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(raw, ks.raw) { // another replica's
			if ks, err = newKeySet(i.method, raw); err != nil {
				return nil, fmt.Errorf("the shared signing key: %w", err)
			}
		}
	}
	i.key.Store(ks)
	return ks, nil
}

// Rotate replaces a random key by a new one, which refuses every token issued before, as a
// restart does (a spec may promise that a restart expires tokens). A key pinned by the config
// stays. The new key is made when first used (keys), so with Config.Share it is the one the
// replicas share after a reset of their store.
func (i *Issuer) Rotate() {
	if i.pinned {
		return
	}
	i.keyMu.Lock()
	i.key.Store(nil)
	i.keyMu.Unlock()
	if i.opaque != nil {
		i.opaque.table.Forget()
	}
}

// Pinned reports whether the config fixed the key.
func (i *Issuer) Pinned() bool { return i.pinned }

// TakeKey makes i sign with from's key, when neither key is pinned: a reload keeps the tokens
// issued before it valid.
func (i *Issuer) TakeKey(from *Issuer) {
	if !i.pinned && !from.pinned && i.method == from.method {
		i.key.Store(from.key.Load()) // nil (made when first used) stays nil
		if i.opaque != nil && from.opaque != nil {
			if t, ok := from.opaque.table.(*memoryTable); ok {
				i.opaque.table = t // the same table: tokens issued before a reload stay known
			}
		}
	}
}

// Algorithm is the JWS algorithm the issuer signs with and requires.
func (i *Issuer) Algorithm() string { return i.method.Alg() }

// Name is the iss claim the issuer writes.
func (i *Issuer) Name() string { return i.iss }

// Clock is the issuer's clock.
func (i *Issuer) Clock() clock.Clock { return i.clock }

// Lifetime is how long a token of that kind lives.
func (i *Issuer) Lifetime(use specs.TokenKind) time.Duration {
	if use == specs.TokenRefresh {
		return i.refresh
	}
	return i.access
}

// Keyfunc hands golang-jwt the issuer's current verification key (the HMAC secret, or the public
// key), for decorators that parse with options of their own.
func (i *Issuer) Keyfunc() jwt.Keyfunc {
	return func(*jwt.Token) (any, error) {
		ks, err := i.keys()
		if err != nil {
			return nil, err
		}
		return ks.verify, nil
	}
}

// SigningKey is the issuer's current signing key (the HMAC secret, or the private key), for
// decorators that sign tokens of their own.
func (i *Issuer) SigningKey() (any, error) {
	ks, err := i.keys()
	if err != nil {
		return nil, err
	}
	return ks.sign, nil
}

// Claims are the claims Issue signs for a token of kind use, for subject sub in session sid of
// account generation gen, issued now: iss, sub, exp, nbf, iat, a random jti, use, sid and gen.
func (i *Issuer) Claims(use specs.TokenKind, sub, sid string, gen uint64) Claims {
	now := i.clock.Now().Truncate(time.Second)
	// One allocation for the three dates (jwt.NewNumericDate makes one each).
	d := &[3]jwt.NumericDate{{Time: now.Truncate(jwt.TimePrecision)}, {Time: now.Add(i.Lifetime(use)).Truncate(jwt.TimePrecision)}}
	d[2] = d[0]
	return Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    i.iss,
			Subject:   sub,
			IssuedAt:  &d[0],
			NotBefore: &d[2],
			ExpiresAt: &d[1],
			ID:        rand.Text(),
		},
		Use: string(use),
		SID: sid,
		Gen: gen,
	}
}

// Sign signs claims with the issuer's algorithm and current key (golang-jwt).
func (i *Issuer) Sign(c *Claims) (string, error) {
	token, _, err := i.sign(c)
	return token, err
}

// sign is jwt.NewWithClaims(i.method, c).SignedString(key) with the header segment prepared
// once: SignedString marshals the same header map for every token. The claims are encoded by
// encoding/json and signed by golang-jwt's signing method, as SignedString does
// (TestSignMatchesSignedString).
func (i *Issuer) sign(c *Claims) (string, *keySet, error) {
	keyp, err := i.keys()
	if err != nil {
		return "", nil, err
	}
	payload, err := marshalClaims(c)
	if err != nil {
		return "", keyp, err
	}
	buf := make([]byte, 0, len(keyp.header)+1+base64.RawURLEncoding.EncodedLen(len(payload))+1+128)
	buf = append(buf, keyp.header...)
	buf = append(buf, '.')
	buf = base64.RawURLEncoding.AppendEncode(buf, payload)
	sig, err := i.method.Sign(string(buf), keyp.sign)
	if err != nil {
		return "", keyp, err
	}
	buf = append(buf, '.')
	buf = base64.RawURLEncoding.AppendEncode(buf, sig)
	return string(buf), keyp, nil
}

// wireClaims is Claims as encoding/json writes them when every time claim is set and there is no
// audience (all the mock issues; a defect may sign other claims, which take json.Marshal(c)):
// the same members in the same order, the three times as the integers jwt.NumericDate writes at
// jwt.TimePrecision = time.Second. Marshalling Claims itself calls each date's MarshalJSON, which
// formats through strings, and encoding/json then scans and compacts each result again
// (BenchmarkIssue: 23 allocations a token before, 18 with this, 16 with Claims' dates in one
// allocation). The bytes are the same (TestSignMatchesSignedString, also for a defect's claims).
type wireClaims struct {
	Issuer    string `json:"iss,omitempty"`
	Subject   string `json:"sub,omitempty"`
	ExpiresAt int64  `json:"exp"`
	NotBefore int64  `json:"nbf"`
	IssuedAt  int64  `json:"iat"`
	ID        string `json:"jti,omitempty"`
	Use       string `json:"use"`
	SID       string `json:"sid"`
	Gen       uint64 `json:"gen"`
}

// marshalClaims is json.Marshal(c), through wireClaims where that writes the same bytes.
func marshalClaims(c *Claims) ([]byte, error) {
	if jwt.TimePrecision != time.Second || len(c.Audience) > 0 || c.ExpiresAt == nil || c.NotBefore == nil || c.IssuedAt == nil {
		return json.Marshal(c)
	}
	return json.Marshal(&wireClaims{
		Issuer: c.Issuer, Subject: c.Subject, ID: c.ID, Use: c.Use, SID: c.SID, Gen: c.Gen,
		ExpiresAt: c.ExpiresAt.Truncate(time.Second).Unix(),
		NotBefore: c.NotBefore.Truncate(time.Second).Unix(),
		IssuedAt:  c.IssuedAt.Truncate(time.Second).Unix(),
	})
}

// Issue signs a token of kind use for subject sub in session sid of account generation gen.
func (i *Issuer) Issue(use specs.TokenKind, sub, sid string, gen uint64) (Issued, error) {
	c := i.Claims(use, sub, sid, gen)
	if i.opaque.issues(use) {
		return i.opaque.issue(&c)
	}
	token, keyp, err := i.sign(&c)
	if err != nil {
		return Issued{}, err
	}
	// Signed here with keyp, so it verifies with keyp: the first use of the token (the rotating
	// refresh presents a new one every time) need not decode and verify it again. The time claims
	// are still judged on every use.
	i.cache.put(token, keyp, &c)
	return Issued{Token: token, JTI: c.ID, Expires: c.ExpiresAt.Time}, nil
}

// Verify checks signature, algorithm, issuer, time claims and kind. It does not know about
// revocation; callers ask the store.
func (i *Issuer) Verify(token string, use specs.TokenKind) (*Claims, error) {
	if i.opaque.issues(use) {
		return i.opaque.verify(token, use, i.validator)
	}
	var c Claims
	keyp, err := i.keys()
	if err != nil {
		return nil, err
	}
	if cached, hit := i.cache.get(token, keyp); hit {
		// Verified before with this key: only what depends on the clock is judged again.
		if err = i.validator.Validate(cached); err == nil {
			c = *cached
		}
	} else {
		if _, err = i.parser.ParseWithClaims(token, &c, keyp.keyfunc); err == nil {
			cc := c
			i.cache.put(token, keyp, &cc)
		}
	}
	if err != nil {
		return nil, err
	}
	return CheckUse(&c, use)
}

// CheckUse is what Verify asks of verified claims: the kind, and sub, sid and jti present.
func CheckUse(c *Claims, use specs.TokenKind) (*Claims, error) {
	if c.Use != string(use) {
		return nil, fmt.Errorf("%w: %q, want %q", ErrWrongUse, c.Use, use)
	}
	return CheckComplete(c)
}

// CheckComplete refuses claims without sub, sid or jti.
func CheckComplete(c *Claims) (*Claims, error) {
	if c.Subject == "" || c.SID == "" || c.ID == "" {
		return nil, ErrIncomplete
	}
	return c, nil
}
