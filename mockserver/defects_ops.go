package mockserver

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/authconform/authconform/specs"
)

// The building blocks of the catalog (defects_catalog.go): spec predicates, and edits of an
// operation's settings. Edits copy what they change (flow, security, schemes); the spec itself,
// which other servers may share, is never written.

// specHas reports whether some operation of the spec satisfies pred.
func specHas(pred func(*specs.Operation) bool) func(*specs.Spec) bool {
	return func(sp *specs.Spec) bool { return slices.ContainsFunc(sp.Operations, pred) }
}

func kindIs(kinds ...specs.FlowKind) func(*specs.Operation) bool {
	return func(op *specs.Operation) bool { return slices.Contains(kinds, op.Flow.Kind) }
}

func both(a, b func(*specs.Operation) bool) func(*specs.Operation) bool {
	return func(op *specs.Operation) bool { return a(op) && b(op) }
}

// hasAccount reports whether the spec has a demo account in that state.
func hasAccount(state specs.AccountState) func(*specs.Spec) bool {
	return func(sp *specs.Spec) bool {
		return slices.ContainsFunc(sp.Accounts, func(a specs.Account) bool { return a.State == state })
	}
}

// takesSecret: a login reading a password.
func takesSecret(op *specs.Operation) bool {
	return op.Flow.Kind == specs.KindLogin && slices.ContainsFunc(op.Flow.Credentials, func(c specs.Credential) bool { return c.Field == specs.FieldPassword })
}

// takesBodyCredentials: a login reading credentials from its JSON body.
func takesBodyCredentials(op *specs.Operation) bool {
	return op.Flow.Kind == specs.KindLogin && slices.ContainsFunc(op.Flow.Credentials, func(c specs.Credential) bool { return c.In == specs.InBody })
}

// writesAccess reports whether the flow writes the access token at a place of kind in.
func writesAccess(in specs.In) func(*specs.Operation) bool {
	return func(op *specs.Operation) bool {
		return slices.ContainsFunc(op.Flow.Tokens, func(t specs.TokenOut) bool { return t.Token == specs.TokenAccess && t.In == in })
	}
}

// schemeWhere reports whether a protected operation has a scheme satisfying pred.
func schemeWhere(pred func(*specs.Scheme) bool) func(*specs.Operation) bool {
	return func(op *specs.Operation) bool {
		for _, alt := range op.Security {
			if slices.ContainsFunc(alt, pred) {
				return true
			}
		}
		return false
	}
}

func accepts(k specs.CredentialKind) func(*specs.Scheme) bool {
	return func(s *specs.Scheme) bool { return s.AcceptsKind(k) }
}

func isBearer(s *specs.Scheme) bool { return s.IsBearer() && s.AcceptsKind(specs.CredAccessToken) }

func binds(s *specs.Scheme) bool { return s.Binds != "" }

// jsonSuccess: the documented success response has JSON content.
func jsonSuccess(op *specs.Operation) bool {
	r := op.Op.Responses.Status(op.Flow.Status)
	return r != nil && r.Value != nil && r.Value.Content.Get("application/json") != nil
}

// documentsOther reports whether the flow's status for failure f is documented and not status.
func documentsOther(f specs.Failure, status int) func(*specs.Operation) bool {
	return func(op *specs.Operation) bool {
		s, ok := op.Flow.Failure(f)
		return ok && s != status
	}
}

// distinctState: a login documents a status for refusing an account in that state other than
// the wrong-password one.
func distinctState(f specs.Failure) func(*specs.Operation) bool {
	return func(op *specs.Operation) bool {
		if op.Flow.Kind != specs.KindLogin {
			return false
		}
		s, ok := op.Flow.Failures[f]
		bad, okBad := op.Flow.Failure(specs.FailBadCredentials)
		if !okBad {
			bad, okBad = op.Flow.Failure(specs.FailUnknownAccount)
		}
		return ok && okBad && s != bad
	}
}

// eachOp calls fn for every operation of m satisfying pred.
func eachOp(m *mount, pred func(*specs.Operation) bool, fn func(o *operation)) {
	for _, o := range m.ops {
		if pred(o.op) {
			fn(o)
		}
	}
}

// editFlow changes a copy of the operation's flow.
func (o *operation) editFlow(fn func(f *specs.Flow)) {
	f := *o.flow
	f.Failures = maps.Clone(f.Failures)
	if f.Failures == nil {
		f.Failures = map[specs.Failure]int{}
	}
	f.Tokens = slices.Clone(f.Tokens)
	fn(&f)
	o.flow = &f
}

// setFailures answers each of the failures with status (a body in the error shape when the
// status has JSON content, or takes that of the success).
func (o *operation) setFailures(status int, fs ...specs.Failure) {
	o.editFlow(func(f *specs.Flow) {
		for _, name := range fs {
			f.Failures[name] = status
		}
	})
}

// setStatus answers success with status, with the body the documented one would have.
func (o *operation) setStatus(status int) {
	o.json = maps.Clone(o.json)
	o.json[status] = o.json[o.flow.Status]
	o.editFlow(func(f *specs.Flow) { f.Status = status })
}

// editSchemes changes copies of every scheme of the operation's security.
func (o *operation) editSchemes(fn func(s *specs.Scheme) *specs.Scheme) {
	op := *o.op
	op.Security = nil
	for _, alt := range o.op.Security {
		var out specs.SecurityAlt
		for _, s := range alt {
			c := *s
			c.Accepts = slices.Clone(s.Accepts)
			if n := fn(&c); n != nil {
				out = append(out, n)
			}
		}
		op.Security = append(op.Security, out)
	}
	o.op = &op
}

// withoutKind drops a credential kind from a scheme.
func withoutKind(k specs.CredentialKind) func(s *specs.Scheme) *specs.Scheme {
	return func(s *specs.Scheme) *specs.Scheme {
		s.Accepts = slices.DeleteFunc(s.Accepts, func(x specs.CredentialKind) bool { return x == k })
		return s
	}
}

// wrapFlow decorates the operation's flow.
func (o *operation) wrapFlow(fn func(next flowFunc) flowFunc) { o.handle = fn(o.handle) }

// letIn makes login flows see every account in one of the states as enabled: the flow is the
// real one, reading from a view of the accounts.
func letIn(m *mount, states ...specs.AccountState) {
	list := slices.Clone(m.accounts.orig)
	for i := range list {
		if slices.Contains(states, list[i].State) {
			list[i].State = specs.StateEnabled
		}
	}
	view := *m
	view.accounts = newAccounts(list)
	eachOp(m, kindIs(specs.KindLogin), func(o *operation) {
		seen := *o
		seen.m = &view
		o.wrapFlow(func(next flowFunc) flowFunc {
			return func(s *Server, c *call) error {
				c.op = &seen
				return next(s, c)
			}
		})
	})
}

// ignorePassword makes login flows take any password of a known account: the decorator looks the
// account up by the identifying credentials and hands the flow the account's own password.
func ignorePassword(m *mount) {
	eachOp(m, takesSecret, func(o *operation) {
		o.wrapFlow(func(next flowFunc) flowFunc {
			return func(s *Server, c *call) error {
				var acc *specs.Account
				for _, cr := range o.flow.Credentials {
					if cr.Secret() {
						continue
					}
					if v, found, err := c.read(cr.Location); err == nil && found {
						acc = m.accounts.find(cr.Field, v)
					}
				}
				if acc == nil {
					return next(s, c)
				}
				for _, cr := range o.flow.Credentials {
					if cr.Field != specs.FieldPassword {
						continue
					}
					switch cr.In {
					case specs.InBody:
						if doc, err := c.json(); err == nil {
							if obj, ok := doc.(map[string]any); ok {
								specs.SetPointer(obj, cr.Pointer, acc.Password)
							}
						}
					case specs.InQuery:
						r := c.r.Clone(c.r.Context())
						q := r.URL.Query()
						q.Set(cr.Name, acc.Password)
						r.URL.RawQuery = q.Encode()
						c.r = r
					case specs.InHeader:
						r := c.r.Clone(c.r.Context())
						r.Header.Set(cr.Name, acc.Password)
						c.r = r
					}
				}
				return next(s, c)
			}
		})
	})
}

// editJSON decodes a JSON response body, lets fn change it, and encodes it again. Numbers stay
// json.Number, so a large integer keeps its digits.
func editJSON(res *bufferedResponse, fn func(v any) any) {
	if !res.isJSON() {
		return
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(res.body.Bytes()))
	dec.UseNumber()
	if dec.Decode(&v) != nil {
		return
	}
	b, err := json.Marshal(fn(v))
	if err == nil {
		res.setBody(b)
	}
}

// accessPlaces are where the operation's flow writes its access token.
func accessPlaces(o *operation) []specs.TokenOut {
	var out []specs.TokenOut
	for _, t := range o.flow.Tokens {
		if t.Token == specs.TokenAccess {
			out = append(out, t)
		}
	}
	return out
}

// editAccessTokens changes the access token wherever a success response carries it.
func editAccessTokens(o *operation, res *bufferedResponse, fn func(string) string) {
	if res.status/100 != 2 {
		return
	}
	for _, t := range accessPlaces(o) {
		switch t.In {
		case specs.InHeader:
			if v := res.h.Get(t.Name); v != "" {
				res.h.Set(t.Name, fn(v))
			}
		case specs.InBody:
			editJSON(res, func(v any) any {
				if obj, ok := v.(map[string]any); ok {
					if tok, ok := specs.GetPointer(obj, t.Pointer); ok {
						if s, ok := tok.(string); ok {
							specs.SetPointer(obj, t.Pointer, fn(s))
						}
					}
				}
				return v
			})
		}
	}
}

// breakSignature changes the first character of a JWT's signature (the last one may only carry
// padding bits), or appends to an opaque token.
func breakSignature(tok string) string {
	i := strings.LastIndexByte(tok, '.')
	if i < 0 || i == len(tok)-1 {
		return tok + "x"
	}
	c := byte('A')
	if tok[i+1] == 'A' {
		c = 'B'
	}
	return tok[:i+1] + string(c) + tok[i+2:]
}

// snakeName is a body field renamed the way a serializer with another naming policy would:
// camelCase and Kebab-Case to snake_case, or, for a name that is already one word, with an
// "access_" prefix.
func snakeName(name string) string {
	var b strings.Builder
	prev := rune(0)
	for _, r := range name {
		switch {
		case r == '-':
			b.WriteByte('_')
		case unicode.IsUpper(r):
			if unicode.IsLower(prev) || unicode.IsDigit(prev) {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(r))
		default:
			b.WriteRune(r)
		}
		prev = r
	}
	if out := b.String(); out != name {
		return out
	}
	return "access_" + name
}

// renamePointer renames the last member of a JSON pointer.
func renamePointer(p string) string {
	i := strings.LastIndexByte(p, '/')
	return p[:i+1] + snakeName(p[i+1:])
}

// stackFrames is what a Java framework puts into an error body when nobody catches an exception.
const stackFrames = "\n\tat com.example.auth.TokenFilter.doFilter(TokenFilter.java:87)\n\tat org.springframework.web.filter.OncePerRequestFilter.doFilter(OncePerRequestFilter.java:117)"

// hasCredential reports whether the request presents any credential the operation's security reads.
func hasCredential(o *operation, r *http.Request) bool {
	for _, alt := range o.op.Security {
		for _, s := range alt {
			if len(s.Accepts) == 0 {
				continue
			}
			if s.In == specs.InQuery {
				if r.URL.Query().Get(s.Header) != "" {
					return true
				}
			} else if headerValue(r.Header, s.Header) != "" {
				return true
			}
		}
	}
	return false
}

// reorder encodes JSON objects with their members in reverse alphabetical order.
func reorder(v any) json.RawMessage {
	switch t := v.(type) {
	case map[string]any:
		keys := slices.Sorted(maps.Keys(t))
		slices.Reverse(keys)
		var b strings.Builder
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			kb, _ := json.Marshal(k)
			b.Write(kb)
			b.WriteByte(':')
			b.Write(reorder(t[k]))
		}
		b.WriteByte('}')
		return json.RawMessage(b.String())
	case []any:
		parts := make([]string, len(t))
		for i, e := range t {
			parts[i] = string(reorder(e))
		}
		return json.RawMessage("[" + strings.Join(parts, ",") + "]")
	}
	b, _ := json.Marshal(v)
	return b
}

// presentedTokens are the values of the request's headers (or query parameters) that the
// operation's security reads as access tokens, without their "Bearer " prefix.
func presentedTokens(o *operation, r *http.Request) []string {
	var out []string
	for _, alt := range o.op.Security {
		for _, s := range alt {
			if !s.AcceptsKind(specs.CredAccessToken) {
				continue
			}
			v := headerValue(r.Header, s.Header)
			if s.In == specs.InQuery {
				v = r.URL.Query().Get(s.Header)
			}
			if p, rest, ok := strings.Cut(strings.TrimSpace(v), " "); ok && strings.EqualFold(p, "bearer") {
				v = strings.TrimSpace(rest)
			}
			if v != "" {
				out = append(out, v)
			}
		}
	}
	return out
}

// numericSuccess: the success schema has a member that must be a number (not "string or number").
func numericSuccess(op *specs.Operation) bool {
	r := op.Op.Responses.Status(op.Flow.Status)
	if r == nil || r.Value == nil {
		return false
	}
	mt := r.Value.Content.Get("application/json")
	return mt != nil && hasNumber(mt.Schema, 0)
}

func hasNumber(ref *openapi3.SchemaRef, depth int) bool {
	if ref == nil || ref.Value == nil || depth > 8 {
		return false
	}
	s := ref.Value
	if s.Type != nil && (s.Type.Is("integer") || s.Type.Is("number")) {
		return true
	}
	for _, p := range s.Properties {
		if hasNumber(p, depth+1) {
			return true
		}
	}
	for _, x := range s.AllOf {
		if hasNumber(x, depth+1) {
			return true
		}
	}
	return hasNumber(s.Items, depth+1)
}

// stringifyNumbers turns every JSON number into a string.
func stringifyNumbers(v any) any {
	switch t := v.(type) {
	case json.Number:
		return t.String()
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case map[string]any:
		for k, x := range t {
			t[k] = stringifyNumbers(x)
		}
	case []any:
		for i, x := range t {
			t[i] = stringifyNumbers(x)
		}
	}
	return v
}
