package suites

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/authconform/authconform/specs"
)

// This file holds what every flow's checks share: building a login from an account, finding the
// tokens in a response, presenting a credential the way an operation's security says, and
// judging a refusal.

// account returns the target's account for a role, or skips the check when the target has none.
func (r *run) account(role string) map[string]string {
	a, ok := r.t.Accounts[role]
	if !ok {
		needInputf("the target file has no %q account (accounts.%s)", role, role)
	}
	return maps.Clone(a)
}

// primaryLogin is the login the other flows use to get tokens: the first one not deprecated.
func (r *run) primaryLogin() *specs.Operation {
	ops := r.spec.OperationsOf(specs.KindLogin)
	for _, op := range ops {
		if !op.Deprecated {
			return op
		}
	}
	return ops[0]
}

// probeOp is the protected operation credentials are tested on: the target's probe, else the
// spec's, else the first documented resource operation.
func (r *run) probeOp() *specs.Operation {
	if r.t.Probe != nil {
		return r.t.Probe
	}
	if r.spec.Probe != "" {
		if op, ok := r.spec.Operation(r.spec.Probe); ok {
			return op
		}
	}
	for _, op := range r.spec.OperationsOf(specs.KindResource) {
		if op.Protected() && op.Method == "GET" {
			return op
		}
	}
	return nil
}

func (r *run) needProbe() *specs.Operation {
	p := r.probeOp()
	if p == nil {
		needInputf("neither the spec nor the target file names a protected operation to probe (target field probe)")
	}
	return p
}

// loginRequest builds a login for an account from the flow's credential locations.
func (r *run) loginRequest(op *specs.Operation, acct map[string]string) (*request, error) {
	rq := &request{op: op}
	body := map[string]any{}
	hasBody := false
	for _, c := range op.Flow.Credentials {
		v, ok := acct[c.Field]
		if !ok {
			return nil, fmt.Errorf("the account has no field %q, which %s reads from its %s", c.Field, op.Key(), c.Location)
		}
		switch c.In {
		case specs.InBody:
			specs.SetPointer(body, c.Pointer, v)
			hasBody = true
		case specs.InQuery:
			if rq.query == nil {
				rq.query = url.Values{}
			}
			rq.query.Set(c.Name, v)
		case specs.InHeader:
			rq.headers = append(rq.headers, header{c.Name, v})
		}
	}
	if hasBody {
		rq.body, _ = json.Marshal(body)
	}
	return rq, nil
}

// session is what a successful login or refresh handed out.
type session struct {
	access  string
	refresh string
	resp    *response
	acct    map[string]string
}

// login logs an account in through op and returns its tokens; a failure is an error that says
// what came back.
func (r *run) login(ctx context.Context, op *specs.Operation, acct map[string]string) (*session, error) {
	rq, err := r.loginRequest(op, acct)
	if err != nil {
		return nil, err
	}
	resp, err := r.c.do(ctx, rq)
	if err != nil {
		return nil, err
	}
	if resp.status != op.Flow.Status {
		return nil, fmt.Errorf("login %s with valid credentials: expected %d; %s", op.Key(), op.Flow.Status, r.c.describe(resp))
	}
	s := &session{resp: resp, acct: acct}
	toks := r.tokens(op, resp)
	s.access = first(toks[specs.TokenAccess])
	s.refresh = first(toks[specs.TokenRefresh])
	if s.access == "" {
		return nil, fmt.Errorf("login %s: no access token where the spec puts it (%s); %s", op.Key(), r.tokenPlaces(op, specs.TokenAccess), r.c.describe(resp))
	}
	return s, nil
}

// mustLoginVia logs the role's account in through op, failing the check otherwise.
func (r *run) mustLoginVia(ctx context.Context, op *specs.Operation, role string) *session {
	s, err := r.login(ctx, op, r.account(role))
	if err != nil {
		failf("could not log in the %q account: %v", role, err)
	}
	return s
}

// mustLogin logs the role's account in through the primary login, failing the check otherwise.
func (r *run) mustLogin(ctx context.Context, role string) *session {
	acct := r.account(role)
	s, err := r.login(ctx, r.primaryLogin(), acct)
	if err != nil {
		failf("could not log in the %q account to set up this check: %v", role, err)
	}
	return s
}

// tokenAt is a token found in a response and where.
type tokenAt struct {
	where string
	value string
}

func first(ts []tokenAt) string {
	for _, t := range ts {
		if t.value != "" {
			return t.value
		}
	}
	return ""
}

// tokenLocations are the places the spec says a flow writes tokens, with the target's fields
// overriding body pointers.
func (r *run) tokenLocations(op *specs.Operation) []specs.TokenOut {
	out := make([]specs.TokenOut, 0, len(op.Flow.Tokens))
	for _, t := range op.Flow.Tokens {
		if t.In == specs.InBody {
			if t.Token == specs.TokenAccess && r.t.AccessTokenPointer != "" {
				t.Pointer = r.t.AccessTokenPointer
			}
			if t.Token == specs.TokenRefresh && r.t.RefreshTokenPointer != "" {
				t.Pointer = r.t.RefreshTokenPointer
			}
		}
		out = append(out, t)
	}
	return out
}

func (r *run) tokenPlaces(op *specs.Operation, kind specs.TokenKind) string {
	var s []string
	for _, t := range r.tokenLocations(op) {
		if t.Token == kind {
			s = append(s, t.Location.String())
		}
	}
	return strings.Join(s, " and ")
}

// tokens finds every documented token in a response; each is registered for redaction.
func (r *run) tokens(op *specs.Operation, resp *response) map[specs.TokenKind][]tokenAt {
	out := map[specs.TokenKind][]tokenAt{}
	body := resp.json()
	for _, t := range r.tokenLocations(op) {
		var v string
		switch t.In {
		case specs.InHeader:
			v = resp.header.Get(t.Name)
		case specs.InBody:
			if x, ok := specs.GetPointer(body, t.Pointer); ok {
				v, _ = x.(string)
			}
		}
		if v != "" {
			r.red.add(v)
		}
		out[t.Token] = append(out[t.Token], tokenAt{where: t.Location.String(), value: v})
	}
	return out
}

// cred is a credential to present to a protected operation.
type cred struct {
	kind  specs.CredentialKind
	value string            // the token or key; unused for passwords
	acct  map[string]string // the account: bound fields (company id) and Basic's username:password
	lower bool              // send header names in lower case
}

// authFor builds the headers (and query) that present cr to op, using the first security
// alternative that can carry it. why says what is missing when none can.
func (r *run) authFor(op *specs.Operation, cr cred) (hs []header, q url.Values, why string) {
	why = fmt.Sprintf("%s accepts no %s credential", op.Key(), cr.kind)
	for _, alt := range op.Security {
		h, qq, reason := r.authAlt(alt, cr)
		if reason == "" {
			return h, qq, ""
		}
		why = reason
	}
	return nil, nil, why
}

func (r *run) authAlt(alt specs.SecurityAlt, cr cred) (hs []header, q url.Values, why string) {
	carried := false
	name := func(n string) string {
		if cr.lower {
			return strings.ToLower(n)
		}
		return n
	}
	add := func(s *specs.Scheme, v string) {
		if s.Type == "apiKey" && s.In == specs.InQuery {
			if q == nil {
				q = url.Values{}
			}
			q.Set(s.Header, v)
			return
		}
		hs = append(hs, header{name(s.Header), v})
	}
	for _, s := range alt {
		switch {
		case s.Binds != "":
			v, ok := cr.acct[s.Binds]
			if !ok {
				return nil, nil, fmt.Sprintf("the account has no %s, which %s must carry", s.Binds, s.Header)
			}
			add(s, v)
		case s.Impersonates != "":
			if !s.Optional {
				v, ok := cr.acct[s.Impersonates]
				if !ok {
					return nil, nil, fmt.Sprintf("the account has no %s, which %s must carry", s.Impersonates, s.Header)
				}
				add(s, v)
			}
		case !carried && s.AcceptsKind(cr.kind):
			carried = true
			v := cr.value
			switch {
			case s.IsBasic():
				user, pass := cr.acct[specs.FieldUsername], cr.acct[specs.FieldPassword]
				if pass == "" {
					return nil, nil, "the account has no username and password for Basic"
				}
				v = "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
			case s.IsBearer():
				v = "Bearer " + v
			}
			add(s, v)
		case s.Optional:
		default:
			return nil, nil, fmt.Sprintf("scheme %s does not take a %s credential", s.Name, cr.kind)
		}
	}
	if !carried {
		return nil, nil, fmt.Sprintf("no scheme of the alternative takes a %s credential", cr.kind)
	}
	return hs, q, ""
}

// call sends op with a credential (nil: none) and an optional JSON body.
func (r *run) call(ctx context.Context, op *specs.Operation, cr *cred, body any) (*response, error) {
	rq := &request{op: op}
	if cr != nil {
		hs, q, why := r.authFor(op, *cr)
		if why != "" {
			return nil, fmt.Errorf("cannot present the credential: %s", why)
		}
		rq.headers, rq.query = hs, q
	}
	if body != nil {
		rq.body, _ = json.Marshal(body)
	}
	return r.c.do(ctx, rq)
}

func (r *run) mustCall(ctx context.Context, op *specs.Operation, cr *cred, body any) *response {
	resp, err := r.call(ctx, op, cr, body)
	if err != nil {
		failf("%v", err)
	}
	return resp
}

// send sends a request and fails the check, saying why, when no response came back.
func (r *run) send(ctx context.Context, rq *request) *response {
	resp, err := r.c.do(ctx, rq)
	if err != nil {
		failf("%v", err)
	}
	return resp
}

// bearer is the access token credential of a session.
func (s *session) bearer() *cred {
	return &cred{kind: specs.CredAccessToken, value: s.access, acct: s.acct}
}

// expectAccepted asserts the documented success status of op.
func (r *run) expectAccepted(resp *response, rule string) {
	op := resp.op
	Expect(resp.status).To(Equal(op.Flow.Status), "%s", lines(
		"rule: "+rule,
		fmt.Sprintf("expected the documented success status %d of %s", op.Flow.Status, op.Key()),
		"got: "+r.c.describe(resp)))
}

// expectRefused judges a refusal: the documented status for the failure when the spec names one
// (and then the documented body shape), otherwise any 4xx (DESIGN.md, general rule).
func (r *run) expectRefused(ctx context.Context, resp *response, f specs.Failure, rule string) {
	op := resp.op
	status, documented := op.Flow.Failure(f)
	if documented {
		Expect(resp.status).To(Equal(status), "%s", lines(
			"rule: "+rule,
			fmt.Sprintf("expected the status %s documents for %s: %d", op.Key(), f, status),
			"got: "+r.c.describe(resp)))
		if err := r.c.conform(ctx, resp); err != nil {
			failf("rule: %s\nthe %d response does not have the documented shape: %v\ngot: %s", rule, status, err, r.c.describe(resp))
		}
		return
	}
	Expect(resp.status).To(And(BeNumerically(">=", 400), BeNumerically("<", 500)), "%s", lines(
		"rule: "+rule,
		fmt.Sprintf("%s documents no status for %s, so any 4xx conforms", op.Key(), f),
		"got: "+r.c.describe(resp)))
}

// hasCredentialIn reports whether the login reads a credential from that place.
func hasCredentialIn(op *specs.Operation, in specs.In) bool {
	return slices.ContainsFunc(op.Flow.Credentials, func(c specs.Credential) bool { return c.In == in })
}

var _ = GinkgoWriter
