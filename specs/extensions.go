package specs

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// The extension names. Nothing outside this file reads an Extensions map.
const (
	extRoot       = "x-authconform"
	extFlow       = "x-authconform-flow"
	extFlows      = "x-authconform-flows"
	extCredential = "x-authconform-credential"
	extAdded      = "x-authconform-added"
	extPrefix     = "x-authconform"
)

// Raw shapes of the extensions, decoded strictly (decode.go). Field tags name the YAML keys.

type rawRoot struct {
	Name          string            `yaml:"name,required"`
	Probe         string            `yaml:"probe"`
	Tokens        rawTokens         `yaml:"tokens,required"`
	ErrorBody     any               `yaml:"errorBody,required"`
	AccountFields []rawAccountField `yaml:"accountFields"`
	States        []rawState        `yaml:"states"`
	Accounts      []map[string]any  `yaml:"accounts"`
	Clients       []rawClient       `yaml:"clients"`
	Decisions     []rawDecision     `yaml:"decisions"`
}

type rawClient struct {
	ID     string `yaml:"id,required"`
	Secret string `yaml:"secret"`
}

type rawFixed struct {
	In      string `yaml:"in,required"`
	Name    string `yaml:"name"`
	Pointer string `yaml:"pointer"`
	Value   string `yaml:"value,required"`
	Failure string `yaml:"failure"`
}

type rawClientAuth struct {
	ID     rawLocation  `yaml:"id,required"`
	Secret *rawLocation `yaml:"secret"`
	Basic  bool         `yaml:"basic"`
}

type rawState struct {
	Name    string `yaml:"name,required"`
	Failure string `yaml:"failure,required"`
}

type rawAccountField struct {
	Name   string `yaml:"name,required"`
	Secret bool   `yaml:"secret"`
}

type rawTokens struct {
	Algorithm string       `yaml:"algorithm,required"`
	Issuer    string       `yaml:"issuer,required"`
	Access    rawLifetime  `yaml:"access,required"`
	Refresh   *rawLifetime `yaml:"refresh"`
}

type rawLifetime struct {
	Lifetime   Duration `yaml:"lifetime,required"`
	Documented bool     `yaml:"documented,required"`
	Source     string   `yaml:"source,required"`
	Format     string   `yaml:"format"`
}

type rawDecision struct {
	ID       string       `yaml:"id,required"`
	Where    string       `yaml:"where,required"`
	Problem  string       `yaml:"problem,required"`
	Decision string       `yaml:"decision,required"`
	Readings []rawReading `yaml:"readings"`
}

type rawReading struct {
	Choice string         `yaml:"choice,required"`
	Means  string         `yaml:"means,required"`
	Set    map[string]any `yaml:"set"`
}

type rawFailure struct {
	Status   int    `yaml:"status,required"`
	Decision string `yaml:"decision"`
	Body     any    `yaml:"body"`
}

type rawFlow struct {
	Kind         string          `yaml:"kind,required"`
	Credentials  []rawCredential `yaml:"credentials"`
	RefreshToken *rawLocation    `yaml:"refreshToken"`
	Rotate       bool            `yaml:"rotate"`
	Tokens       []rawTokenOut   `yaml:"tokens"`
	KeyName      *rawLocation    `yaml:"keyName"`
	KeyValue     *rawLocation    `yaml:"keyValue"`
	Status       int             `yaml:"status,required"`
	Body         any             `yaml:"body"`
	Item         any             `yaml:"item"`
	EndsRefresh  *bool           `yaml:"endsRefresh"`
	OnReuse      string          `yaml:"onReuse"`
	Fixed        []rawFixed      `yaml:"fixed"`
	Client       *rawClientAuth  `yaml:"client"`
	Binds        []rawCredential `yaml:"binds"`
	Failures     map[string]any  `yaml:"failures,required"`
}

type rawLocation struct {
	In      string `yaml:"in,required"`
	Name    string `yaml:"name"`
	Pointer string `yaml:"pointer"`
}

type rawCredential struct {
	In      string `yaml:"in,required"`
	Name    string `yaml:"name"`
	Pointer string `yaml:"pointer"`
	Field   string `yaml:"field,required"`
}

type rawTokenOut struct {
	Token   string `yaml:"token,required"`
	In      string `yaml:"in,required"`
	Name    string `yaml:"name"`
	Pointer string `yaml:"pointer"`
}

type rawScheme struct {
	Accepts              []string `yaml:"accepts"`
	Binds                string   `yaml:"binds"`
	Impersonates         string   `yaml:"impersonates"`
	Optional             bool     `yaml:"optional"`
	BearerPrefix         string   `yaml:"bearerPrefix"`
	BearerPrefixOptional bool     `yaml:"bearerPrefixOptional"` // the older spelling of bearerPrefix: optional
}

var (
	namePattern   = regexp.MustCompile(`^[a-z][a-z0-9-]{0,39}$`)
	choicePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,39}$`)
	algorithms    = []string{"HS256", "HS384", "HS512", "RS256", "ES256"}
	fieldPattern  = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{0,63}$`)
	keyFields     = []string{"id", "name", "token", "created"}
)

// build turns a validated document into a Spec, collecting every located problem in p.
func build(doc *openapi3.T, p *problems) *Spec {
	s := &Spec{Doc: doc, Schemes: map[string]*Scheme{}, byID: map[string]*Operation{}}
	if doc.Info != nil {
		s.Title, s.Version = doc.Info.Title, doc.Info.Version
	}
	s.BasePath = basePath(doc, p)
	checkUnknown(p, "", doc.Extensions, extRoot)

	var root rawRoot
	rawVal, ok := doc.Extensions[extRoot]
	if !ok {
		p.addf("", "no %s block; the document needs one to say how its API authenticates (see docs/spec-extensions.md)", extRoot)
		return nil
	}
	n := len(p.list)
	if p.decode("/"+extRoot, extRoot, rawVal, &root); len(p.list) > n {
		return nil
	}
	buildRoot(s, &root, p)
	buildSchemes(s, doc, p)
	buildOperations(s, doc, p)
	buildAdditions(s, doc, p)
	buildAccounts(s, &root, p)
	if s.Probe != "" {
		if op, ok := s.byID[s.Probe]; !ok {
			p.addf(extRoot+".probe", "no operation has operationId %q", s.Probe)
		} else if !op.Protected() {
			p.addf(extRoot+".probe", "operation %q takes no credential, so it cannot probe one", s.Probe)
		}
	}
	if s.Tokens.Refresh == nil {
		for _, op := range s.Operations {
			for _, t := range op.Flow.Tokens {
				if t.Token == TokenRefresh {
					p.addf(flowAt(op), "writes a refresh token but %s.tokens has no refresh lifetime", extRoot)
				}
			}
		}
	}
	return s
}

func buildRoot(s *Spec, r *rawRoot, p *problems) {
	for i, c := range r.Clients {
		if c.ID == "" || slices.ContainsFunc(s.Clients, func(o Client) bool { return o.ID == c.ID }) {
			p.addf(fmt.Sprintf("%s.clients[%d].id", extRoot, i), "%q: a client needs an id of its own", c.ID)
		}
		s.Clients = append(s.Clients, Client(c))
	}
	s.Name = r.Name
	if !namePattern.MatchString(r.Name) {
		p.addf(extRoot+".name", "%q is not a spec name; use lower-case letters, digits and dashes", r.Name)
	}
	s.Probe = r.Probe
	t := r.Tokens
	if !slices.Contains(algorithms, t.Algorithm) {
		p.addf(extRoot+".tokens.algorithm", "%q is not a supported algorithm; use one of %s", t.Algorithm, strings.Join(algorithms, ", "))
	}
	s.Tokens = Tokens{Algorithm: t.Algorithm, Issuer: t.Issuer, Access: lifetime(t.Access, extRoot+".tokens.access", p)}
	if t.Refresh != nil {
		l := lifetime(*t.Refresh, extRoot+".tokens.refresh", p)
		s.Tokens.Refresh = &l
	}
	tmpl, err := compileTemplate(r.ErrorBody, allowRefs("status", "message"))
	if err != nil {
		p.addf(extRoot+".errorBody", "%v", err)
	}
	s.ErrorBody = tmpl
	names := map[string]bool{}
	for i, f := range r.AccountFields {
		at := fmt.Sprintf("%s.accountFields[%d]", extRoot, i)
		switch {
		case !fieldPattern.MatchString(f.Name):
			p.addf(at+".name", "%q is not a field name; use letters, digits, _ and -", f.Name)
		case slices.Contains(accountKeys, f.Name) || f.Name == FieldAPIKey:
			p.addf(at+".name", "%q is not a field but a part of every account (%s, and apiKey for its keys)", f.Name, strings.Join(accountKeys, ", "))
		case names[f.Name]:
			p.addf(at+".name", "%q is declared twice", f.Name)
		}
		names[f.Name] = true
		s.Fields = append(s.Fields, AccountField(f))
	}
	s.declaredFields = len(s.Fields) > 0
	for i, st := range r.States {
		at := fmt.Sprintf("%s.states[%d]", extRoot, i)
		name := AccountState(st.Name)
		switch {
		case !choicePattern.MatchString(strings.ToLower(st.Name)):
			p.addf(at+".name", "%q is not a state name; use letters, digits and dashes", st.Name)
		case name == StateEnabled || name == StateDisabled || name == StatePasswordExpired:
			p.addf(at+".name", "%q is a built-in state; declare only the spec's own", st.Name)
		case slices.ContainsFunc(s.States, func(x State) bool { return x.Name == name }):
			p.addf(at+".name", "%q is declared twice", st.Name)
		}
		if !choicePattern.MatchString(strings.ToLower(st.Failure)) || slices.Contains(Failures, Failure(st.Failure)) {
			p.addf(at+".failure", "%q: name the state's own login failure (e.g. accountLocked), which the login flows map to a status", st.Failure)
		}
		s.States = append(s.States, State{Name: name, Failure: Failure(st.Failure)})
	}
	ids := map[string]bool{}
	for i, d := range r.Decisions {
		at := fmt.Sprintf("%s.decisions[%d]", extRoot, i)
		if ids[d.ID] {
			p.addf(at+".id", "%q is used twice", d.ID)
		}
		ids[d.ID] = true
		dec := Decision{ID: d.ID, Where: d.Where, Problem: d.Problem, Decision: d.Decision}
		if len(d.Readings) == 1 {
			p.addf(at+".readings", "one reading is no choice; list two or more, the document's (the mock's) first, or none")
		}
		choices := map[string]bool{}
		for j, rd := range d.Readings {
			rat := fmt.Sprintf("%s.readings[%d]", at, j)
			if !choicePattern.MatchString(rd.Choice) {
				p.addf(rat+".choice", "%q is not a reading name; use lower-case letters, digits and dashes", rd.Choice)
			}
			if choices[rd.Choice] {
				p.addf(rat+".choice", "%q is listed twice", rd.Choice)
			}
			choices[rd.Choice] = true
			switch {
			case j == 0 && len(rd.Set) > 0:
				p.addf(rat+".set", "the first reading is the document as written, so it sets nothing")
			case j > 0 && len(rd.Set) == 0:
				p.addf(rat+".set", "say what this reading changes: JSON pointers into the document and their values")
			}
			for _, ptr := range sortedKeys(rd.Set) {
				if !strings.HasPrefix(ptr, "/") || strings.HasPrefix(ptr, "/x-authconform/") {
					p.addf(rat+".set", "%q: a reading changes the API (paths, components), named by a JSON pointer such as /paths/~1login/post/x-authconform-flow/rotate", ptr)
				}
			}
			dec.Readings = append(dec.Readings, Reading(rd))
		}
		s.Decisions = append(s.Decisions, dec)
	}
}

// buildAccounts reads the demo accounts once the account fields are known: declared, or inferred
// from the logins and schemes; every field the spec reads must be one of them.
func buildAccounts(s *Spec, r *rawRoot, p *problems) {
	if !s.declaredFields {
		s.Fields = inferFields(s)
		for _, op := range s.Operations {
			for i := range op.Flow.Credentials {
				op.Flow.Credentials[i].secret = s.Secret(op.Flow.Credentials[i].Field)
			}
		}
	} else {
		for _, need := range inferFields(s) {
			if !slices.ContainsFunc(s.Fields, func(f AccountField) bool { return f.Name == need.Name }) {
				p.addf(extRoot+".accountFields", "the spec reads the account field %q (a login, a scheme's binds or impersonates, or Basic), which accountFields does not declare", need.Name)
			}
		}
	}
	seen := map[string]bool{}
	for i, raw := range r.Accounts {
		at := fmt.Sprintf("%s.accounts[%d]", extRoot, i)
		acc, err := s.ParseAccount(raw)
		if err != nil {
			var ae *AccountError
			if errors.As(err, &ae) && ae.Key != "" {
				p.mark(at+"."+ae.Key, fmt.Sprintf("/%s/accounts/%d/%s", extRoot, i, escapePointer(strings.SplitN(ae.Key, "[", 2)[0])))
				p.addf(at+"."+ae.Key, "%s", ae.Problem)
			} else {
				p.addf(at, "%v", err)
			}
			continue
		}
		if seen[acc.ID] {
			p.addf(at, "two accounts have the id %q", acc.ID)
		}
		seen[acc.ID] = true
		s.Accounts = append(s.Accounts, acc)
	}
}

func lifetime(r rawLifetime, at string, p *problems) Lifetime {
	if r.Lifetime <= 0 {
		p.addf(at+".lifetime", "a lifetime must be positive, found %s", r.Lifetime)
	}
	l := Lifetime{Lifetime: r.Lifetime, Documented: r.Documented, Source: r.Source, Format: TokenFormat(r.Format)}
	switch l.Format {
	case "":
		l.Format = FormatJWT
	case FormatJWT, FormatOpaque:
	default:
		p.addf(at+".format", "%q is not a token format; use jwt or opaque", r.Format)
	}
	return l
}

func basePath(doc *openapi3.T, p *problems) string {
	if len(doc.Servers) == 0 || doc.Servers[0] == nil {
		return ""
	}
	srv := doc.Servers[0]
	checkUnknown(p, "servers[0]", srv.Extensions, extAdded)
	u := srv.URL
	for name, v := range srv.Variables {
		u = strings.ReplaceAll(u, "{"+name+"}", v.Default)
	}
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
		if j := strings.IndexByte(u, '/'); j >= 0 {
			u = u[j:]
		} else {
			u = ""
		}
	}
	if strings.ContainsAny(u, "{}") {
		p.addf("servers[0].url", "%q still has a variable without a default", srv.URL)
	}
	return strings.TrimRight(u, "/")
}

func buildSchemes(s *Spec, doc *openapi3.T, p *problems) {
	if doc.Components == nil {
		return
	}
	for _, name := range sortedKeys(doc.Components.SecuritySchemes) {
		ref := doc.Components.SecuritySchemes[name]
		if ref == nil || ref.Value == nil {
			continue
		}
		v := ref.Value
		at := "components.securitySchemes." + name
		checkUnknown(p, at, v.Extensions, extCredential, extAdded)
		sc := &Scheme{Name: name, Type: v.Type, HTTPScheme: strings.ToLower(v.Scheme), In: In(v.In), Header: v.Name, Added: added(p, at, v.Extensions)}
		switch {
		case v.Type == "http":
			sc.In, sc.Header = InHeader, "Authorization"
			if !sc.IsBasic() && !sc.IsBearer() {
				p.addf(at+".scheme", "http scheme %q is not supported; use basic or bearer", v.Scheme)
			}
		case v.Type == "apiKey" && (v.In == "header" || v.In == "query"):
		default:
			p.addf(at, "scheme type %q in %q is not supported; use http (basic, bearer) or apiKey in a header or the query", v.Type, v.In)
		}
		var raw rawScheme
		rv, ok := v.Extensions[extCredential]
		if !ok {
			p.addf(at, "no %s; say what the scheme's value is (accepts, binds or impersonates)", extCredential)
		} else {
			p.decode("/components/securitySchemes/"+escapePointer(name)+"/"+extCredential, at+"."+extCredential, rv, &raw)
		}
		sc.Binds, sc.Impersonates, sc.Optional = raw.Binds, raw.Impersonates, raw.Optional
		sc.Pointer = "/components/securitySchemes/" + escapePointer(name) + "/" + extCredential
		sc.BearerPrefix = bearerPrefix(sc, raw, at+"."+extCredential, p)
		for i, a := range raw.Accepts {
			k := CredentialKind(a)
			switch k {
			case CredPassword:
				if !sc.IsBasic() {
					p.addf(fmt.Sprintf("%s.%s.accepts[%d]", at, extCredential, i), "only an http basic scheme carries a password")
				}
			case CredAccessToken, CredAPIKey:
			default:
				p.addf(fmt.Sprintf("%s.%s.accepts[%d]", at, extCredential, i), "%q is not one of password, accessToken, apiKey", a)
			}
			sc.Accepts = append(sc.Accepts, k)
		}
		roles := 0
		for _, b := range []bool{len(sc.Accepts) > 0, sc.Binds != "", sc.Impersonates != ""} {
			if b {
				roles++
			}
		}
		if ok && roles != 1 {
			p.addf(at+"."+extCredential, "set exactly one of accepts, binds, impersonates")
		}
		for _, f := range []string{sc.Binds, sc.Impersonates} {
			if f != "" && (f == FieldAPIKey || !fieldPattern.MatchString(f)) {
				p.addf(at+"."+extCredential, "%q is not an account field (id, or a field of the spec's accounts)", f)
			}
		}
		s.Schemes[name] = sc
	}
}

// bearerPrefix reads bearerPrefix (or its older spelling, bearerPrefixOptional: true).
func bearerPrefix(sc *Scheme, raw rawScheme, at string, p *problems) BearerPrefix {
	if raw.BearerPrefix == "" && !raw.BearerPrefixOptional {
		if sc.IsBearer() {
			return PrefixRequired
		}
		return ""
	}
	if !sc.IsBearer() {
		p.addf(at+".bearerPrefix", "only an http bearer scheme has a prefix")
		return ""
	}
	if raw.BearerPrefixOptional {
		if raw.BearerPrefix != "" {
			p.addf(at+".bearerPrefixOptional", "set bearerPrefix only")
		}
		return PrefixOptional
	}
	switch bp := BearerPrefix(raw.BearerPrefix); bp {
	case PrefixRequired, PrefixOptional, PrefixNone:
		return bp
	}
	p.addf(at+".bearerPrefix", "%q is not one of required, optional, none", raw.BearerPrefix)
	return PrefixRequired
}

func buildOperations(s *Spec, doc *openapi3.T, p *problems) {
	if doc.Paths == nil {
		return
	}
	paths := doc.Paths.Keys()
	sort.Strings(paths)
	for _, path := range paths {
		item := doc.Paths.Value(path)
		checkUnknown(p, "paths."+path, item.Extensions)
		methods := sortedKeys(item.Operations())
		for _, method := range methods {
			o := item.Operations()[method]
			at := "paths." + path + "." + strings.ToLower(method)
			p.mark(at, opPointer(path, method))
			op := &Operation{ID: o.OperationID, Method: strings.ToUpper(method), Path: path, Summary: o.Summary,
				Deprecated: o.Deprecated, Op: o, Added: added(p, at, o.Extensions)}
			checkUnknown(p, at, o.Extensions, extFlow, extFlows, extAdded)
			if op.ID == "" {
				p.addf(at, "no operationId; every operation needs one so reports and targets can name it")
			} else if _, dup := s.byID[op.ID]; dup {
				p.addf(at+".operationId", "%q is used twice", op.ID)
			}
			op.Statuses, op.AddedResponses = statuses(o, at, p)
			op.Security = security(s, doc, o, at, p)
			one, hasOne := o.Extensions[extFlow]
			several, hasSeveral := o.Extensions[extFlows]
			switch {
			case hasOne && hasSeveral:
				p.addf(at, "both %s and %s; write one flow, or a list of flows", extFlow, extFlows)
			case hasOne:
				var raw rawFlow
				n := len(p.list)
				ptr := opPointer(path, method) + "/" + extFlow
				if p.decode(ptr, at+"."+extFlow, one, &raw); len(p.list) == n {
					op.Flow = buildFlow(s, op, &raw, ptr, at+"."+extFlow, p)
				}
			case hasSeveral:
				s.addFlows(op, several, opPointer(path, method)+"/"+extFlows, at+"."+extFlows, p)
				continue
			default:
				p.addf(at, "no %s; every operation needs one (kind: resource for a plain protected call)", extFlow)
			}
			s.Operations = append(s.Operations, op)
			if op.ID != "" {
				s.byID[op.ID] = op
			}
		}
	}
}

// addFlows adds the flows of an operation that serves several (x-authconform-flows): an OAuth 2
// token endpoint is a login with grant_type=password and a refresh with
// grant_type=refresh_token on one path. Each becomes an Operation of its own, named
// operationId.kind, sharing the OpenAPI operation; their fixed values tell a request's flow.
func (s *Spec) addFlows(op *Operation, v any, ptr, at string, p *problems) {
	var raws []rawFlow
	n := len(p.list)
	if p.decode(ptr, at, v, &raws); len(p.list) > n {
		return
	}
	if len(raws) < 2 {
		p.addf(at, "a list of at least two flows; write %s for one", extFlow)
	}
	var flows []*Operation
	for i, raw := range raws {
		fop := *op
		fop.ID = op.ID + "." + raw.Kind
		fat := fmt.Sprintf("%s[%d]", at, i)
		fop.Flow = buildFlow(s, &fop, &raw, fmt.Sprintf("%s/%d", ptr, i), fat, p)
		if _, dup := s.byID[fop.ID]; dup {
			p.addf(fat+".kind", "operation %q has two %s flows", op.ID, raw.Kind)
		}
		if len(fop.Flow.Fixed) == 0 {
			p.addf(fat, "needs fixed values (grant_type) that tell its requests from the other flows' of the operation")
		}
		for _, other := range flows {
			if !fixedDiffer(fop.Flow.Fixed, other.Flow.Fixed) {
				p.addf(fat+".fixed", "the same fixed values as the %s flow: no request could tell them apart", other.Flow.Kind)
			}
		}
		flows = append(flows, &fop)
		s.Operations = append(s.Operations, &fop)
		s.byID[fop.ID] = &fop
	}
}

// fixedDiffer reports whether two flows' fixed values exclude each other: some location where
// both fix a value and the values differ.
func fixedDiffer(a, b []Fixed) bool {
	for _, x := range a {
		for _, y := range b {
			if x.Location == y.Location && x.Value != y.Value {
				return true
			}
		}
	}
	return false
}

// statuses lists an operation's documented statuses and, of those, the ones we added
// (x-authconform-added on the response, or on the component it references), with the reason.
func statuses(o *openapi3.Operation, at string, p *problems) ([]int, map[int]string) {
	var out []int
	addedBy := map[int]string{}
	if o.Responses == nil {
		return nil, addedBy
	}
	for code, r := range o.Responses.Map() {
		why := ""
		if r != nil && r.Value != nil {
			checkUnknown(p, at+".responses."+code, r.Value.Extensions, extAdded)
			why = added(p, at+".responses."+code, r.Value.Extensions)
		}
		n, err := strconv.Atoi(code)
		if err != nil {
			continue // "default" and ranges like "4XX" are not exact statuses
		}
		out = append(out, n)
		if why != "" {
			addedBy[n] = why
		}
	}
	sort.Ints(out)
	return out, addedBy
}

func security(s *Spec, doc *openapi3.T, o *openapi3.Operation, at string, p *problems) []SecurityAlt {
	reqs := doc.Security
	if o.Security != nil {
		reqs = *o.Security
	}
	var out []SecurityAlt
	for i, req := range reqs {
		if len(req) == 0 {
			return nil // an empty requirement makes the credential optional: treat as unprotected
		}
		var alt SecurityAlt
		for _, name := range sortedKeys(req) {
			sc, ok := s.Schemes[name]
			if !ok {
				p.addf(fmt.Sprintf("%s.security[%d]", at, i), "names scheme %q, which components.securitySchemes does not define", name)
				continue
			}
			alt = append(alt, sc)
		}
		authenticates := false
		for _, sc := range alt {
			if len(sc.Accepts) > 0 {
				authenticates = true
			}
		}
		if !authenticates && len(alt) > 0 {
			p.addf(fmt.Sprintf("%s.security[%d]", at, i), "no scheme of this alternative accepts a credential; binds and impersonates only qualify one")
		}
		out = append(out, alt)
	}
	return out
}

func buildFlow(s *Spec, op *Operation, r *rawFlow, ptr, at string, p *problems) Flow {
	f := Flow{Kind: FlowKind(r.Kind), Rotate: r.Rotate, Status: r.Status, Failures: map[Failure]int{},
		FailureDecisions: map[Failure]string{}, EndsRefresh: true,
		Pointer: ptr}
	if r.EndsRefresh != nil {
		f.EndsRefresh = *r.EndsRefresh
		if FlowKind(r.Kind) != KindLogout {
			p.addf(at+".endsRefresh", "only a logout flow ends a refresh token")
		}
	}
	if !slices.Contains(FlowKinds, f.Kind) {
		p.addf(at+".kind", "%q is not a flow kind; use one of %s", r.Kind, joinKinds())
		return f
	}
	if !op.Documents(r.Status) {
		p.addf(at+".status", "%d is not a documented response of this operation", r.Status)
	}
	for _, name := range sortedKeys(r.Failures) {
		fa := Failure(name)
		if !slices.Contains(Failures, fa) && !slices.ContainsFunc(s.States, func(st State) bool { return st.Failure == fa }) {
			p.addf(at+".failures."+name, "unknown failure; use one of %s, or the failure of a state under x-authconform.states", joinFailures())
			continue
		}
		status, decision, body := failureStatus(r.Failures[name], f.Pointer+"/failures/"+escapePointer(name), at+".failures."+name, p)
		if body != nil {
			t, err := compileTemplate(body, failureRefs(s.secretName))
			if err != nil {
				p.addf(at+".failures."+name+".body", "%v", err)
			}
			if f.FailureBodies == nil {
				f.FailureBodies = map[Failure]*Template{}
			}
			f.FailureBodies[fa] = t
		}
		if !op.Documents(status) {
			p.addf(at+".failures."+name, "%d is not a documented response of this operation", status)
		}
		if status < 400 {
			p.addf(at+".failures."+name, "%d is not an error status", status)
		}
		if decision == "" && op.AddedResponses[status] != "" {
			p.addf(at+".failures."+name, "%d is a response we added (x-authconform-added), so the vendor does not state it: write {status: %d, decision: <the decision that chose it>}", status, status)
		}
		f.Failures[fa] = status
		if decision != "" {
			f.FailureDecisions[fa] = decision
		}
	}
	for i, c := range r.Credentials {
		cat := fmt.Sprintf("%s.credentials[%d]", at, i)
		loc := location(rawLocation{In: c.In, Name: c.Name, Pointer: c.Pointer}, cat, p)
		if c.Field == FieldID || !fieldPattern.MatchString(c.Field) {
			p.addf(cat+".field", "%q is not an account field name (letters, digits, _ and -; apiKey for one of the account's keys)", c.Field)
		}
		checkRequestHas(op, loc, cat, p)
		f.Credentials = append(f.Credentials, Credential{Field: c.Field, Location: loc, secret: c.Field == FieldAPIKey || s.secretName(c.Field)})
	}
	for i, t := range r.Tokens {
		tat := fmt.Sprintf("%s.tokens[%d]", at, i)
		kind := TokenKind(t.Token)
		if kind != TokenAccess && kind != TokenRefresh {
			p.addf(tat+".token", "%q is not access or refresh", t.Token)
		}
		loc := location(rawLocation{In: t.In, Name: t.Name, Pointer: t.Pointer}, tat, p)
		if loc.In == InQuery {
			p.addf(tat+".in", "a response has no query; write tokens to the body or a header")
		}
		checkResponseHas(op, r.Status, loc, tat, p)
		f.Tokens = append(f.Tokens, TokenOut{Token: kind, Location: loc})
	}
	loc := func(l *rawLocation, name string) *Location {
		if l == nil {
			return nil
		}
		v := location(*l, at+"."+name, p)
		checkRequestHas(op, v, at+"."+name, p)
		return &v
	}
	f.RefreshToken, f.KeyName, f.KeyValue = loc(r.RefreshToken, "refreshToken"), loc(r.KeyName, "keyName"), loc(r.KeyValue, "keyValue")
	for i, fx := range r.Fixed {
		fat := fmt.Sprintf("%s.fixed[%d]", at, i)
		v := location(rawLocation{In: fx.In, Name: fx.Name, Pointer: fx.Pointer}, fat, p)
		checkRequestHas(op, v, fat, p)
		failure := Failure(fx.Failure)
		if failure == "" {
			failure = FailInvalidRequest
		}
		if !slices.Contains(Failures, failure) {
			p.addf(fat+".failure", "%q is not a failure; use one of %s", fx.Failure, joinFailures())
		}
		f.Fixed = append(f.Fixed, Fixed{Location: v, Value: fx.Value, Failure: failure})
	}
	if r.Client != nil {
		cat := at + ".client"
		ca := &ClientAuth{ID: location(r.Client.ID, cat+".id", p), Basic: r.Client.Basic}
		checkRequestHas(op, ca.ID, cat+".id", p)
		if r.Client.Secret != nil {
			sec := location(*r.Client.Secret, cat+".secret", p)
			checkRequestHas(op, sec, cat+".secret", p)
			ca.Secret = &sec
		}
		if len(s.Clients) == 0 {
			p.addf(cat, "the flow authenticates its client, but x-authconform.clients names none for the mock to accept")
		}
		f.Client = ca
	}
	for i, b := range r.Binds {
		bat := fmt.Sprintf("%s.binds[%d]", at, i)
		v := location(rawLocation{In: b.In, Name: b.Name, Pointer: b.Pointer}, bat, p)
		checkRequestHas(op, v, bat, p)
		if !fieldPattern.MatchString(b.Field) || b.Field == FieldAPIKey {
			p.addf(bat+".field", "%q is not an account field name (id, or a field of the spec's accounts)", b.Field)
		} else if s.secretName(b.Field) {
			p.addf(bat+".field", "%q is secret; a bound value identifies, it does not authenticate", b.Field)
		}
		f.Binds = append(f.Binds, Bound{Location: v, Field: b.Field})
	}
	if len(r.Binds) > 0 && !op.Protected() {
		p.addf(at+".binds", "a bound value must equal a field of the authenticated account, and %s authenticates none", op.Key())
	}
	switch ReusePolicy(r.OnReuse) {
	case "", ReuseRefuse:
		f.OnReuse = ReuseRefuse
	case ReuseRevokeFamily:
		f.OnReuse = ReuseRevokeFamily
	default:
		p.addf(at+".onReuse", "%q is not refuse or revokeFamily", r.OnReuse)
	}
	if r.OnReuse != "" && (f.Kind != KindRefresh || !f.Rotate) {
		p.addf(at+".onReuse", "only a refresh flow that rotates meets a reused refresh token")
	}
	if (len(r.Fixed) > 0 || r.Client != nil) && f.Kind != KindLogin && f.Kind != KindRefresh {
		p.addf(at, "only a login or a refresh takes fixed values or authenticates a client")
	}

	refs := allowRefs("now")
	switch f.Kind {
	case KindLogin, KindRefresh:
		refs = withLifetimes(allowAccountRefs(s.secretName))
	case KindResource, KindLogout:
		refs = allowAccountRefs(s.secretName)
	case KindAPIKeyCreate, KindAPIKeyList, KindAPIKeyDelete:
		refs = allowAccountAndKeyRefs(s.secretName)
	}
	var err error
	if f.Body, err = compileTemplate(r.Body, refs); err != nil {
		p.addf(at+".body", "%v", err)
	}
	if f.Item, err = compileTemplate(r.Item, refs); err != nil {
		p.addf(at+".item", "%v", err)
	}

	need := func(cond bool, what string) {
		if !cond {
			p.addf(at, "a %s flow needs %s", f.Kind, what)
		}
	}
	needFailure := func(names ...Failure) {
		for _, n := range names {
			if _, ok := f.Failures[n]; !ok {
				p.addf(at+".failures", "a %s flow needs a status for %s", f.Kind, n)
			}
		}
	}
	hasAccess := slices.ContainsFunc(f.Tokens, func(t TokenOut) bool { return t.Token == TokenAccess })
	hasRefreshOut := slices.ContainsFunc(f.Tokens, func(t TokenOut) bool { return t.Token == TokenRefresh })
	if op.Op.RequestBody != nil || len(op.Op.Parameters) > 0 {
		needFailure(FailInvalidRequest) // only a request with inputs can break its schema
	}
	switch f.Kind {
	case KindLogin:
		need(len(r.Credentials) > 0, "credentials: where the login reads each account field it takes")
		need(hasAccess, "a token location: tokens with token: access")
		needFailure(FailUnknownAccount)
		if slices.ContainsFunc(f.Credentials, Credential.Secret) {
			needFailure(FailBadCredentials)
		}
	case KindRefresh:
		need(f.RefreshToken != nil, "refreshToken: where the refresh token is read")
		if f.OnReuse == ReuseRevokeFamily {
			needFailure(FailInvalidCredential)
		}
		need(hasAccess, "a token location: tokens with token: access")
		needFailure(FailInvalidCredential)
		if f.Rotate {
			need(hasRefreshOut, "a refresh token location (tokens with token: refresh) when it rotates")
		}
	case KindAPIKeyCreate:
		_, ok := f.Body.PointerOf("key.token")
		need(ok, `a body with "{{key.token}}" so the new key reaches its owner`)
	case KindAPIKeyList:
		need(f.Item != nil, "an item template for one listed key")
	case KindAPIKeyDelete:
		need(f.KeyValue != nil, "keyValue: where the key to delete is read")
		needFailure(FailNotFound)
	}
	if f.Client != nil {
		needFailure(FailInvalidClient)
	}
	if f.Kind != KindLogin && f.Kind != KindRefresh && f.Kind != KindJWKS {
		need(len(f.Tokens) == 0, "no tokens; only login and refresh issue them")
		need(op.Protected(), "a security requirement: it acts for an authenticated account")
		needFailure(FailMissingCredential, FailInvalidCredential)
	}
	if f.Kind == KindLogin || f.Kind == KindRefresh {
		need(!op.Protected(), "no security requirement: it is how a client gets a credential")
	}
	if f.Kind == KindJWKS {
		need(!op.Protected(), "no security requirement: anyone may read the public keys")
		need(op.Method == "GET", "the GET method")
		if !strings.HasPrefix(s.Tokens.Algorithm, "RS") && !strings.HasPrefix(s.Tokens.Algorithm, "ES") {
			p.addf(at+".kind", "a JWKS publishes public keys, and x-authconform.tokens.algorithm %s has none; use RS256 or ES256", s.Tokens.Algorithm)
		}
	}
	return f
}

// failureStatus reads a failure: a status the vendor's document states, or {status, decision}
// when the status is our reading of a gap, either with the failure's own body template.
func failureStatus(v any, pointer, at string, p *problems) (int, string, any) {
	if m, ok := v.(map[string]any); ok {
		var rf rawFailure
		p.decode(pointer, at, m, &rf)
		return rf.Status, rf.Decision, rf.Body
	}
	var n int
	if f, ok := v.(float64); !ok || f != float64(int(f)) {
		p.addf(at, "want a status (the vendor documents it), or {status: N, decision: ID, body: {...}}, found %s", describe(v))
		return 0, "", nil
	}
	p.decode(pointer, at, v, &n)
	return n, "", nil
}

// opPointer is the RFC 6901 pointer of an operation in the document.
func opPointer(path, method string) string {
	return "/paths/" + escapePointer(path) + "/" + strings.ToLower(method)
}

func location(r rawLocation, at string, p *problems) Location {
	l := Location{In: In(r.In), Name: r.Name, Pointer: r.Pointer}
	switch l.In {
	case InBody:
		if !strings.HasPrefix(l.Pointer, "/") {
			p.addf(at, "a body location needs a JSON pointer such as /token, found %q", l.Pointer)
		}
		if l.Name != "" {
			p.addf(at, "a body location takes a pointer, not a name")
		}
	case InHeader, InQuery:
		if l.Name == "" {
			p.addf(at, "a %s location needs a name", l.In)
		}
		if l.Pointer != "" {
			p.addf(at, "a %s location takes a name, not a pointer", l.In)
		}
		if l.In == InHeader && l.Name != "" && !validHeaderName(l.Name) {
			p.addf(at, "%q is not a valid header name", l.Name)
		}
	default:
		p.addf(at+".in", "%q is not one of body, header, query", r.In)
	}
	return l
}

func validHeaderName(s string) bool {
	for _, c := range s {
		if c <= ' ' || c >= 0x7f || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, c) {
			return false
		}
	}
	return s != ""
}

// checkRequestHas reports a credential or token read from a place the request does not declare.
func checkRequestHas(op *Operation, l Location, at string, p *problems) {
	switch l.In {
	case InBody:
		rb := op.Op.RequestBody
		if rb == nil || rb.Value == nil {
			p.addf(at, "reads the body, but the operation has no requestBody")
			return
		}
		mediaType := op.RequestMediaType()
		mt := rb.Value.Content.Get(mediaType)
		switch {
		case mediaType == "":
			p.addf(at, "reads the body, but the request body is neither JSON nor a form (application/x-www-form-urlencoded)")
		case mediaType == MediaForm && strings.Count(l.Pointer, "/") != 1:
			p.addf(at, "a form has no nesting: write a top-level pointer such as /grant_type, found %s", l.Pointer)
		case mt == nil || !schemaHas(mt.Schema, l.Pointer):
			p.addf(at, "the %s request body schema has no property at %s", mediaType, l.Pointer)
		}
	case InQuery, InHeader:
		if op.Op.Parameters.GetByInAndName(string(l.In), l.Name) == nil && l.In == InQuery {
			p.addf(at, "reads query parameter %q, which the operation does not declare", l.Name)
		}
	}
}

// checkResponseHas reports a token written where the success response does not declare it.
func checkResponseHas(op *Operation, status int, l Location, at string, p *problems) {
	if op.Op.Responses == nil {
		return
	}
	r := op.Op.Responses.Status(status)
	if r == nil || r.Value == nil {
		return // reported with the status
	}
	switch l.In {
	case InHeader:
		found := false
		for name := range r.Value.Headers {
			if strings.EqualFold(name, l.Name) {
				found = true
			}
		}
		if !found {
			p.addf(at, "writes header %q, which response %d does not declare", l.Name, status)
		}
	case InBody:
		mt := r.Value.Content.Get("application/json")
		if mt == nil || !schemaHas(mt.Schema, l.Pointer) {
			p.addf(at, "response %d's JSON schema has no property at %s", status, l.Pointer)
		}
	}
}

// schemaHas reports whether an object schema declares the property a JSON pointer names.
func schemaHas(ref *openapi3.SchemaRef, pointer string) bool {
	for _, part := range strings.Split(strings.TrimPrefix(pointer, "/"), "/") {
		if ref == nil || ref.Value == nil {
			return false
		}
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		ref = ref.Value.Properties[part]
	}
	return ref != nil
}

func added(p *problems, at string, ext map[string]any) string {
	v, ok := ext[extAdded]
	if !ok {
		return ""
	}
	s, isString := v.(string)
	if !isString || strings.TrimSpace(s) == "" {
		p.addf(at+"."+extAdded, "say why this was added, as a sentence")
	}
	return s
}

// checkUnknown reports x-authconform* extensions that do not belong at this place, so a misspelt
// extension is an error rather than silently ignored. Other vendors' x- fields are left alone.
func checkUnknown(p *problems, at string, ext map[string]any, allowed ...string) {
	for _, k := range sortedKeys(ext) {
		if !strings.HasPrefix(strings.ToLower(k), extPrefix) || slices.Contains(allowed, k) {
			continue
		}
		if len(allowed) == 0 {
			p.addf(joinAt(at, k), "unknown extension; none of ours belongs here")
		} else {
			p.addf(joinAt(at, k), "unknown extension; here only %s", strings.Join(allowed, ", "))
		}
	}
}

func joinAt(at, k string) string {
	if at == "" {
		return k
	}
	return at + "." + k
}

func flowAt(op *Operation) string {
	return "paths." + op.Path + "." + strings.ToLower(op.Method) + "." + extFlow
}

func allowRefs(names ...string) func(string) error {
	return func(ref string) error {
		if slices.Contains(names, ref) {
			return nil
		}
		return fmt.Errorf("{{%s}} cannot be used here; use %s", ref, strings.Join(names, ", "))
	}
}

// allowAccountRefs allows now and account.<field>, but no secret field: secret reports whether a
// field is one (the spec's declared secrets, or password).
func allowAccountRefs(secret func(string) bool) func(string) error {
	return func(ref string) error {
		if ref == "now" {
			return nil
		}
		field, ok := strings.CutPrefix(ref, "account.")
		if !ok || field == "" {
			return fmt.Errorf("{{%s}} cannot be used here; use account.<field> or now", ref)
		}
		if secret(field) || field == FieldAPIKey || field == "apiKeys" {
			return fmt.Errorf("{{%s}} would echo a secret into a response", ref)
		}
		return nil
	}
}

// lifetimeRefs are the token lifetimes a login's or refresh's body may show (an expires_in).
var lifetimeRefs = []string{"tokens.access.lifetime.seconds", "tokens.refresh.lifetime.seconds"}

// withLifetimes also allows the token lifetimes, in seconds.
func withLifetimes(next func(string) error) func(string) error {
	return func(ref string) error {
		if slices.Contains(lifetimeRefs, ref) {
			return nil
		}
		if err := next(ref); err != nil {
			return fmt.Errorf("%w, %s", err, strings.Join(lifetimeRefs, ", "))
		}
		return nil
	}
}

// failureRefs are the references of a failure's body: failure, status, message, now, and
// account.<field> (no secret one), which stays out of the body when the refusal knows no account.
func failureRefs(secret func(string) bool) func(string) error {
	acc := allowAccountRefs(secret)
	return func(ref string) error {
		if slices.Contains([]string{"failure", "status", "message"}, ref) {
			return nil
		}
		if err := acc(ref); err != nil && !strings.HasPrefix(ref, "account.") {
			return fmt.Errorf("{{%s}} cannot be used here; use failure, status, message, now or account.<field>", ref)
		} else if err != nil {
			return err
		}
		return nil
	}
}

func allowAccountAndKeyRefs(secret func(string) bool) func(string) error {
	acc := allowAccountRefs(secret)
	return func(ref string) error {
		if field, ok := strings.CutPrefix(ref, "key."); ok {
			if slices.Contains(keyFields, field) {
				return nil
			}
			return fmt.Errorf("{{%s}}: an API key has %s", ref, strings.Join(keyFields, ", "))
		}
		if err := acc(ref); err != nil {
			return fmt.Errorf("{{%s}} cannot be used here; use key.<field>, account.<field> or now", ref)
		}
		return nil
	}
}

func joinKinds() string {
	s := make([]string, len(FlowKinds))
	for i, k := range FlowKinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

func joinFailures() string {
	s := make([]string, len(Failures))
	for i, f := range Failures {
		s[i] = string(f)
	}
	return strings.Join(s, ", ")
}
