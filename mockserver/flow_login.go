package mockserver

import (
	"crypto/rand"
	"strings"
	"time"

	"github.com/authconform/authconform/mockserver/tokens"
	"github.com/authconform/authconform/specs"
)

// login reads the credentials where the flow says, finds the account, checks its secrets and
// state, issues tokens and writes them to every location the flow names.
func (s *Server) login(c *call) error {
	// parse
	f := c.op.flow
	if err := c.checkFixed(); err != nil {
		return err
	}
	if err := c.authenticateClient(); err != nil {
		return err
	}
	var buf [4]string
	given := buf[:0] // given[i] is the value of f.Credentials[i]
	for _, cr := range f.Credentials {
		v, found, err := c.read(cr.Location)
		if err != nil {
			return err
		}
		if !found {
			return fail(specs.FailInvalidRequest, "%s: required, expected the %s", cr.Location, cr.Field)
		}
		given = append(given, v)
	}

	// check
	m, accts := c.op.m, c.op.accounts()
	var acc *specs.Account
	for i, cr := range f.Credentials {
		if cr.Secret() {
			continue
		}
		found := accts.find(cr.Field, given[i])
		if found == nil || (acc != nil && found != acc) {
			return fail(specs.FailUnknownAccount, "no account with this %s", cr.Field)
		}
		acc = found
	}
	ctx := c.r.Context()
	if acc == nil { // only secrets: an API key names its owner
		for i, cr := range f.Credentials {
			if cr.Field == specs.FieldAPIKey {
				owner, err := s.apiKeyOwner(ctx, m.spec.Name, accts, given[i])
				if err != nil {
					return err
				}
				acc = owner
				break
			}
		}
		if acc == nil {
			return fail(specs.FailUnknownAccount, "no account with these credentials")
		}
	}
	for i, cr := range f.Credentials {
		switch {
		case cr.Field == specs.FieldAPIKey:
			owner, err := s.apiKeyOwner(ctx, m.spec.Name, accts, given[i])
			if err != nil {
				return err
			}
			if owner != acc {
				return fail(specs.FailBadCredentials, "wrong API key")
			}
		case cr.Secret():
			if want := acc.Fields[cr.Field]; !secretEqual(given[i], want) || want == "" {
				return fail(specs.FailBadCredentials, "wrong %s", credentialWords(f))
			}
		}
	}
	c.w.account, c.acct = acc.ID, acc
	switch acc.State {
	case specs.StateEnabled:
	case specs.StateDisabled:
		return fail(specs.FailAccountDisabled, "the account is disabled")
	case specs.StatePasswordExpired:
		return fail(specs.FailPasswordExpired, "the account's password has expired")
	default:
		return fail(m.spec.StateFailure(acc.State), "the account is %s", acc.State)
	}

	// issue
	now := s.clock.Now()
	gen, err := s.store.Generation(ctx, m.spec.Name, acc.ID)
	if err != nil {
		return err
	}
	toks, err := s.issueTokens(m, f, acc.ID, rand.Text(), gen)
	if err != nil {
		return err
	}

	// write
	body := f.Body.Render(tokenResolver(accountResolver(acc, now.UTC().Format(time.RFC3339)), m.tok))
	c.writeTokens(f, body, toks)
	return nil
}

// tokenSet is what a login or refresh answers with: at most one token of each kind, written to
// every location of its kind (header and body identical). Indexed by kind, no map; an issued token
// is never empty, so an empty one is a kind not issued.
type tokenSet [2]tokens.Issued

func kindIndex(kind specs.TokenKind) int {
	if kind == specs.TokenRefresh {
		return 1
	}
	return 0
}

// get returns the token of a kind, if the set has one.
func (ts *tokenSet) get(kind specs.TokenKind) (tokens.Issued, bool) {
	t := ts[kindIndex(kind)]
	return t, t.Token != ""
}

// put sets the token of a kind.
func (ts *tokenSet) put(kind specs.TokenKind, t tokens.Issued) { ts[kindIndex(kind)] = t }

// issueTokens signs the kinds of token the flow writes, for one session.
func (s *Server) issueTokens(m *mount, f *specs.Flow, sub, sid string, gen uint64) (tokenSet, error) {
	var toks tokenSet
	for _, t := range f.Tokens {
		if _, done := toks.get(t.Token); done {
			continue
		}
		tok, err := m.tok.Issue(t.Token, sub, sid, gen)
		if err != nil {
			return tokenSet{}, err
		}
		toks.put(t.Token, tok)
	}
	return toks, nil
}

// writeTokens answers a login or refresh: the rendered body (an object) with the tokens merged in
// at their pointers, header tokens in their headers, and no-store caching.
func (c *call) writeTokens(f *specs.Flow, rendered any, toks tokenSet) {
	body, _ := prune(rendered).(map[string]any)
	if body == nil {
		body = map[string]any{}
	}
	h := c.w.Header()
	for _, t := range f.Tokens {
		tok, ok := toks.get(t.Token)
		if !ok {
			continue
		}
		switch t.In {
		case specs.InHeader:
			h.Set(t.Name, tok.Token)
		case specs.InBody:
			specs.SetPointer(body, t.Pointer, tok.Token)
		}
	}
	noStore(c.w)
	c.reply(f.Status, body)
}

// credentialWords names a login's credentials for a refusal: "username or password".
func credentialWords(f *specs.Flow) string {
	var names []string
	for _, c := range f.Credentials {
		if c.Field != specs.FieldAPIKey {
			names = append(names, c.Field)
		}
	}
	return strings.Join(names, " or ")
}
