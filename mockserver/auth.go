package mockserver

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authconform/authconform/mockserver/tokens"
	"github.com/authconform/authconform/specs"
)

// principal is who a protected call acts for, and how it proved it.
type principal struct {
	account *specs.Account
	via     specs.CredentialKind
	sid     string // the session of an access token
	jti     string // the id of an access token
}

// authenticate follows the operation's security: one alternative must pass, with all its schemes.
// A scheme's x-authconform-credential says what its value may be (accepts), which account field a
// header must equal (binds), or which account the caller acts as (impersonates). When no
// alternative passes, the most telling failure wins: tenant mismatch, then invalid, then missing.
func (s *Server) authenticate(c *call) (*principal, error) {
	var best *failure
	rank := func(f *failure) int {
		switch f.name {
		case specs.FailTenantMismatch, specs.FailBoundMissing, specs.FailBoundMismatch:
			return 3
		case specs.FailInvalidCredential:
			return 2
		}
		return 1
	}
	for _, alt := range c.op.op.Security {
		p, err := s.tryAlternative(c, alt)
		if err == nil {
			return p, nil
		}
		var f *failure
		if !errors.As(err, &f) {
			return nil, err // the store failed: an internal error, not a refusal
		}
		if best == nil || rank(f) > rank(best) {
			best = f
		}
	}
	if best == nil || best.name == specs.FailMissingCredential {
		return nil, fail(specs.FailMissingCredential, "%s", c.op.missing)
	}
	return nil, best
}

// tryAlternative authenticates with one alternative of the operation's security: a principal, a
// *failure saying why not, or another error when the store failed.
func (s *Server) tryAlternative(c *call, alt specs.SecurityAlt) (*principal, error) {
	var p *principal
	for _, sc := range alt {
		if len(sc.Accepts) == 0 {
			continue
		}
		raw, present := credentialValue(c, sc)
		if !present {
			return nil, fail(specs.FailMissingCredential, "no %s", describeScheme(sc))
		}
		got, err := s.checkCredential(c, sc, raw)
		if err != nil {
			return nil, err
		}
		if p != nil && p.account != got.account {
			return nil, fail(specs.FailInvalidCredential, "the credentials name different accounts")
		}
		p = got
	}
	if p == nil {
		return nil, fail(specs.FailMissingCredential, "no credential")
	}
	for _, sc := range alt {
		switch {
		case sc.Binds != "":
			v, present := credentialValue(c, sc)
			want, has := fieldString(p.account, sc.Binds)
			if !present {
				return nil, fail(specs.FailBoundMissing, "%s is required with this credential", describeScheme(sc))
			}
			if !has || !secretEqual(v, want) {
				return nil, fail(specs.FailBoundMismatch, "%s does not match the credential's %s", describeScheme(sc), sc.Binds)
			}
		case sc.Impersonates != "":
			v, present := credentialValue(c, sc)
			if !present {
				if sc.Optional {
					continue
				}
				return nil, fail(specs.FailBoundMissing, "header %s is required with this credential", sc.Header)
			}
			target := c.op.m.accounts.find(sc.Impersonates, v)
			if target == nil || target.State != specs.StateEnabled {
				return nil, fail(specs.FailInvalidCredential, "header %s names no account that may be impersonated", sc.Header)
			}
			p = &principal{account: target, via: p.via}
		}
	}
	return p, nil
}

// credentialValue reads a scheme's value. For http schemes the Authorization header must carry
// the scheme's own prefix (case-insensitive); a bearer scheme with bearerPrefix optional also
// takes the raw token, and one with bearerPrefix none takes the raw token only.
func credentialValue(c *call, sc *specs.Scheme) (string, bool) {
	var v string
	if sc.In == specs.InQuery {
		v = c.r.URL.Query().Get(sc.Header)
	} else {
		v = headerValue(c.r.Header, sc.Header)
	}
	v = strings.TrimSpace(v)
	if v == "" {
		return "", false
	}
	if sc.Type != "http" {
		return v, true
	}
	prefix, rest, hasSpace := strings.Cut(v, " ")
	switch {
	case sc.BearerPrefix == specs.PrefixNone:
		return v, !hasSpace
	case hasSpace && strings.EqualFold(prefix, sc.HTTPScheme):
		rest = strings.TrimSpace(rest)
		return rest, rest != ""
	case sc.BearerPrefix == specs.PrefixOptional && !hasSpace:
		return v, true
	}
	return "", false
}

func describeScheme(sc *specs.Scheme) string {
	switch {
	case sc.IsBasic():
		return "Authorization: Basic"
	case sc.IsBearer() && sc.BearerPrefix == specs.PrefixNone:
		return "Authorization: <token> (the raw token, without Bearer)"
	case sc.IsBearer():
		return "Authorization: Bearer"
	case sc.In == specs.InQuery:
		return "query parameter " + sc.Header
	}
	return "header " + sc.Header
}

// checkCredential checks a presented value against what the scheme accepts: a principal, a
// *failure, or another error when the store failed.
func (s *Server) checkCredential(c *call, sc *specs.Scheme, raw string) (*principal, error) {
	m := c.op.m
	where := describeScheme(sc)
	if sc.AcceptsKind(specs.CredPassword) {
		p, f := s.checkBasic(m, raw, where)
		if f != nil {
			return nil, f
		}
		return p, nil
	}
	if sc.AcceptsKind(specs.CredAPIKey) {
		acc, err := s.apiKeyOwner(c.r.Context(), m.spec.Name, m.accounts, raw)
		if err != nil {
			return nil, err
		}
		if acc != nil {
			if acc.State != specs.StateEnabled {
				return nil, fail(specs.FailInvalidCredential, "%s: the key's account may not sign in", where)
			}
			return &principal{account: acc, via: specs.CredAPIKey}, nil
		}
		if !sc.AcceptsKind(specs.CredAccessToken) || strings.HasPrefix(raw, keyPrefix) {
			// A created key has the prefix: say so rather than "not a JWT" for a deleted one.
			return nil, fail(specs.FailInvalidCredential, "%s: not a valid API key (unknown, or deleted)", where)
		}
	}
	if sc.AcceptsKind(specs.CredAccessToken) {
		cl, err := m.tok.Verify(raw, specs.TokenAccess)
		if err != nil {
			return nil, failf(specs.FailInvalidCredential, err, "%s: %s", where, tokenProblem(err, specs.TokenAccess))
		}
		revoked, err := s.revoked(c.r.Context(), m, cl)
		if err != nil {
			return nil, err
		}
		if revoked {
			return nil, fail(specs.FailInvalidCredential, "%s: the token has been revoked (logout)", where)
		}
		acc := m.accounts.find(specs.FieldID, cl.Subject)
		if acc == nil || acc.State != specs.StateEnabled {
			return nil, fail(specs.FailInvalidCredential, "%s: the token's account may not sign in", where)
		}
		return &principal{account: acc, via: specs.CredAccessToken, sid: cl.SID, jti: cl.ID}, nil
	}
	return nil, fail(specs.FailInvalidCredential, "%s: not accepted", where)
}

func (s *Server) checkBasic(m *mount, raw, where string) (*principal, *failure) {
	dec, err := base64.StdEncoding.DecodeString(raw)
	if err != nil {
		return nil, failf(specs.FailInvalidCredential, err, "%s: not base64 of user:password", where)
	}
	user, pass, ok := strings.Cut(string(dec), ":")
	if !ok {
		return nil, fail(specs.FailInvalidCredential, "%s: not base64 of user:password", where)
	}
	acc := m.accounts.find(specs.FieldUsername, user)
	if acc == nil {
		acc = m.accounts.find(specs.FieldID, user)
	}
	// Compare even for an unknown user, so both refusals take the same time.
	want := ""
	if acc != nil {
		want = acc.Value(specs.FieldPassword)
	}
	if !secretEqual(pass, want) || acc == nil || want == "" {
		return nil, fail(specs.FailInvalidCredential, "%s: wrong username or password", where)
	}
	if acc.State != specs.StateEnabled {
		return nil, fail(specs.FailInvalidCredential, "%s: the account may not sign in (%s)", where, acc.State)
	}
	return &principal{account: acc, via: specs.CredPassword}, nil
}

// revoked reports whether a verified access token was revoked: its session (or, where a logout
// ends the access token alone, the token itself), or every token of its account generation. One
// question to the store (Check): one round trip to a store outside the process.
func (s *Server) revoked(ctx context.Context, m *mount, cl *tokens.Claims) (bool, error) {
	var gen uint64
	var revoked bool
	var err error
	if m.tokenRevocation {
		gen, revoked, err = s.store.Check(ctx, m.spec.Name, cl.Subject, cl.SID, cl.ID)
	} else {
		gen, revoked, err = s.store.Check(ctx, m.spec.Name, cl.Subject, cl.SID)
	}
	return revoked || cl.Gen != gen, err
}

// apiKeyOwner finds the account of a configured or created API key; nil when it is neither.
func (s *Server) apiKeyOwner(ctx context.Context, scope string, accts *accounts, token string) (*specs.Account, error) {
	sum := sha256.Sum256([]byte(token))
	if acc := accts.byKey(sum); acc != nil {
		return acc, nil
	}
	k, ok, err := s.store.KeyByHash(ctx, scope, hex.EncodeToString(sum[:])) // store.KeyHash(token)
	if !ok || err != nil {
		return nil, err
	}
	return accts.find(specs.FieldID, k.AccountID), nil
}

// tokenProblem says what is wrong with a token in words for the client; the error itself goes
// to the log.
func tokenProblem(err error, want specs.TokenKind) string {
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return "the token has expired"
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return "the token is not valid yet"
	case errors.Is(err, tokens.ErrWrongUse):
		return "wrong kind of token; expected the " + string(want) + " token"
	case errors.Is(err, jwt.ErrTokenMalformed):
		return "not a JWT"
	}
	return "not a token this server issued"
}
