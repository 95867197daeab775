// Package tokens issues and verifies the mock's JWTs through golang-jwt: one Issuer per served
// spec, with its own key, algorithm (HMAC, pinned when verifying) and issuer claim, so a token of
// one spec is refused by another; the clock is injected (jwt.WithTimeFunc).
//
// Signing is golang-jwt's own (jwt.NewWithClaims(...).SignedString). Verifying is golang-jwt's
// parser, with one addition: the claims of a token that verified are remembered per exact token
// and key (a client presents the same token on every call), and a hit judges again everything
// that depends on the clock with golang-jwt's Validator. What a hit skips is the signature and the
// decoding, which depend only on the token and the key.
//
// The package knows nothing of revocation (package store) or of what a request presented; the
// mock's flows ask both. Decorators (dev tools, deliberate defects) wrap an Issuer from outside:
// Claims and Sign let them issue tokens of their own shape with the issuer's key, and Keyfunc lets
// them verify with it.
package tokens
