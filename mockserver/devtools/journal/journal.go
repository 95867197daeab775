// Package journal is the mock's request journal: the last N requests to the specs' routes and
// their responses (admin calls are not journaled), with every credential redacted
// (mockserver.Redact: its length only) and every JWT decoded, so a developer sees which token
// went where and what it says, but never a character of a secret. A secret is recognised four ways: the places the spec names (security
// scheme headers, secret login credentials, token locations), names that say so (password, pass,
// pwd, secret, token, key, auth...), values that are JWTs or API keys the mock created, and
// values equal to a secret the mock was configured with (an account's password or API key, the
// admin token, a signing key), or containing one of 8 characters or more, whatever the header,
// parameter, member or path segment they are in.
package journal

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/authconform/authconform/mockserver"
	"github.com/authconform/authconform/specs"
)

// Bounds of what one journal entry holds.
const (
	journalMaxBody    = 64 << 10 // larger bodies are shown by size only
	journalMaxHeaders = 64
	journalMaxValue   = 512
	// MaxLimit bounds how many entries one read returns.
	MaxLimit = 10000
)

// Entry is one request and its response, redacted.
type Entry struct {
	ID        uint64              `json:"id"`
	At        time.Time           `json:"at"` // on the mock's clock
	Millis    float64             `json:"ms"` // wall time taken
	Method    string              `json:"method"`
	Path      string              `json:"path"`
	Query     map[string][]string `json:"query,omitempty"`
	Spec      string              `json:"spec,omitempty"`
	Operation string              `json:"operation,omitempty"`
	Account   string              `json:"account,omitempty"`
	Status    int                 `json:"status"`
	Failure   string              `json:"failure,omitempty"`
	Request   Message             `json:"request"`
	Response  Message             `json:"response"`
	JWTs      []DecodedJWT        `json:"jwts,omitempty"`
}

// Message is the headers and body of a request or response.
type Message struct {
	Headers map[string]string `json:"headers"`
	Body    any               `json:"body,omitempty"`
}

// DecodedJWT is a JWT met in a request or response: where, redacted, and what it says. The
// signature is never shown.
type DecodedJWT struct {
	Where  string         `json:"where"`
	Token  string         `json:"token"`
	Header map[string]any `json:"header"`
	Claims map[string]any `json:"claims"`
}

// Journal is a ring of the last requests. Entries are kept raw (bounded copies of headers and
// bodies) and redacted when read: redacting and decoding every JWT on the request path cost two
// thirds of a login's allocations, while the journal is read rarely. The raw copies live only in
// memory, which holds the accounts' secrets anyway; what leaves the mock is always redacted.
type Journal struct {
	mu      sync.Mutex
	size    int // 0: off
	entries []rawEntry
	start   int
	next    atomic.Uint64
	names   map[string]bool // secret field names of the served specs, for redaction on read
	secrets *secretSet      // configured secret values, for redaction on read
}

// rawEntry is a journal entry before redaction.
type rawEntry struct {
	e                 Entry // the fields that need no redaction
	query             url.Values
	reqHeader         headerPairs
	respHeader        headerPairs
	reqBody, respBody []byte
	hasReqBody        bool
	hasRespBody       bool
}

// headerPairs keeps a header for the journal as name, value, name, value...: one allocation on
// the request path, where http.Header.Clone makes a map.
type headerPairs []string

func pairsOf(h http.Header) headerPairs {
	n := 0
	for _, vs := range h {
		n += len(vs)
	}
	out := make(headerPairs, 0, 2*n)
	for k, vs := range h {
		for _, v := range vs {
			out = append(out, k, v)
		}
	}
	return out
}

func (p headerPairs) header() http.Header {
	h := make(http.Header, len(p)/2)
	for i := 0; i+1 < len(p); i += 2 {
		h[p[i]] = append(h[p[i]], p[i+1])
	}
	return h
}

// New returns a journal keeping the last size requests (0 or less: off, Record keeps nothing).
func New(size int) *Journal {
	if size < 0 {
		size = 0
	}
	return &Journal{size: size}
}

// Size is how many requests the journal keeps.
func (j *Journal) Size() int { return j.size }

func (j *Journal) add(e rawEntry) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if len(j.entries) < j.size {
		j.entries = append(j.entries, e)
		return
	}
	j.entries[j.start] = e
	j.start = (j.start + 1) % j.size
}

// Last returns up to limit entries, newest first, redacted.
func (j *Journal) Last(limit int) []Entry {
	j.mu.Lock()
	n := min(limit, len(j.entries))
	raw := make([]rawEntry, 0, n)
	for i := 0; i < n; i++ {
		idx := (j.start + len(j.entries) - 1 - i) % len(j.entries)
		raw = append(raw, j.entries[idx])
	}
	names, secrets := j.names, j.secrets
	j.mu.Unlock()
	out := make([]Entry, len(raw))
	for i, r := range raw {
		out[i] = r.redact(names, secrets)
	}
	return out
}

// AddSecrets adds configured secret values (accounts' passwords and API keys, the admin token,
// signing keys). None is ever removed: an entry recorded before a reload or a reset may hold one.
func (j *Journal) AddSecrets(values ...string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.secrets = j.secrets.with(values)
}

// secretSet is a set of secret values, copied on write so readers need no lock.
type secretSet struct {
	exact map[string]bool
	long  []string // the values of at least minContained bytes, looked for inside other values
}

// minContained is the length from which a secret is also redacted inside a longer value
// ("carol:carol-password"); shorter ones ("pass") only where they are the whole value.
const minContained = 8

func (ss *secretSet) with(values []string) *secretSet {
	out := &secretSet{exact: map[string]bool{}}
	if ss != nil {
		for v := range ss.exact {
			out.exact[v] = true
		}
		out.long = slices.Clone(ss.long)
	}
	for _, v := range values {
		if v == "" || out.exact[v] {
			continue
		}
		out.exact[v] = true
		if len(v) >= minContained {
			out.long = append(out.long, v)
		}
	}
	return out
}

// holds reports whether v is, or contains, a secret of the set, or an API key the mock created.
func (ss *secretSet) holds(v string) bool {
	if containsCreatedKey(v) {
		return true
	}
	if ss == nil || v == "" {
		return false
	}
	if ss.exact[v] {
		return true
	}
	for _, s := range ss.long {
		if strings.Contains(v, s) {
			return true
		}
	}
	return false
}

// containsCreatedKey reports whether v holds an API key the mock created: mockserver.KeyPrefix and the 52
// base32 characters of two rand.Text.
func containsCreatedKey(v string) bool {
	for {
		i := strings.Index(v, mockserver.KeyPrefix)
		if i < 0 {
			return false
		}
		v = v[i+len(mockserver.KeyPrefix):]
		n := 0
		for n < len(v) && (v[n] >= 'A' && v[n] <= 'Z' || v[n] >= '2' && v[n] <= '7') {
			n++
		}
		if n >= 52 {
			return true
		}
	}
}

// AddSpec adds the names under which a served spec carries secrets (a reload keeps those of the
// specs served before, so entries recorded before it stay redacted).
func (j *Journal) AddSpec(sp *specs.Spec) {
	names := map[string]bool{}
	specSecretNames(sp, names)
	j.mu.Lock()
	defer j.mu.Unlock()
	merged := make(map[string]bool, len(j.names)+len(names))
	for k := range j.names {
		merged[k] = true
	}
	for k := range names {
		merged[k] = true
	}
	j.names = merged
}

// Clear forgets every entry.
func (j *Journal) Clear() {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.entries, j.start = nil, 0
}

// redact builds the entry as the journal shows it: every secret redacted, JWTs decoded.
func (r rawEntry) redact(names map[string]bool, secrets *secretSet) Entry {
	e := r.e
	red := &redactor{names: names, secrets: secrets}
	e.Path = red.path(e.Path)
	if len(r.query) > 0 {
		e.Query = map[string][]string{}
		for k, vs := range r.query {
			if len(e.Query) >= journalMaxHeaders {
				break
			}
			for _, v := range vs {
				e.Query[k] = append(e.Query[k], red.value("query "+k, k, v))
			}
		}
	}
	e.Request.Headers = red.headers("request", r.reqHeader.header())
	if r.hasReqBody {
		e.Request.Body = red.body("request body", r.reqBody)
	}
	e.Response.Headers = red.headers("response", r.respHeader.header())
	if r.hasRespBody {
		e.Response.Body = red.body("response body", r.respBody)
	}
	e.JWTs = red.jwts
	return e
}

// Record adds a served request to the journal, as an observer of the core (Hooks.Observe):
// bounded raw copies, redacted on read, at the time clock tells. Requests to the admin API are
// not journaled.
func (j *Journal) Record(x mockserver.Exchange, clock mockserver.Clock) {
	r := x.Request()
	if j.size == 0 || strings.HasPrefix(r.URL.Path, mockserver.AdminPrefix) {
		return
	}
	e := Entry{
		ID: j.next.Add(1), At: clock.Now().UTC(), Millis: float64(time.Since(x.Start()).Microseconds()) / 1000,
		Method: r.Method, Path: r.URL.Path, Status: x.Status(), Failure: x.Failure(), Account: x.Account(),
	}
	op := x.Operation()
	if op != nil {
		e.Spec, e.Operation = op.Spec().Name, op.Op().ID
	}
	raw := rawEntry{e: e, reqHeader: pairsOf(r.Header), respHeader: pairsOf(x.Writer().Header())}
	if r.URL.RawQuery != "" {
		raw.query = r.URL.Query()
	}
	reqBody, read := x.RequestBody()
	switch {
	case read: // the core kept the body it read; nothing writes to it after
		raw.reqBody, raw.hasReqBody = reqBody[:min(len(reqBody), journalMaxBody+1)], true
	case op != nil && r.Body != nil && e.Status != http.StatusRequestEntityTooLarge && !x.Hijacked():
		// Answered before the core read it (a provoked outcome): read it now, bounded.
		raw.reqBody, _ = io.ReadAll(io.LimitReader(r.Body, journalMaxBody+1))
		raw.hasReqBody = true
	}
	if body, ok := x.ResponseBody(); ok {
		raw.respBody = bytes.Clone(body[:min(len(body), journalMaxBody+1)])
		raw.hasRespBody = true
	}
	j.add(raw)
}

// redactor redacts one journal entry and collects the JWTs it meets.
type redactor struct {
	names   map[string]bool // specSecretNames of every served spec
	secrets *secretSet      // configured secret values
	jwts    []DecodedJWT
}

// path redacts the segments of a request path that are or hold a secret.
func (red *redactor) path(p string) string {
	if !red.secrets.holds(p) {
		return p
	}
	parts := strings.Split(p, "/")
	for i, seg := range parts {
		if red.secrets.holds(seg) {
			parts[i] = mockserver.Redact(seg)
		}
	}
	out := strings.Join(parts, "/")
	if red.secrets.holds(out) { // a secret across segments
		return mockserver.Redact(p)
	}
	return out
}

// secret reports whether a name (header, parameter, JSON member) carries a secret.
func (red *redactor) secret(name string) bool {
	return secretName(name) || red.names[strings.ToLower(name)] ||
		slices.Contains(alwaysSecretHeaders, http.CanonicalHeaderKey(name))
}

// alwaysSecretHeaders are secret whatever the spec says.
var alwaysSecretHeaders = []string{"Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie"}

// secretName reports whether a header, parameter or field name says its value is a secret.
func secretName(name string) bool {
	n := strings.ToLower(name)
	// Headers whose names say auth or credential but carry none.
	if strings.HasPrefix(n, "access-control-") || strings.HasPrefix(n, "x-authconform-") || n == "www-authenticate" {
		return false
	}
	for _, w := range []string{"pass", "pwd", "secret", "token", "key", "auth", "cookie", "credential"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

func (red *redactor) headers(where string, h http.Header) map[string]string {
	out := make(map[string]string, len(h))
	for _, k := range slices.Sorted(maps.Keys(h)) {
		if len(out) >= journalMaxHeaders {
			break
		}
		out[k] = red.value(where+" header "+k, k, strings.Join(h[k], ", "))
	}
	return out
}

// value redacts one header or query value: secrets by name, any JWT and any configured secret; an
// Authorization value keeps its scheme ("Bearer [redacted 163 chars]").
func (red *redactor) value(where, name, v string) string {
	secret := red.secret(name)
	if scheme, rest, ok := strings.Cut(v, " "); ok && secret && !strings.Contains(rest, " ") && !red.secrets.holds(scheme) {
		red.jwt(where, rest)
		return scheme + " " + mockserver.Redact(rest)
	}
	if red.jwt(where, v) || secret || red.secrets.holds(v) {
		return mockserver.Redact(v)
	}
	if len(v) > journalMaxValue {
		return v[:journalMaxValue] + "…"
	}
	return v
}

// body shows a JSON body redacted, anything else by its size only (it may be a form holding a
// password).
func (red *redactor) body(where string, data []byte) any {
	if len(data) == 0 {
		return nil
	}
	if len(data) > journalMaxBody {
		return "(more than 64 KiB, not shown)"
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return "(" + strconv.Itoa(len(data)) + " bytes, not JSON, not shown)"
	}
	return red.walk(where, "", v)
}

// walk redacts a decoded JSON value: members whose names say secret, configured secrets and JWTs
// anywhere.
func (red *redactor) walk(where, name string, v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = red.walk(where+" /"+k, k, e)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = red.walk(where, name, e)
		}
		return out
	case string:
		if red.jwt(where, t) || (name != "" && red.secret(name)) || red.secrets.holds(t) {
			return mockserver.Redact(t)
		}
	}
	return v
}

// jwt decodes v when it is a JWT and notes it; true when it was one.
func (red *redactor) jwt(where, v string) bool {
	header, claims, ok := decodeJWT(v)
	if !ok {
		return false
	}
	if len(red.jwts) < 32 {
		// The claims of a token the mock did not issue may hold anything, a password too.
		plain := &redactor{names: red.names, secrets: red.secrets}
		header, _ = plain.walk(where, "", header).(map[string]any)
		claims, _ = plain.walk(where, "", claims).(map[string]any)
		red.jwts = append(red.jwts, DecodedJWT{Where: where, Token: mockserver.Redact(v), Header: header, Claims: claims})
	}
	return true
}

// decodeJWT reads the header and claims of a compact JWS without verifying it. The signature is
// not looked at.
func decodeJWT(v string) (header, claims map[string]any, ok bool) {
	if len(v) > 16<<10 || strings.Count(v, ".") != 2 {
		return nil, nil, false
	}
	parts := strings.SplitN(v, ".", 3)
	hb, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil || json.Unmarshal(hb, &header) != nil || header["alg"] == nil {
		return nil, nil, false
	}
	cb, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil || json.Unmarshal(cb, &claims) != nil {
		return nil, nil, false
	}
	return header, claims, true
}

// specSecretNames adds, lower case, every name under which the spec carries a secret: security
// scheme headers (not those that only bind or name a tenant), token locations, secret login
// credentials, refresh token and API key locations. For body locations the last pointer segment.
func specSecretNames(sp *specs.Spec, set map[string]bool) {
	add := func(l specs.Location) {
		name := l.Name
		if l.In == specs.InBody {
			name = l.Pointer[strings.LastIndex(l.Pointer, "/")+1:]
		}
		if name != "" {
			set[strings.ToLower(name)] = true
		}
	}
	for _, sc := range sp.Schemes {
		if sc.Binds == "" && sc.Impersonates == "" {
			set[strings.ToLower(sc.Header)] = true
		}
	}
	for _, op := range sp.Operations {
		f := op.Flow
		for _, t := range f.Tokens {
			add(t.Location)
		}
		for _, c := range f.Credentials {
			if c.Secret() {
				add(c.Location)
			}
		}
		if f.Client != nil {
			if l := f.Client.Secret; l != nil {
				add(*l)
			}
		}
		for _, l := range []*specs.Location{f.RefreshToken, f.KeyValue} {
			if l != nil {
				add(*l)
			}
		}
	}
}
