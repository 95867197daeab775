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

// loginRequest builds a login for an account from the flow's credential locations, with the
// flow's fixed values and its client's credentials, in the operation's media type.
func (r *run) loginRequest(op *specs.Operation, acct map[string]string) (*request, error) {
	rq := &request{op: op}
	body := map[string]any{}
	for _, c := range op.Flow.Credentials {
		v, ok := acct[c.Field]
		if !ok {
			return nil, fmt.Errorf("the account has no field %q, which %s reads from its %s", c.Field, op.Key(), c.Location)
		}
		rq.put(c.Location, v, body)
	}
	if err := r.contract(op, rq, body); err != nil {
		return nil, err
	}
	rq.encode(body)
	return rq, nil
}

// contract puts what a login or refresh carries besides its credentials: the flow's fixed values
// (grant_type) and its client authentication (RFC 6749 2.3), in the request body where the flow
// reads them, or as HTTP Basic where the flow reads no secret but allows Basic.
func (r *run) contract(op *specs.Operation, rq *request, body map[string]any) error {
	f := op.Flow
	for _, fx := range f.Fixed {
		rq.put(fx.Location, fx.Value, body)
	}
	if f.Client == nil {
		return nil
	}
	cl := r.t.Client
	if cl == nil {
		return fmt.Errorf("%s authenticates its client, and the target file names none (client: {id: ..., secret: ...})", op.Key())
	}
	if f.Client.Secret == nil && f.Client.Basic {
		rq.headers = append(rq.headers, header{"Authorization", basicAuth(cl.ID, cl.Secret)})
		return nil
	}
	rq.put(f.Client.ID, cl.ID, body)
	if f.Client.Secret != nil && cl.Secret != "" {
		rq.put(*f.Client.Secret, cl.Secret, body)
	}
	return nil
}

// put sets a value at a request location: a header, a query parameter, or body (the object the
// body is encoded from, by encode).
func (rq *request) put(l specs.Location, v string, body map[string]any) {
	switch l.In {
	case specs.InBody:
		specs.SetPointer(body, l.Pointer, v)
	case specs.InQuery:
		if rq.query == nil {
			rq.query = url.Values{}
		}
		rq.query.Set(l.Name, v)
	case specs.InHeader:
		rq.headers = append(rq.headers, header{l.Name, v})
	}
}

// encode sets the request body from body, in the operation's media type: a form where the
// operation takes only application/x-www-form-urlencoded, else JSON; no body when body is empty.
func (rq *request) encode(body map[string]any) {
	if len(body) == 0 {
		return
	}
	if rq.op != nil && rq.op.RequestMediaType() == specs.MediaForm {
		form := url.Values{}
		for k, v := range body {
			form.Set(k, fmt.Sprint(v))
		}
		rq.body, rq.ctype = []byte(form.Encode()), specs.MediaForm
		return
	}
	rq.body, _ = json.Marshal(body)
}

// broken sets a body that does not parse in the operation's media type: unfinished JSON, or a
// form with a broken percent escape.
func (rq *request) broken() {
	if rq.op != nil && rq.op.RequestMediaType() == specs.MediaForm {
		rq.body, rq.ctype = []byte("authconform=%zz&unfinished"), specs.MediaForm
		return
	}
	rq.body, rq.ctype = []byte(`{"authconform": "this body is not finished`), ""
}

// basicAuth is an HTTP Basic credential (RFC 7617).
func basicAuth(user, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
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
	r.settleBearerForm(ctx, s)
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
	omit  *specs.Scheme     // an optional scheme to leave out
	// unbound leaves out the values the operation's flow binds to the account (flow binds)
	unbound bool
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
		case s == cr.omit:
		case s.Impersonates != "":
			// Sent when the account has the value, naming the caller's own account: the form the
			// requirement lists, which the reading that makes it optional accepts too.
			v, ok := cr.acct[s.Impersonates]
			switch {
			case ok:
				add(s, v)
			case !s.Optional:
				return nil, nil, fmt.Sprintf("the account has no %s, which %s must carry", s.Impersonates, s.Header)
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
				v = basicAuth(user, pass)
			case s.IsBearer() && !r.rawToken(s):
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

// rawToken reports whether the target takes a bearer scheme's token without "Bearer ": the spec
// (or the reading the target declares) says so, or the run found it out.
func (r *run) rawToken(s *specs.Scheme) bool {
	return s.BearerPrefix == specs.PrefixNone || r.raw[s.Name]
}

// settleBearerForm finds out, once per run, how the target wants a token in a bearer scheme whose
// prefix is a reading the target file does not declare: "Bearer <token>" first, else the raw
// token. The rest of the run sends the form that worked.
func (r *run) settleBearerForm(ctx context.Context, s *session) {
	p := r.probeOp()
	if p == nil || r.settled {
		return
	}
	r.settled = true
	for _, alt := range p.Security {
		for _, sc := range alt {
			ptr := sc.Pointer + "/bearerPrefix"
			if !sc.IsBearer() || !sc.AcceptsKind(specs.CredAccessToken) {
				continue
			}
			if d, declared := r.decisionAt(ptr); d == nil || declared {
				continue
			}
			try := func() *response {
				hs, q, why := r.authFor(p, *s.bearer())
				if why != "" {
					return nil
				}
				resp, err := r.c.do(ctx, &request{op: p, headers: hs, query: q})
				if err != nil {
					return nil
				}
				return resp
			}
			if resp := try(); resp != nil && resp.status == p.Flow.Status {
				r.observe(ptr, true, nil)
				return
			}
			r.raw[sc.Name] = true
			if resp := try(); resp != nil && resp.status == p.Flow.Status {
				r.observe(ptr, false, string(specs.PrefixNone))
				return
			}
			delete(r.raw, sc.Name) // neither works: the checks say so with the documented form
			return
		}
	}
}

// readingNote names the readings observed that explain why a check does not apply.
func (r *run) readingNote(op *specs.Operation) string {
	for _, alt := range op.Security {
		for _, sc := range alt {
			if d, _ := r.decisionAt(sc.Pointer + "/bearerPrefix"); d != nil && r.raw[sc.Name] {
				return fmt.Sprintf(" (observed reading %s = %s)", d.ID, r.observed[d.ID])
			}
		}
	}
	return ""
}

// expectAcceptedUnless judges a call the spec expects to succeed where a reading of a decision
// (at pointer, with refusedValue there) would refuse it. Where the target declares the reading,
// or no decision covers it, the documented success is required; otherwise a refusal shows the
// target follows the other reading, which it may: the check then does not apply, and says so.
func (r *run) expectAcceptedUnless(resp *response, pointer string, refusedValue any, rule string) {
	d, declared := r.decisionAt(pointer)
	if d == nil || declared {
		r.expectAccepted(resp, rule)
		return
	}
	if resp.status == resp.op.Flow.Status {
		r.observe(pointer, true, nil)
		return
	}
	if refused(resp.op, resp.status) {
		if c := r.observe(pointer, false, refusedValue); c != "" {
			r.notUnderReading(d, c, fmt.Sprintf("%s refused it (%s)", resp.op.Key(), r.c.summary(resp)))
		}
	}
	r.expectAccepted(resp, rule)
}

// notUnderReading skips a check that does not apply to the reading the target was seen to follow.
func (r *run) notUnderReading(d *specs.Decision, choice, what string) {
	rd, _ := d.Reading(choice)
	skipf("observed reading %s = %s (%s): %s. A conforming server may follow it; declare readings: {%s: %s} in the target file to require the other",
		d.ID, choice, rd.Means, what, d.ID, d.Readings[0].Choice)
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
	if len(op.Flow.Binds) > 0 && cr != nil {
		// The values the flow binds to the account travel with its credential.
		obj, _ := body.(map[string]any)
		if obj == nil && body == nil {
			// the documented example carries what else the body needs (a name, ...)
			if obj = op.RequestExample(); obj == nil {
				obj = map[string]any{}
			}
		}
		for _, b := range op.Flow.Binds {
			v, ok := cr.acct[b.Field]
			switch {
			case obj == nil:
			case cr.unbound:
				rq.remove(b.Location, obj)
			case ok:
				rq.replace(b.Location, v, obj)
			}
		}
		if obj != nil {
			rq.encode(obj)
			return r.c.do(ctx, rq)
		}
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
	if resp.status != op.Flow.Status {
		failf("%s", r.mismatch(resp, fmt.Sprintf("the documented success status %d of %s", op.Flow.Status, op.Key()), rule))
	}
}

// mismatch is a failure message whose first line (the one the console streams) says what was
// expected and what came, with the full URL; the rule and the response follow.
func (r *run) mismatch(resp *response, expected, rule string) string {
	return lines("expected "+expected+"; got "+r.c.summary(resp), "rule: "+rule, "response: "+r.c.describe(resp))
}

// refused reports whether a status refuses a request: a 4xx, or an error status the operation
// documents (a vendor's own 5xx, such as a 555).
func refused(op *specs.Operation, status int) bool {
	return status >= 400 && status < 500 || status >= 400 && op.Documents(status)
}

// expectRefused judges a refusal. That the request is refused (a 4xx or a documented error
// status, the general rule for refusals (docs/conformance.md)) is always required. The exact status is required where the
// vendor states it (and then the documented body shape too) or where the target declares the
// reading that chose it; where it is only our reading, a different refusal is a warning.
func (r *run) expectRefused(ctx context.Context, resp *response, f specs.Failure, rule string) {
	op := resp.op
	fs, named := op.Flow.FailureOf(f)
	if !refused(op, resp.status) {
		want := "a refusal (a 4xx"
		if named {
			want += fmt.Sprintf("; %s names %d for %s", op.Key(), fs.Status, f)
		}
		failf("%s", r.mismatch(resp, want+")", rule))
	}
	if named && resp.status == fs.Status && fs.Body != nil {
		r.expectLiterals(resp, fs, rule)
	}
	if !named || resp.status == fs.Status && r.shapeOK(ctx, resp, rule, fs) {
		return
	}
	_, declared := r.t.Readings[fs.Decision]
	switch {
	case fs.Decision == "" || declared:
		why := "the status " + op.Key() + " documents for " + string(f)
		if fs.Decision != "" {
			why = fmt.Sprintf("the status the declared reading of %s names for %s", fs.Decision, f)
		}
		failf("%s", r.mismatch(resp, fmt.Sprintf("%s, %d", why, fs.Status), rule))
	default:
		warnf("SHOULD (reading %s): expected %d for %s, as the spec's reading names; got %s. A conforming server may refuse with another 4xx; declare the reading in the target file to require it",
			fs.Decision, fs.Status, f, r.c.summary(resp))
	}
}

// expectLiterals checks that a refusal carries the fixed values of its failure's body (an error
// code such as invalid_grant): required where the vendor states the failure, a warning where the
// failure is our reading (unless the target declares it).
func (r *run) expectLiterals(resp *response, fs specs.FailureStatus, rule string) {
	body := resp.json()
	lits := fs.Body.Literals()
	for _, ptr := range slices.Sorted(maps.Keys(lits)) {
		want := lits[ptr]
		got, ok := specs.GetPointer(body, ptr)
		if ok && sameJSON(got, want) {
			continue
		}
		msg := fmt.Sprintf("expected %s %v in the body of the %s refusal, as the spec documents; got %s", ptr, jsonText(want), fs.Name, r.c.summary(resp))
		if _, declared := r.t.Readings[fs.Decision]; fs.Decision == "" || declared {
			failf("%s", lines(msg, "rule: "+rule, "response: "+r.c.describe(resp)))
		}
		warnf("SHOULD (reading %s): %s", fs.Decision, msg)
	}
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// shapeOK checks the body of a refusal with the expected status against the spec; a mismatch
// fails where the status is documented and warns where it is our reading.
func (r *run) shapeOK(ctx context.Context, resp *response, rule string, fs specs.FailureStatus) bool {
	err := r.c.conform(ctx, resp)
	if err == nil {
		return true
	}
	msg := fmt.Sprintf("the %d response does not have the documented shape: %v", resp.status, err)
	if _, declared := r.t.Readings[fs.Decision]; fs.Decision == "" || declared {
		failf("%s", lines(msg, "rule: "+rule, "response: "+r.c.describe(resp)))
	}
	warnf("SHOULD (reading %s): %s", fs.Decision, msg)
	return true
}

// hasCredentialIn reports whether the login reads a credential from that place.
func hasCredentialIn(op *specs.Operation, in specs.In) bool {
	return slices.ContainsFunc(op.Flow.Credentials, func(c specs.Credential) bool { return c.In == in })
}

var _ = GinkgoWriter
