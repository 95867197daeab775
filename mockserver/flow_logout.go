package mockserver

import (
	"time"

	"github.com/authconform/authconform/specs"
)

// logout revokes what the caller presented. With an access token it ends that token's session,
// which takes the session's refresh token with it (or, when the flow says endsRefresh: false, that
// access token alone, by its jti); with a password or an API key, which belong to no session, it
// ends every live session of the account (a spec's decision, e.g. on logout scope).
func (s *Server) logout(c *call) error {
	m := c.op.m
	ctx, scope := c.r.Context(), m.spec.Name
	var err error
	switch {
	case c.who.via == specs.CredAccessToken && !c.op.flow.EndsRefresh:
		err = s.store.RevokeSession(ctx, scope, c.who.jti, s.clock.Now().Add(m.tok.Lifetime(specs.TokenAccess)))
	case c.who.via == specs.CredAccessToken:
		err = s.store.RevokeSession(ctx, scope, c.who.sid, s.clock.Now().Add(max(m.tok.Lifetime(specs.TokenAccess), m.tok.Lifetime(specs.TokenRefresh))))
	default:
		err = s.store.RevokeAccount(ctx, scope, c.who.account.ID)
	}
	if err != nil {
		return err
	}
	c.reply(c.op.flow.Status, c.successBody(c.who.account))
	return nil
}

// successBody is the flow's body template rendered for acc, else the documented example.
func (c *call) successBody(acc *specs.Account) any {
	if v := c.op.flow.Body.Render(accountResolver(acc, c.now())); v != nil {
		return prune(v)
	}
	return c.op.success
}

func (c *call) now() string { return c.op.m.iss.Clock().Now().UTC().Format(time.RFC3339) }
