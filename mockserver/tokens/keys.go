package tokens

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"strings"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"
)

// keySet is the key an issuer signs and verifies with: an HMAC secret, or an RSA or ECDSA key
// pair whose public half the JWKS publishes under kid.
type keySet struct {
	sign   any    // []byte, *rsa.PrivateKey or *ecdsa.PrivateKey
	verify any    // []byte, *rsa.PublicKey or *ecdsa.PublicKey
	kid    string // asymmetric keys: the key's id, written in every token's header; "" for HMAC
	raw    []byte // the key as Config.Key takes it: the HMAC secret, or the private key in PEM
	header string // the encoded JOSE header of every token: alg, typ (and kid)
}

// RSAKeyBits is the size of a generated RSA key.
const RSAKeyBits = 2048

// newKeySet prepares the key for method: raw is an HMAC secret, or a PEM private key (PKCS#1,
// SEC 1 or PKCS#8) for RS/ES; nil generates a random one.
func newKeySet(method jwt.SigningMethod, raw []byte) (*keySet, error) {
	ks := &keySet{}
	switch method.(type) {
	case *jwt.SigningMethodHMAC:
		if raw == nil {
			raw = randomKey()
		}
		ks.sign, ks.verify = raw, raw
	case *jwt.SigningMethodRSA:
		var k *rsa.PrivateKey
		var err error
		if raw == nil {
			k, err = rsa.GenerateKey(rand.Reader, RSAKeyBits)
		} else {
			k, err = jwt.ParseRSAPrivateKeyFromPEM(raw)
		}
		if err != nil {
			return nil, fmt.Errorf("the %s signing key: %w", method.Alg(), err)
		}
		ks.sign, ks.verify = k, &k.PublicKey
	case *jwt.SigningMethodECDSA:
		var k *ecdsa.PrivateKey
		var err error
		if raw == nil {
			k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		} else {
			k, err = jwt.ParseECPrivateKeyFromPEM(raw)
		}
		if err != nil {
			return nil, fmt.Errorf("the %s signing key: %w", method.Alg(), err)
		}
		if k.Curve != elliptic.P256() {
			return nil, fmt.Errorf("the %s signing key is on %s; ES256 signs with P-256", method.Alg(), k.Curve.Params().Name)
		}
		ks.sign, ks.verify = k, &k.PublicKey
	default:
		return nil, fmt.Errorf("algorithm %q is not one the mock signs with", method.Alg())
	}
	ks.raw = raw
	if ks.raw == nil { // generated: PEM (PKCS #8) for a store to share
		der, err := x509.MarshalPKCS8PrivateKey(ks.sign)
		if err != nil {
			return nil, err
		}
		ks.raw = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	}
	t := jwt.New(method)
	if _, symmetric := ks.sign.([]byte); !symmetric {
		der, err := x509.MarshalPKIXPublicKey(ks.verify)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(der)
		ks.kid = base64.RawURLEncoding.EncodeToString(sum[:12])
		t.Header["kid"] = ks.kid
	}
	h, err := t.SigningString() // header "." encoded empty claims
	if err != nil {
		return nil, err
	}
	ks.header, _, _ = strings.Cut(h, ".")
	return ks, nil
}

// Asymmetric reports whether the issuer signs with a key pair, whose public half JWKS publishes.
func (i *Issuer) Asymmetric() bool {
	_, hmac := i.method.(*jwt.SigningMethodHMAC)
	return !hmac
}

// JWKS is the JSON Web Key Set (RFC 7517) of the issuer's current public key: {"keys": [...]},
// with kid, alg and use; an empty set for an HMAC issuer, whose key is secret.
func (i *Issuer) JWKS() (json.RawMessage, error) {
	ks, err := i.keys()
	if err != nil {
		return nil, err
	}
	set := jwkset.JWKSMarshal{Keys: []jwkset.JWKMarshal{}}
	if ks.kid != "" {
		jwk, err := jwkset.NewJWKFromKey(ks.verify, jwkset.JWKOptions{Metadata: jwkset.JWKMetadataOptions{
			ALG: jwkset.ALG(i.method.Alg()), KID: ks.kid, USE: jwkset.UseSig,
		}})
		if err != nil {
			return nil, err
		}
		set.Keys = append(set.Keys, jwk.Marshal())
	}
	return json.Marshal(set)
}

// keyfunc hands golang-jwt the verification key, refusing a token whose header names another kid
// (a token of a key before a reset, or a kid naming a file or a URL to trick a careless server).
func (ks *keySet) keyfunc(t *jwt.Token) (any, error) {
	if kid, ok := t.Header["kid"]; ok && kid != ks.kid {
		return nil, fmt.Errorf("%w: kid %v is not the issuer's", jwt.ErrTokenUnverifiable, kid)
	}
	return ks.verify, nil
}
