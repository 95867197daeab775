package suites

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"strings"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	. "github.com/onsi/ginkgo/v2"

	"github.com/authconform/authconform/specs"
)

// jwksOp is the spec's operation publishing its public keys, nil when it has none.
func (r *run) jwksOp() *specs.Operation {
	if ops := r.spec.OperationsOf(specs.KindJWKS); len(ops) > 0 {
		return ops[0]
	}
	return nil
}

// publishedKeys fetches the JWKS and loads it with keyfunc, as a relying party would; it fails the
// check when the set does not load and skips when the spec publishes none.
func (r *run) publishedKeys(ctx context.Context, rule string) (keyfunc.Keyfunc, *response) {
	op := r.jwksOp()
	if op == nil {
		skipf("the spec publishes no JWKS (no operation of kind jwks)")
	}
	resp := r.send(ctx, &request{op: op})
	r.expectAccepted(resp, rule+" (the JWKS at "+op.Key()+")")
	kf, err := keyfunc.NewJWKSetJSON(json.RawMessage(resp.body))
	if err != nil {
		failf("%s", r.mismatch(resp, "a JSON Web Key Set (RFC 7517) a JWKS client loads: "+err.Error(), rule))
	}
	return kf, resp
}

// jwksChecks verify tokens with the published keys, and attack a server with what a JWKS gives
// an attacker: the public key as an HMAC secret, and kid values that name something else.
func jwksChecks(g *group) {
	r := g.r
	g.it("JWT-05", func(ctx SpecContext) {
		rule := req("JWT-05").Rule
		kf, _ := r.publishedKeys(ctx, rule)
		s := r.mustLogin(ctx, roleValid)
		if strings.Count(s.access, ".") != 2 {
			skipf("the access token is opaque; there is no signature to verify")
		}
		if _, err := jwt.Parse(s.access, kf.Keyfunc, jwt.WithValidMethods([]string{r.spec.Tokens.Algorithm}), jwt.WithoutClaimsValidation()); err != nil {
			failf("expected the access token to verify with a key of the published JWKS (%s, by its kid); got %v\nrule: %s", r.spec.Tokens.Algorithm, err, rule)
		}
	})
	forged := func(ctx SpecContext, id string, needKeys bool, build func(tok string, kf keyfunc.Keyfunc) []string) {
		rule := req(id).Rule
		if g.op == nil {
			r.needProbe()
		}
		var kf keyfunc.Keyfunc
		if needKeys {
			kf, _ = r.publishedKeys(ctx, rule)
		}
		s := r.mustLogin(ctx, roleValid)
		if _, _, why := r.authFor(g.op, *s.bearer()); why != "" {
			skipf("%s takes no access token: %s", g.op.Key(), why)
		}
		if strings.Count(s.access, ".") != 2 {
			skipf("the access token is not a JWT; JWT attacks do not apply")
		}
		r.expectAccepted(r.authedCall(ctx, g.op, s), rule+" (control: the genuine token)")
		for _, f := range build(s.access, kf) {
			r.red.add(f)
			cr := s.bearer()
			cr.value = f
			r.expectRefused(ctx, r.mustCall(ctx, g.op, cr, nil), specs.FailInvalidCredential, rule)
		}
	}
	g.it("JWT-06", func(ctx SpecContext) {
		forged(ctx, "JWT-06", true, func(tok string, kf keyfunc.Keyfunc) []string {
			h, p := jwtParts(tok)
			key, err := kf.Keyfunc(&jwt.Token{Header: h})
			if err != nil {
				failf("the access token's kid %v names no key of the published JWKS: %v", h["kid"], err)
			}
			der, err := x509.MarshalPKIXPublicKey(key)
			if err != nil {
				skipf("the published key is not one x509 encodes: %v", err)
			}
			pemKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
			h["alg"] = "HS256"
			var out []string
			for _, secret := range [][]byte{pemKey, []byte(strings.TrimSpace(string(pemKey))), der} {
				out = append(out, hs256(h, p, secret))
			}
			return out
		})
	})
	g.it("JWT-07", func(ctx SpecContext) {
		forged(ctx, "JWT-07", false, func(tok string, _ keyfunc.Keyfunc) []string {
			h, p := jwtParts(tok)
			var out []string
			for _, kid := range []string{"../../../../../../../dev/null", "authconform-unknown-kid"} {
				h["kid"], h["alg"] = kid, "HS256"
				out = append(out, hs256(h, p, nil)) // /dev/null reads as an empty secret
			}
			return out
		})
	})
}

// jwtParts decodes a JWT's header and payload.
func jwtParts(tok string) (h, p map[string]any) {
	parts := strings.Split(tok, ".")
	hb, _ := base64.RawURLEncoding.DecodeString(parts[0])
	pb, _ := base64.RawURLEncoding.DecodeString(parts[1])
	_ = json.Unmarshal(hb, &h)
	_ = json.Unmarshal(pb, &p)
	if h == nil || p == nil {
		skipf("the access token is not a JWT; JWT attacks do not apply")
	}
	return h, p
}

// hs256 signs header and payload with HMAC-SHA256 under secret, as an attacker forging a token.
func hs256(h, p map[string]any, secret []byte) string {
	hb, _ := json.Marshal(h)
	pb, _ := json.Marshal(p)
	in := base64.RawURLEncoding.EncodeToString(hb) + "." + base64.RawURLEncoding.EncodeToString(pb)
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(in))
	return in + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}
