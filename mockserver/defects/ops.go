package defects

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/authconform/authconform/mockserver"
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

// readingSetting finds a reading of one of the spec's decisions that sets pointer's value so
// that want holds: the decision id and the choice.
func readingSetting(sp *specs.Spec, want func(pointer string, v any) bool) (id, choice string, ok bool) {
	for _, d := range sp.Decisions {
		for _, rd := range d.Readings {
			for ptr, v := range rd.Set {
				if want(ptr, v) {
					return d.ID, rd.Choice, true
				}
			}
		}
	}
	return "", "", false
}

// rawTokenReading is the reading under which a bearer scheme takes the raw token only
// (bearerPrefix: none), and the scheme's name.
func rawTokenReading(sp *specs.Spec) (id, choice, scheme string, ok bool) {
	for name, sc := range sp.Schemes {
		if !sc.IsBearer() {
			continue
		}
		ptr := sc.Pointer + "/bearerPrefix"
		if id, choice, ok := readingSetting(sp, func(p string, v any) bool { return p == ptr && v == string(specs.PrefixNone) }); ok {
			return id, choice, name, true
		}
	}
	return "", "", "", false
}

// writesRefresh: the operation hands out a refresh token.
func writesRefresh(op *specs.Operation) bool {
	for _, t := range op.Flow.Tokens {
		if t.Token == specs.TokenRefresh {
			return true
		}
	}
	return false
}

// impersonates: the operation has a scheme naming the account to act as.
func impersonates(s *specs.Scheme) bool { return s.Impersonates != "" }

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

// letIn makes login flows see every account in one of the states as enabled: the flow is the
// real one, reading from a view of the accounts.
func letIn(m *mount, states ...specs.AccountState) {
	m.ops(kindIs(specs.KindLogin), func(o *mockserver.Operation) {
		o.MapAccounts(func(a specs.Account) specs.Account {
			if slices.Contains(states, a.State) {
				a.State = specs.StateEnabled
			}
			return a
		})
	})
}

// ignorePassword makes login flows take any password of a known account: before the mock sees a
// login, the account is looked up by the identifying credentials and the request gets the
// account's own password in place of the one sent.
func ignorePassword(m *mount) {
	m.onRequest(func(o *mockserver.Operation, _ http.ResponseWriter, r *http.Request) bool {
		if !takesSecret(o.Op()) {
			return false
		}
		creds := o.Flow().Credentials
		var body map[string]any
		var encode func(map[string]any) []byte
		decoded := false
		readBody := func() map[string]any {
			if !decoded {
				decoded = true
				body, encode = bodyDoc(r, m.in.readBody(r))
			}
			return body
		}
		read := func(l specs.Location) (string, bool) {
			switch l.In {
			case specs.InHeader:
				v := headerValue(r.Header, l.Name)
				return v, v != ""
			case specs.InQuery:
				q := r.URL.Query()
				return q.Get(l.Name), q.Has(l.Name)
			case specs.InBody:
				v, ok := specs.GetPointer(readBody(), l.Pointer)
				s, isString := v.(string)
				return s, ok && isString
			}
			return "", false
		}
		accounts := m.in.srv.Accounts(m.spec.Name)
		var acc *specs.Account
		for _, cr := range creds {
			if cr.Secret() {
				continue
			}
			if v, found := read(cr.Location); found {
				acc = findAccount(accounts, cr.Field, v)
			}
		}
		if acc == nil {
			return false
		}
		for _, cr := range creds {
			if !cr.Secret() || cr.Field == specs.FieldAPIKey {
				continue
			}
			secret := acc.Fields[cr.Field]
			switch cr.In {
			case specs.InBody:
				if b := readBody(); b != nil {
					if v, ok := specs.GetPointer(b, cr.Pointer); ok {
						if _, isString := v.(string); isString {
							specs.SetPointer(b, cr.Pointer, secret)
							setBody(r, encode(b))
						}
					}
				}
			case specs.InQuery:
				q := r.URL.Query()
				q.Set(cr.Name, secret)
				r.URL.RawQuery = q.Encode()
			case specs.InHeader:
				r.Header.Set(cr.Name, secret)
			}
		}
		return false
	}, specs.KindLogin)
}

// findAccount is the account whose field reads value.
func findAccount(list []specs.Account, field, value string) *specs.Account {
	for i := range list {
		if v, ok := list[i].Field(field); ok && v != nil && fmt.Sprint(v) == value {
			return &list[i]
		}
	}
	return nil
}

// headerValue reads a header whatever the case of its name.
func headerValue(h http.Header, name string) string {
	if v := h.Get(name); v != "" {
		return v
	}
	for k, vs := range h {
		if len(vs) > 0 && strings.EqualFold(k, name) {
			return vs[0]
		}
	}
	return ""
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
func accessPlaces(o *mockserver.Operation) []specs.TokenOut { return tokenPlaces(o, specs.TokenAccess) }

// tokenPlaces are where the operation writes tokens of a kind.
func tokenPlaces(o *mockserver.Operation, kind specs.TokenKind) []specs.TokenOut {
	var out []specs.TokenOut
	for _, t := range o.Flow().Tokens {
		if t.Token == kind {
			out = append(out, t)
		}
	}
	return out
}

// editAccessTokens changes the access token wherever a success response carries it.
func editAccessTokens(o *mockserver.Operation, res *bufferedResponse, fn func(string) string) {
	editTokens(o, res, specs.TokenAccess, fn)
}

// editTokens rewrites every token of a kind a successful answer carries.
func editTokens(o *mockserver.Operation, res *bufferedResponse, kind specs.TokenKind, fn func(string) string) {
	if res.status/100 != 2 {
		return
	}
	for _, t := range tokenPlaces(o, kind) {
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
func hasCredential(o *mockserver.Operation, r *http.Request) bool {
	for _, alt := range o.Op().Security {
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
func presentedTokens(o *mockserver.Operation, r *http.Request) []string {
	var out []string
	for _, alt := range o.Op().Security {
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

// withoutKind drops a credential kind from a scheme.
func withoutKind(k specs.CredentialKind) func(s *specs.Scheme) *specs.Scheme {
	return func(s *specs.Scheme) *specs.Scheme {
		s.Accepts = slices.DeleteFunc(s.Accepts, func(x specs.CredentialKind) bool { return x == k })
		return s
	}
}

// requestID is a random UUID (version 4) for the X-Request-Id header a variant adds.
func requestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	const hex = "0123456789abcdef"
	out := make([]byte, 0, 36)
	for i, x := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		out = append(out, hex[x>>4], hex[x&0x0f])
	}
	return string(out)
}

// bodyDoc decodes a request body as the object a flow reads it as, a JSON object or a form (first
// values), and returns with it the encoding to write it back in; nil for a body that does not
// decode.
func bodyDoc(r *http.Request, b []byte) (map[string]any, func(map[string]any) []byte) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == specs.MediaForm {
		form, err := url.ParseQuery(string(b))
		if err != nil {
			return nil, nil
		}
		doc := map[string]any{}
		for k, vs := range form {
			doc[k] = vs[0]
		}
		return doc, func(doc map[string]any) []byte {
			out := url.Values{}
			for k, v := range doc {
				out.Set(k, fmt.Sprint(v))
			}
			return []byte(out.Encode())
		}
	}
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if dec.Decode(&doc) != nil {
		return nil, nil
	}
	return doc, func(doc map[string]any) []byte {
		out, _ := json.Marshal(doc)
		return out
	}
}
