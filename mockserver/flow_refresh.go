package mockserver

import (
	"time"

	"github.com/authconform/authconform/mockserver/tokens"
	"github.com/authconform/authconform/specs"
)

// refresh exchanges a refresh token for a new access token, and for a new refresh token too when
// the flow rotates, in which case the presented one works exactly once. Garbage, expired, revoked,
// used-up and access tokens are refused as invalidCredential.
func (s *Server) refresh(c *call) error {
	// parse
	f := c.op.flow
	if err := c.checkFixed(); err != nil {
		return err
	}
	if err := c.authenticateClient(); err != nil {
		return err
	}
	raw, found, err := c.read(*f.RefreshToken)
	if err != nil {
		return err
	}
	if !found || raw == "" {
		return fail(specs.FailInvalidCredential, "%s: no refresh token", f.RefreshToken)
	}

	// check
	m := c.op.m
	cl, err := m.tok.Verify(raw, specs.TokenRefresh)
	if err != nil {
		return failf(specs.FailInvalidCredential, err, "%s: %s", f.RefreshToken, tokenProblem(err, specs.TokenRefresh))
	}
	now := s.clock.Now()
	ctx, scope := c.r.Context(), m.spec.Name
	gen, revoked, err := s.store.Check(ctx, scope, cl.Subject, cl.SID)
	if err != nil {
		return err
	}
	if revoked || cl.Gen != gen {
		return fail(specs.FailInvalidCredential, "%s: the session has ended (logout)", f.RefreshToken)
	}
	acc := m.accounts.find(specs.FieldID, cl.Subject)
	if acc == nil || acc.State != specs.StateEnabled {
		return fail(specs.FailInvalidCredential, "%s: the token's account may not sign in", f.RefreshToken)
	}
	if f.Rotate {
		first, err := s.store.UseRefresh(ctx, scope, cl.ID, cl.ExpiresAt.Time)
		if err != nil {
			return err
		}
		if !first && f.OnReuse == specs.ReuseRevokeFamily {
			// A used token presented again means it leaked: end the family, the newest refresh
			// token and the access tokens included (RFC 9700 4.14.2).
			if err := s.store.RevokeSession(ctx, scope, cl.SID, now.Add(max(m.tok.Lifetime(specs.TokenAccess), m.tok.Lifetime(specs.TokenRefresh)))); err != nil {
				return err
			}
			return fail(specs.FailInvalidCredential, "%s: this refresh token has already been used; every token of its login is now revoked", f.RefreshToken)
		}
		if !first {
			return fail(specs.FailInvalidCredential, "%s: this refresh token has already been used", f.RefreshToken)
		}
	}

	// issue
	var toks tokenSet
	for _, t := range f.Tokens {
		if _, done := toks.get(t.Token); done {
			continue
		}
		if t.Token == specs.TokenRefresh && !f.Rotate {
			// Not rotating: hand the same refresh token back where the flow writes one.
			toks.put(t.Token, tokens.Issued{Token: raw, JTI: cl.ID, Expires: cl.ExpiresAt.Time})
			continue
		}
		tok, err := m.tok.Issue(t.Token, acc.ID, cl.SID, cl.Gen)
		if err != nil {
			return err
		}
		toks.put(t.Token, tok)
	}

	// write
	c.writeTokens(f, f.Body.Render(tokenResolver(accountResolver(acc, now.UTC().Format(time.RFC3339)), m.tok)), toks)
	return nil
}
