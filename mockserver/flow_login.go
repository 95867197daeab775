package mockserver

import (
	"crypto/rand"
	"time"

	"github.com/authconform/authconform/specs"
)

// login reads the credentials where the flow says, finds the account, checks its secrets and
// state, issues tokens and writes them to every location the flow names.
func (s *Server) login(c *call) error {
	// parse
	f := c.op.flow
	given := make(map[string]string, len(f.Credentials))
	for _, cr := range f.Credentials {
		v, found, err := c.read(cr.Location)
		if err != nil {
			return err
		}
		if !found {
			return fail(specs.FailInvalidRequest, "%s: required, expected the %s", cr.Location, cr.Field)
		}
		given[cr.Field] = v
	}

	// check
	m := c.op.m
	var acc *specs.Account
	for _, cr := range f.Credentials {
		if cr.Secret() {
			continue
		}
		found := m.accounts.find(cr.Field, given[cr.Field])
		if found == nil || (acc != nil && found != acc) {
			return fail(specs.FailUnknownAccount, "no account with this %s", cr.Field)
		}
		acc = found
	}
	if acc == nil { // only secrets: an API key names its owner
		if key, ok := given[specs.FieldAPIKey]; ok {
			acc = s.apiKeyOwner(m, key)
		}
		if acc == nil {
			return fail(specs.FailUnknownAccount, "no account with these credentials")
		}
	}
	for _, cr := range f.Credentials {
		switch cr.Field {
		case specs.FieldPassword:
			if !secretEqual(given[cr.Field], acc.Password) || acc.Password == "" {
				return fail(specs.FailBadCredentials, "wrong username or password")
			}
		case specs.FieldAPIKey:
			if s.apiKeyOwner(m, given[cr.Field]) != acc {
				return fail(specs.FailBadCredentials, "wrong API key")
			}
		}
	}
	c.w.account = acc.ID
	switch acc.State {
	case specs.StateDisabled:
		return fail(specs.FailAccountDisabled, "the account is disabled")
	case specs.StatePasswordExpired:
		return fail(specs.FailPasswordExpired, "the account's password has expired")
	}

	// issue
	now := s.clock.Now()
	toks, err := s.issueTokens(m, f, acc.ID, rand.Text(), s.store.Generation(m.spec.Name, acc.ID))
	if err != nil {
		return err
	}

	// write
	body := f.Body.Render(accountResolver(acc, now.UTC().Format(time.RFC3339)))
	c.writeTokens(f, body, toks)
	return nil
}

// issueTokens signs the kinds of token the flow writes, for one session.
func (s *Server) issueTokens(m *mount, f *specs.Flow, sub, sid string, gen uint64) (map[specs.TokenKind]issued, error) {
	toks := make(map[specs.TokenKind]issued, 2)
	for _, t := range f.Tokens {
		if _, done := toks[t.Token]; done {
			continue // the same token goes to every location of its kind (header and body identical)
		}
		tok, err := m.iss.issue(t.Token, sub, sid, gen)
		if err != nil {
			return nil, err
		}
		toks[t.Token] = tok
	}
	return toks, nil
}

// writeTokens answers a login or refresh: the rendered body (an object) with the tokens merged in
// at their pointers, header tokens in their headers, and no-store caching.
func (c *call) writeTokens(f *specs.Flow, rendered any, toks map[specs.TokenKind]issued) {
	body, _ := prune(rendered).(map[string]any)
	if body == nil {
		body = map[string]any{}
	}
	h := c.w.Header()
	for _, t := range f.Tokens {
		tok, ok := toks[t.Token]
		if !ok {
			continue
		}
		switch t.In {
		case specs.InHeader:
			h.Set(t.Name, tok.token)
		case specs.InBody:
			specs.SetPointer(body, t.Pointer, tok.token)
		}
	}
	noStore(c.w)
	c.reply(f.Status, body)
}
