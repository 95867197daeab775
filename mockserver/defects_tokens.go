package mockserver

import (
	"encoding/base64"
	"strings"

	"github.com/authconform/authconform/specs"
)

// tokenHooks are the mutations of one spec's issuer: claims left out when signing (shape), checks
// switched off when verifying (lax), and tokens handed out opaque (the JWT wrapped so that it no
// longer looks like one; verify unwraps it). The signing and checking stay in tokens.go.
type tokenHooks struct {
	shape  map[specs.TokenKind]tokenShape
	lax    map[specs.TokenKind]laxity // by the kind of token expected
	opaque map[specs.TokenKind]bool
}

// opaquePrefix starts a wrapped token: no dots, so no client can read it as a JWT.
const opaquePrefix = "opq_"

func (h *tokenHooks) wrap(use specs.TokenKind, token string) string {
	if !h.opaque[use] {
		return token
	}
	return opaquePrefix + base64.RawURLEncoding.EncodeToString([]byte(token))
}

func (h *tokenHooks) verify(i *issuer, token string, use specs.TokenKind) (*claims, error) {
	if rest, ok := strings.CutPrefix(token, opaquePrefix); ok {
		if b, err := base64.RawURLEncoding.DecodeString(rest); err == nil {
			token = string(b)
		}
	}
	return i.check(token, use, h.lax[use])
}

// tokens returns the token hooks of m's issuer, installing them.
func (mu *mutator) tokens(m *mount) *tokenHooks {
	h := mu.hooks(m)
	if h.tokens == nil {
		h.tokens = &tokenHooks{shape: map[specs.TokenKind]tokenShape{}, lax: map[specs.TokenKind]laxity{}, opaque: map[specs.TokenKind]bool{}}
		m.iss.hooks = h.tokens
	}
	return h.tokens
}

// relax switches verification checks off for tokens expected to be of kind use.
func (mu *mutator) relax(m *mount, use specs.TokenKind, change func(*laxity)) {
	t := mu.tokens(m)
	l := t.lax[use]
	change(&l)
	t.lax[use] = l
}

// reshape changes the claims of issued tokens of kind use.
func (mu *mutator) reshape(m *mount, use specs.TokenKind, change func(*tokenShape)) {
	t := mu.tokens(m)
	s := t.shape[use]
	change(&s)
	t.shape[use] = s
}
