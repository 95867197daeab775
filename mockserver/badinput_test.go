package mockserver

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authconform/authconform/specs"
)

// The mock faces whatever a half-written frontend sends. Every case below sends one bad request to
// a mock that holds live state (a logged-in session, API keys), then checks the answer and that
// the mock still works and still holds that state:
//   - the status is one the operation documents (404/405 outside any operation, 413 over the body
//     limit), the one the spec names for the failure where the case pins it, and never a 5xx the
//     spec does not document, nor the mock's "internal error";
//   - an error answer carries a message (header, and body when the spec documents a JSON body) in
//     the vendor's error shape (validated against the spec), and no header value holds CR or LF;
//   - afterwards a good login still succeeds, the live access token is still accepted, the
//     account's generation has not moved and its API keys are the same.

// badProfile is how one spec is driven: its good login, its protected probe and how a token is
// presented there, its refresh and key operations when it has them.
type badProfile struct {
	spec         string
	login        func(h *harness) *http.Request // a good login
	loginPath    string                         // its path, for path tricks
	loginMethod  string
	loginBody    map[string]any // the good login's JSON body
	token        func(h *harness) (access, refresh string)
	probe        string                      // GET path of a protected operation
	present      func(token string) []string // header pairs presenting an access token at probe
	accountID    string                      // the token's subject, for the generation check
	refreshPath  string                      // "" when the spec has no refresh
	refreshField string
	keys         bool      // the spec has API-key create/list/delete (and the state to check)
	extra        []badCase // cases of the spec's own operations
}

var badProfiles = []badProfile{
	{
		spec: "efalia", loginPath: efalia + "/auth/token", loginMethod: "POST",
		loginBody: map[string]any{"username": "alice", "password": "alice-password"},
		token:     func(h *harness) (string, string) { return h.efaliaTokens("alice", "alice-password") },
		probe:     efalia + "/processes",
		present:   func(tok string) []string { return []string{"Authorization", "Bearer " + tok} },
		accountID: "alice", refreshPath: efalia + "/auth/refresh", refreshField: "refreshToken",
	},
	{
		spec: "pixfile", loginPath: "/api/v2/login", loginMethod: "POST",
		loginBody: map[string]any{"username": "user", "password": "pass"},
		token:     func(h *harness) (string, string) { return h.pixfileToken("user", "pass"), "" },
		probe:     "/api/v2/customers",
		present:   func(tok string) []string { return []string{"X-Auth-Token", tok} },
		accountID: "user",
		extra:     queryLoginCases,
	},
	{
		spec: "elyssa", loginPath: "/auth/login/", loginMethod: "POST",
		loginBody: map[string]any{"companyId": company1},
		token:     func(h *harness) (string, string) { return h.elyssaTokens(company1) },
		probe:     "/companies/me",
		present: func(tok string) []string {
			return []string{"Authorization", "Bearer " + tok, "x-company-id", company1}
		},
		accountID: company1, refreshPath: "/auth/refresh/", refreshField: "refresh",
	},
	{
		spec: "precrime", loginPath: "/user/login", loginMethod: "POST",
		loginBody: map[string]any{"username": "john.doe", "password": "SecurePass123!"},
		token:     func(h *harness) (string, string) { return h.precrimeToken("john.doe", "SecurePass123!"), "" },
		probe:     "/authheader/list",
		present:   func(tok string) []string { return []string{"Authorization", "Bearer " + tok} },
		accountID: "12345678-1234-1234-1234-123456789abc", keys: true,
	},
}

func init() {
	for i := range badProfiles {
		p := &badProfiles[i]
		p.login = func(h *harness) *http.Request {
			b, _ := json.Marshal(p.loginBody)
			return h.req(p.loginMethod, p.loginPath, string(b))
		}
	}
}

// live is the state a case must not disturb.
type live struct {
	access, refresh string
	key             string   // an API key created before the cases (keys specs)
	keyIDs          []string // the account's key ids
	gen             uint64
}

// badCase is one bad request. want, when set, is the failure whose status (as the spec maps it)
// the answer must have; status pins a routing status (404, 405, 413); ok marks a request the mock
// may accept, whose answer must still be documented.
type badCase struct {
	name   string
	req    func(h *harness, p *badProfile, st *live) *http.Request
	want   specs.Failure
	status int
	ok     bool
}

// rawReq builds a request to target (a request URI, as on the wire) with a raw body and content
// type ("" leaves it unset); kv are header name/value pairs, added as written.
func rawReq(method, target, body, ctype string, kv ...string) *http.Request {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r := httptest.NewRequest("GET", "/", rd)
	r.Method = method
	u, err := url.ParseRequestURI(target) // as net/http reads a request line
	if err != nil {
		u = &url.URL{Path: target}
	}
	r.URL = u
	r.RequestURI = target
	if ctype != "" {
		r.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		r.Header[kv[i]] = append(r.Header[kv[i]], kv[i+1])
	}
	return r
}

// loginWith is the good login's body with one member replaced (value nil: removed).
func loginWith(p *badProfile, field string, value any) string {
	m := map[string]any{}
	for k, v := range p.loginBody {
		m[k] = v
	}
	if value == nil {
		delete(m, field)
	} else {
		m[field] = value
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// firstField is the login's username field, else its first credential field.
func firstField(p *badProfile) string {
	keys := slices.Sorted(maps.Keys(p.loginBody))
	if slices.Contains(keys, "username") {
		return "username"
	}
	return keys[0]
}

func goodLoginBody(p *badProfile) string { return loginWith(p, "", nil) }

// loginCases attack the login operation's request parsing.
var loginCases = []badCase{
	{name: "malformed JSON", want: specs.FailInvalidRequest, req: func(h *harness, p *badProfile, _ *live) *http.Request {
		return h.req("POST", p.loginPath, `{"username":`)
	}},
	{name: "truncated JSON", want: specs.FailInvalidRequest, req: func(h *harness, p *badProfile, _ *live) *http.Request {
		b := goodLoginBody(p)
		return h.req("POST", p.loginPath, b[:len(b)/2])
	}},
	{name: "JSON array instead of object", want: specs.FailInvalidRequest, req: func(h *harness, p *badProfile, _ *live) *http.Request {
		return h.req("POST", p.loginPath, `[]`)
	}},
	{name: "JSON string instead of object", want: specs.FailInvalidRequest, req: func(h *harness, p *badProfile, _ *live) *http.Request {
		return h.req("POST", p.loginPath, `"alice"`)
	}},
	{name: "JSON null", want: specs.FailInvalidRequest, req: func(h *harness, p *badProfile, _ *live) *http.Request {
		return h.req("POST", p.loginPath, `null`)
	}},
	{name: "JSON number", want: specs.FailInvalidRequest, req: func(h *harness, p *badProfile, _ *live) *http.Request {
		return h.req("POST", p.loginPath, `12`)
	}},
	{name: "empty object", want: specs.FailInvalidRequest, req: func(h *harness, p *badProfile, _ *live) *http.Request {
		return h.req("POST", p.loginPath, `{}`)
	}},
	{name: "empty body", want: specs.FailInvalidRequest, req: func(h *harness, p *badProfile, _ *live) *http.Request {
		return rawReq("POST", p.loginPath, "", "application/json")
	}},
	{name: "field is a number", want: specs.FailInvalidRequest, req: func(h *harness, p *badProfile, _ *live) *http.Request {
		return h.req("POST", p.loginPath, loginWith(p, firstField(p), 42))
	}},
	{name: "field is an array", want: specs.FailInvalidRequest, req: func(h *harness, p *badProfile, _ *live) *http.Request {
		return h.req("POST", p.loginPath, loginWith(p, firstField(p), []any{"alice"}))
	}},
	{name: "field is an object", want: specs.FailInvalidRequest, req: func(h *harness, p *badProfile, _ *live) *http.Request {
		return h.req("POST", p.loginPath, loginWith(p, firstField(p), map[string]any{"$ne": ""}))
	}},
	{name: "field is a boolean", want: specs.FailInvalidRequest, req: func(h *harness, p *badProfile, _ *live) *http.Request {
		return h.req("POST", p.loginPath, loginWith(p, firstField(p), true))
	}},
	{name: "field is null", want: specs.FailInvalidRequest, req: func(h *harness, p *badProfile, _ *live) *http.Request {
		return h.req("POST", p.loginPath, strings.Replace(goodLoginBody(p), `"`+firstField(p)+`":"`, `"`+firstField(p)+`":null,"x":"`, 1))
	}},
	{name: "huge string value", req: func(h *harness, p *badProfile, _ *live) *http.Request {
		return h.req("POST", p.loginPath, loginWith(p, firstField(p), strings.Repeat("a", DefaultMaxBody-1024)))
	}},
	{name: "deep nesting", want: specs.FailInvalidRequest, req: func(h *harness, p *badProfile, _ *live) *http.Request {
		return h.req("POST", p.loginPath, `{"`+firstField(p)+`":`+strings.Repeat("[", 100000)+strings.Repeat("]", 100000)+`}`)
	}},
	{name: "deep nesting of objects", want: specs.FailInvalidRequest, req: func(h *harness, p *badProfile, _ *live) *http.Request {
		return h.req("POST", p.loginPath, strings.Repeat(`{"a":`, 50000)+"1"+strings.Repeat("}", 50000))
	}},
	{name: "escaped NUL in a value", req: func(h *harness, p *badProfile, _ *live) *http.Request {
		return h.req("POST", p.loginPath, loginWith(p, firstField(p), "alice\x00admin"))
	}},
	{name: "raw NUL bytes", want: specs.FailInvalidRequest, req: func(h *harness, p *badProfile, _ *live) *http.Request {
		return h.req("POST", p.loginPath, "{\x00\"username\":\"alice\"\x00}")
	}},
	{name: "invalid UTF-8 in a value", req: func(h *harness, p *badProfile, _ *live) *http.Request {
		return h.req("POST", p.loginPath, `{"`+firstField(p)+`":"\xff\xfe\xc3\x28"}`)
	}},
	{name: "invalid UTF-8 in a key", req: func(h *harness, p *badProfile, _ *live) *http.Request {
		return h.req("POST", p.loginPath, "{\"\xff\xfe\":\"x\"}")
	}},
	{name: "duplicate keys, the last one wrong", req: func(h *harness, p *badProfile, _ *live) *http.Request {
		b := goodLoginBody(p)
		return h.req("POST", p.loginPath, strings.TrimSuffix(b, "}")+`,"`+firstField(p)+`":"mallory"}`)
	}},
	{name: "oversized body", status: http.StatusRequestEntityTooLarge, req: func(h *harness, p *badProfile, _ *live) *http.Request {
		return h.req("POST", p.loginPath, `{"x":"`+strings.Repeat("a", DefaultMaxBody)+`"}`)
	}},
	{name: "trailing garbage after the object", want: specs.FailInvalidRequest, req: func(h *harness, p *badProfile, _ *live) *http.Request {
		return h.req("POST", p.loginPath, goodLoginBody(p)+" xyz")
	}},
	{name: "two objects", want: specs.FailInvalidRequest, req: func(h *harness, p *badProfile, _ *live) *http.Request {
		return h.req("POST", p.loginPath, goodLoginBody(p)+goodLoginBody(p))
	}},
	{name: "byte order mark", ok: true, req: func(h *harness, p *badProfile, _ *live) *http.Request {
		return h.req("POST", p.loginPath, "\xef\xbb\xbf"+goodLoginBody(p))
	}},
	{name: "Content-Type text/plain", want: specs.FailInvalidRequest, req: func(h *harness, p *badProfile, _ *live) *http.Request {
		return rawReq("POST", p.loginPath, goodLoginBody(p), "text/plain")
	}},
	{name: "no Content-Type", ok: true, req: func(h *harness, p *badProfile, _ *live) *http.Request {
		return rawReq("POST", p.loginPath, goodLoginBody(p), "")
	}},
	{name: "Content-Type application/xml", want: specs.FailInvalidRequest, req: func(h *harness, p *badProfile, _ *live) *http.Request {
		return rawReq("POST", p.loginPath, "<login><username>alice</username></login>", "application/xml")
	}},
	{name: "Content-Type form", want: specs.FailInvalidRequest, req: func(h *harness, p *badProfile, _ *live) *http.Request {
		return rawReq("POST", p.loginPath, "username=alice&password=alice-password", "application/x-www-form-urlencoded")
	}},
	{name: "Content-Type multipart without boundary", want: specs.FailInvalidRequest, req: func(h *harness, p *badProfile, _ *live) *http.Request {
		return rawReq("POST", p.loginPath, "--x\r\n\r\n", "multipart/form-data")
	}},
	{name: "Content-Type garbage", want: specs.FailInvalidRequest, req: func(h *harness, p *badProfile, _ *live) *http.Request {
		return rawReq("POST", p.loginPath, goodLoginBody(p), ";;;=\x01")
	}},
	{name: "Content-Type JSON with a foreign charset", ok: true, req: func(h *harness, p *badProfile, _ *live) *http.Request {
		return rawReq("POST", p.loginPath, goodLoginBody(p), "application/json; charset=utf-16")
	}},
	{name: "unknown method", req: func(h *harness, p *badProfile, _ *live) *http.Request {
		return rawReq("BREW", p.loginPath, goodLoginBody(p), "application/json")
	}, status: http.StatusMethodNotAllowed},
	{name: "lower-case method", status: http.StatusMethodNotAllowed, req: func(h *harness, p *badProfile, _ *live) *http.Request {
		return rawReq(strings.ToLower(p.loginMethod), p.loginPath, goodLoginBody(p), "application/json")
	}},
	{name: "TRACE", status: http.StatusMethodNotAllowed, req: func(h *harness, p *badProfile, _ *live) *http.Request {
		return rawReq("TRACE", p.loginPath, "", "")
	}},
	{name: "path traversal", status: http.StatusNotFound, req: func(h *harness, p *badProfile, _ *live) *http.Request {
		return rawReq("POST", p.loginPath+"/../../../../etc/passwd", goodLoginBody(p), "application/json")
	}},
	{name: "encoded path traversal", status: http.StatusNotFound, req: func(h *harness, p *badProfile, _ *live) *http.Request {
		return rawReq("POST", "/%2e%2e/%2e%2e"+p.loginPath, goodLoginBody(p), "application/json")
	}},
	{name: "traversal into the admin prefix", req: func(h *harness, p *badProfile, _ *live) *http.Request {
		return rawReq("POST", p.loginPath+"/../.."+AdminPrefix+"reset", "", "")
	}, status: http.StatusNotFound},
	{name: "double slash", status: http.StatusNotFound, req: func(h *harness, p *badProfile, _ *live) *http.Request {
		return rawReq("POST", "/"+p.loginPath, goodLoginBody(p), "application/json")
	}},
	{name: "NUL in the path", status: http.StatusNotFound, req: func(h *harness, p *badProfile, _ *live) *http.Request {
		return rawReq("POST", p.loginPath+"%00", goodLoginBody(p), "application/json")
	}},
	{name: "very long path", status: http.StatusNotFound, req: func(h *harness, p *badProfile, _ *live) *http.Request {
		return rawReq("POST", p.loginPath+"/"+strings.Repeat("a", 64<<10), goodLoginBody(p), "application/json")
	}},
	{name: "thousands of query parameters", ok: true, req: func(h *harness, p *badProfile, _ *live) *http.Request {
		var q strings.Builder
		for i := range 5000 {
			fmt.Fprintf(&q, "p%d=%d&", i, i)
		}
		return rawReq("POST", p.loginPath+"?"+q.String(), goodLoginBody(p), "application/json")
	}},
	{name: "thousands of headers", ok: true, req: func(h *harness, p *badProfile, _ *live) *http.Request {
		r := h.req("POST", p.loginPath, goodLoginBody(p))
		for i := range 5000 {
			r.Header.Set(fmt.Sprintf("X-Junk-%d", i), strings.Repeat("j", 20))
		}
		return r
	}},
	{name: "header injection in a header value", ok: true, req: func(h *harness, p *badProfile, _ *live) *http.Request {
		return h.req("POST", p.loginPath, goodLoginBody(p), "Origin", "http://x\r\nSet-Cookie: pwned=1", "X-Request-Id", "1\r\nX-Injected: 1", "Prefer", "status=401\r\nX-Injected: 1")
	}},
	{name: "header injection in a field", req: func(h *harness, p *badProfile, _ *live) *http.Request {
		return h.req("POST", p.loginPath, loginWith(p, firstField(p), "alice\r\nSet-Cookie: pwned=1"))
	}},
}

// probeCases attack the authentication of a protected operation.
var probeCases = []badCase{
	{name: "no credential", want: specs.FailMissingCredential, req: func(h *harness, p *badProfile, _ *live) *http.Request {
		return h.req("GET", p.probe, "")
	}},
	{name: "Basic with no colon", req: func(h *harness, p *badProfile, _ *live) *http.Request {
		return h.req("GET", p.probe, "", authKV(p, "Basic "+base64.StdEncoding.EncodeToString([]byte("alice")))...)
	}},
	{name: "Basic not base64", req: func(h *harness, p *badProfile, _ *live) *http.Request {
		return h.req("GET", p.probe, "", authKV(p, "Basic !!!")...)
	}},
	{name: "Basic empty", req: func(h *harness, p *badProfile, _ *live) *http.Request {
		return h.req("GET", p.probe, "", authKV(p, "Basic ")...)
	}},
	{name: "Basic with a huge password", req: func(h *harness, p *badProfile, _ *live) *http.Request {
		return h.req("GET", p.probe, "", authKV(p, basic("alice", strings.Repeat("p", 60<<10)))...)
	}},
	{name: "Bearer with no token", req: func(h *harness, p *badProfile, _ *live) *http.Request {
		return h.req("GET", p.probe, "", authKV(p, "Bearer")...)
	}},
	{name: "Bearer and spaces", req: func(h *harness, p *badProfile, _ *live) *http.Request {
		return h.req("GET", p.probe, "", authKV(p, "Bearer     ")...)
	}},
	{name: "Bearer with several words", req: func(h *harness, p *badProfile, st *live) *http.Request {
		return h.req("GET", p.probe, "", authKV(p, "Bearer a b "+st.access)...)
	}},
	{name: "garbage token", want: specs.FailInvalidCredential, req: func(h *harness, p *badProfile, _ *live) *http.Request {
		return h.req("GET", p.probe, "", p.present("x.y.z")...)
	}},
	{name: "empty-part token", want: specs.FailInvalidCredential, req: func(h *harness, p *badProfile, _ *live) *http.Request {
		return h.req("GET", p.probe, "", p.present("..")...)
	}},
	{name: "huge token", want: specs.FailInvalidCredential, req: func(h *harness, p *badProfile, _ *live) *http.Request {
		return h.req("GET", p.probe, "", p.present(strings.Repeat("eyJh", 16<<10))...)
	}},
	{name: "token with NUL and invalid UTF-8", want: specs.FailInvalidCredential, req: func(h *harness, p *badProfile, st *live) *http.Request {
		return h.req("GET", p.probe, "", p.present(st.access+"\x00\xff")...)
	}},
	{name: "alg none", want: specs.FailInvalidCredential, req: func(h *harness, p *badProfile, st *live) *http.Request {
		return h.req("GET", p.probe, "", p.present(forge(st.access, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, nil))...)
	}},
	{name: "alg none spelled NoNe", want: specs.FailInvalidCredential, req: func(h *harness, p *badProfile, st *live) *http.Request {
		tok := forge(st.access, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, nil)
		parts := strings.Split(tok, ".")
		parts[0] = b64(`{"alg":"NoNe","typ":"JWT"}`)
		return h.req("GET", p.probe, "", p.present(strings.Join(parts, "."))...)
	}},
	{name: "forged with a guessed key", want: specs.FailInvalidCredential, req: func(h *harness, p *badProfile, st *live) *http.Request {
		return h.req("GET", p.probe, "", p.present(forge(st.access, nil, []byte("secret"), nil))...)
	}},
	{name: "forged with an empty key", want: specs.FailInvalidCredential, req: func(h *harness, p *badProfile, st *live) *http.Request {
		return h.req("GET", p.probe, "", p.present(forge(st.access, nil, []byte{}, nil))...)
	}},
	{name: "wrong HMAC alg", want: specs.FailInvalidCredential, req: func(h *harness, p *badProfile, st *live) *http.Request {
		m := jwt.SigningMethod(jwt.SigningMethodHS256)
		if headerOf(st.access)["alg"] == "HS256" {
			m = jwt.SigningMethodHS384
		}
		return h.req("GET", p.probe, "", p.present(forge(st.access, m, []byte("secret"), nil))...)
	}},
	{name: "RS256 (RS/HS confusion)", want: specs.FailInvalidCredential, req: func(h *harness, p *badProfile, st *live) *http.Request {
		return h.req("GET", p.probe, "", p.present(forge(st.access, jwt.SigningMethodRS256, rsaKey(), nil))...)
	}},
	{name: "kid path traversal", want: specs.FailInvalidCredential, req: func(h *harness, p *badProfile, st *live) *http.Request {
		return h.req("GET", p.probe, "", p.present(forge(st.access, nil, []byte{}, map[string]any{"kid": "../../../../../dev/null"}))...)
	}},
	{name: "kid SQL injection", want: specs.FailInvalidCredential, req: func(h *harness, p *badProfile, st *live) *http.Request {
		return h.req("GET", p.probe, "", p.present(forge(st.access, nil, []byte("x"), map[string]any{"kid": "x' UNION SELECT 'x"}))...)
	}},
	{name: "jku and x5u pointing elsewhere", want: specs.FailInvalidCredential, req: func(h *harness, p *badProfile, st *live) *http.Request {
		return h.req("GET", p.probe, "", p.present(forge(st.access, nil, []byte("x"), map[string]any{"jku": "http://127.0.0.1:1/jwks", "x5u": "http://127.0.0.1:1/x"}))...)
	}},
	{name: "embedded jwk", want: specs.FailInvalidCredential, req: func(h *harness, p *badProfile, st *live) *http.Request {
		return h.req("GET", p.probe, "", p.present(forge(st.access, nil, []byte("k"), map[string]any{"jwk": map[string]any{"kty": "oct", "k": b64("k")}}))...)
	}},
	{name: "forged expired token", want: specs.FailInvalidCredential, req: func(h *harness, p *badProfile, st *live) *http.Request {
		return h.req("GET", p.probe, "", p.present(forgeClaims(st.access, map[string]any{"exp": t0.Add(-time.Hour).Unix()}))...)
	}},
	{name: "forged future nbf", want: specs.FailInvalidCredential, req: func(h *harness, p *badProfile, st *live) *http.Request {
		return h.req("GET", p.probe, "", p.present(forgeClaims(st.access, map[string]any{"nbf": t0.Add(time.Hour).Unix()}))...)
	}},
	{name: "claims changed under the original signature", want: specs.FailInvalidCredential, req: func(h *harness, p *badProfile, st *live) *http.Request {
		parts := strings.Split(st.access, ".")
		var c map[string]any
		raw, _ := base64.RawURLEncoding.DecodeString(parts[1])
		_ = json.Unmarshal(raw, &c)
		c["sub"] = "admin"
		c["exp"] = t0.Add(1000 * time.Hour).Unix()
		nb, _ := json.Marshal(c)
		parts[1] = base64.RawURLEncoding.EncodeToString(nb)
		return h.req("GET", p.probe, "", p.present(strings.Join(parts, "."))...)
	}},
	{name: "signature stripped", want: specs.FailInvalidCredential, req: func(h *harness, p *badProfile, st *live) *http.Request {
		return h.req("GET", p.probe, "", p.present(st.access[:strings.LastIndexByte(st.access, '.')+1])...)
	}},
	{name: "refresh token as access token", req: func(h *harness, p *badProfile, st *live) *http.Request {
		if st.refresh == "" {
			return h.req("GET", p.probe, "", p.present(st.access+"x")...)
		}
		return h.req("GET", p.probe, "", p.present(st.refresh)...)
	}, want: specs.FailInvalidCredential},
	{name: "token in the query", want: specs.FailMissingCredential, req: func(h *harness, p *badProfile, st *live) *http.Request {
		return h.req("GET", p.probe+"?access_token="+st.access+"&token="+st.access, "")
	}},
	{name: "lower-case scheme name", ok: true, req: func(h *harness, p *badProfile, st *live) *http.Request {
		kv := p.present(st.access)
		kv[1] = strings.Replace(kv[1], "Bearer ", "bearer ", 1)
		return h.req("GET", p.probe, "", kv...)
	}},
	{name: "body on GET", ok: true, req: func(h *harness, p *badProfile, st *live) *http.Request {
		return h.req("GET", p.probe, `{"username":"admin"}`, p.present(st.access)...)
	}},
	{name: "oversized body on GET", status: http.StatusRequestEntityTooLarge, req: func(h *harness, p *badProfile, st *live) *http.Request {
		return h.req("GET", p.probe, strings.Repeat("x", DefaultMaxBody+1), p.present(st.access)...)
	}},
	{name: "unknown method", status: http.StatusMethodNotAllowed, req: func(h *harness, p *badProfile, st *live) *http.Request {
		return h.req("PROPFIND", p.probe, "", p.present(st.access)...)
	}},
	{name: "credential header with CRLF", req: func(h *harness, p *badProfile, st *live) *http.Request {
		kv := p.present(st.access)
		kv[1] = "garbage\r\nX-Injected: yes"
		return h.req("GET", p.probe, "", kv...)
	}, want: specs.FailInvalidCredential},
	{name: "credential header repeated", ok: true, req: func(h *harness, p *badProfile, st *live) *http.Request {
		r := h.req("GET", p.probe, "", p.present(st.access)...)
		kv := p.present("garbage")
		r.Header.Add(kv[0], kv[1])
		return r
	}},
}

// refreshCases attack a refresh operation.
var refreshCases = []badCase{
	{name: "refresh: garbage", want: specs.FailInvalidCredential, req: func(h *harness, p *badProfile, _ *live) *http.Request {
		return h.req("POST", p.refreshPath, `{"`+p.refreshField+`":"a.b.c"}`)
	}},
	{name: "refresh: wrong type", want: specs.FailInvalidRequest, req: func(h *harness, p *badProfile, _ *live) *http.Request {
		return h.req("POST", p.refreshPath, `{"`+p.refreshField+`":12}`)
	}},
	{name: "refresh: access token", want: specs.FailInvalidCredential, req: func(h *harness, p *badProfile, st *live) *http.Request {
		return h.req("POST", p.refreshPath, `{"`+p.refreshField+`":"`+st.access+`"}`)
	}},
	{name: "refresh: alg none", want: specs.FailInvalidCredential, req: func(h *harness, p *badProfile, st *live) *http.Request {
		return h.req("POST", p.refreshPath, `{"`+p.refreshField+`":"`+forge(st.refresh, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, nil)+`"}`)
	}},
	{name: "refresh: forged", want: specs.FailInvalidCredential, req: func(h *harness, p *badProfile, st *live) *http.Request {
		return h.req("POST", p.refreshPath, `{"`+p.refreshField+`":"`+forge(st.refresh, nil, []byte("secret"), nil)+`"}`)
	}},
	{name: "refresh: malformed JSON", want: specs.FailInvalidRequest, req: func(h *harness, p *badProfile, _ *live) *http.Request {
		return h.req("POST", p.refreshPath, `{"`+p.refreshField+`":`)
	}},
}

// keyCases attack the API-key operations (they change state when they succeed; none may).
var keyCases = []badCase{
	{name: "key add: name is an object", want: specs.FailInvalidRequest, req: func(h *harness, p *badProfile, st *live) *http.Request {
		return h.req("POST", "/authheader/add", `{"name":{"a":1}}`, p.present(st.access)...)
	}},
	{name: "key add: malformed JSON", want: specs.FailInvalidRequest, req: func(h *harness, p *badProfile, st *live) *http.Request {
		return h.req("POST", "/authheader/add", `{"name":`, p.present(st.access)...)
	}},
	{name: "key add: no credential", want: specs.FailMissingCredential, req: func(h *harness, p *badProfile, _ *live) *http.Request {
		return h.req("POST", "/authheader/add", `{"name":"x"}`)
	}},
	{name: "key delete: unknown key", want: specs.FailNotFound, req: func(h *harness, p *badProfile, st *live) *http.Request {
		return h.req("POST", "/authheader/delete", `{"text":"ak_nothing"}`, p.present(st.access)...)
	}},
	{name: "key delete: wrong type", want: specs.FailInvalidRequest, req: func(h *harness, p *badProfile, st *live) *http.Request {
		return h.req("POST", "/authheader/delete", `{"text":["`+st.key+`"]}`, p.present(st.access)...)
	}},
	{name: "key delete: another account's key", want: specs.FailNotFound, req: func(h *harness, p *badProfile, st *live) *http.Request {
		other := h.precrimeToken("jane.roe", "jane-password")
		return h.req("POST", "/authheader/delete", `{"text":"`+st.key+`"}`, p.present(other)...)
	}},
	{name: "key delete: key with NUL", want: specs.FailNotFound, req: func(h *harness, p *badProfile, st *live) *http.Request {
		return h.req("POST", "/authheader/delete", `{"text":"`+st.key+`\u0000"}`, p.present(st.access)...)
	}},
	{name: "key as bearer with junk appended", want: specs.FailInvalidCredential, req: func(h *harness, p *badProfile, st *live) *http.Request {
		return h.req("GET", "/authheader/list", "", p.present(st.key+"junk")...)
	}},
}

// queryLoginCases attack a login that reads its credentials from the query string (pixfile v1).
var queryLoginCases = []badCase{
	{name: "query login: no parameters", want: specs.FailInvalidRequest, req: func(h *harness, p *badProfile, _ *live) *http.Request {
		return rawReq("GET", "/api/v1/login", "", "")
	}},
	{name: "query login: empty password", req: func(h *harness, p *badProfile, _ *live) *http.Request {
		return rawReq("GET", "/api/v1/login?username=user&password=", "", "")
	}},
	{name: "query login: repeated parameters, the first wrong", req: func(h *harness, p *badProfile, _ *live) *http.Request {
		return rawReq("GET", "/api/v1/login?username=user&password=wrong&password=pass", "", "")
	}},
	{name: "query login: NUL and invalid UTF-8", req: func(h *harness, p *badProfile, _ *live) *http.Request {
		return rawReq("GET", "/api/v1/login?username=user%00&password=%ff%fe", "", "")
	}},
	{name: "query login: bad escapes", req: func(h *harness, p *badProfile, _ *live) *http.Request {
		return rawReq("GET", "/api/v1/login?username=%zz&password=%", "", "")
	}},
	{name: "query login: huge password", req: func(h *harness, p *badProfile, _ *live) *http.Request {
		return rawReq("GET", "/api/v1/login?username=user&password="+strings.Repeat("p", 60<<10), "", "")
	}},
	{name: "query login: credentials in a body instead", want: specs.FailInvalidRequest, req: func(h *harness, p *badProfile, _ *live) *http.Request {
		return rawReq("GET", "/api/v1/login", `{"username":"user","password":"pass"}`, "application/json")
	}},
}

// authKV presents a raw Authorization value, with the company header where the spec binds one.
func authKV(p *badProfile, v string) []string {
	if p.spec == "elyssa" {
		return []string{"Authorization", v, "x-company-id", company1}
	}
	if p.spec == "pixfile" {
		return []string{"Authorization", v, "X-Auth-Token", v}
	}
	return []string{"Authorization", v}
}

// rsaKey signs the RS256 tokens of the RS/HS confusion case; made once, when first needed.
var rsaKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func headerOf(tok string) map[string]any {
	var m map[string]any
	raw, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
	_ = json.Unmarshal(raw, &m)
	return m
}

// forge re-signs the claims of a real token with method (nil: the token's own alg) and key, with
// extra header fields. The mock's keys are random per start: a forged token must never pass.
func forge(tok string, method jwt.SigningMethod, key any, header map[string]any) string {
	var c jwt.MapClaims
	_, _, err := jwt.NewParser().ParseUnverified(tok, &c)
	if err != nil {
		panic(err)
	}
	if method == nil {
		method = jwt.GetSigningMethod(headerOf(tok)["alg"].(string))
	}
	t := jwt.NewWithClaims(method, c)
	for k, v := range header {
		t.Header[k] = v
	}
	s, err := t.SignedString(key)
	if err != nil {
		panic(err)
	}
	return s
}

// forgeClaims re-signs a real token's claims, changed, with a guessed key.
func forgeClaims(tok string, change map[string]any) string {
	var c jwt.MapClaims
	if _, _, err := jwt.NewParser().ParseUnverified(tok, &c); err != nil {
		panic(err)
	}
	for k, v := range change {
		c[k] = v
	}
	s, err := jwt.NewWithClaims(jwt.GetSigningMethod(headerOf(tok)["alg"].(string)), c).SignedString([]byte("guessed"))
	if err != nil {
		panic(err)
	}
	return s
}

func (p *badProfile) cases() []badCase {
	out := slices.Clone(loginCases)
	out = append(out, probeCases...)
	if p.refreshPath != "" {
		out = append(out, refreshCases...)
	}
	if p.keys {
		out = append(out, keyCases...)
	}
	return append(out, p.extra...)
}

func TestBadInput(t *testing.T) {
	for i := range badProfiles {
		p := &badProfiles[i]
		t.Run(p.spec, func(t *testing.T) {
			h := newHarness(t, p.spec)
			st := p.setUp(h)
			cases := p.cases()
			if len(cases) < 40 {
				t.Errorf("%d bad-input cases for %s; want at least 40", len(cases), p.spec)
			}
			for _, tc := range cases {
				t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
					h.t = t
					r := tc.req(h, p, st)
					rec := httptest.NewRecorder()
					h.s.ServeHTTP(rec, r)
					t.Logf("%d %s", rec.Code, rec.Header().Get(MessageHeader))
					checkBadAnswer(t, h, r, rec, tc)
					p.checkHealthy(t, h, st)
				})
			}
		})
	}
}

// setUp logs in and, for a spec with API keys, creates one: the state the cases must not disturb.
func (p *badProfile) setUp(h *harness) *live {
	st := &live{}
	st.access, st.refresh = p.token(h)
	if p.keys {
		st.key = h.precrimeKey(st.access, "before-the-cases")
	}
	st.keyIDs = keyIDs(h, p)
	st.gen, _ = h.s.store.Generation(context.Background(), p.spec, p.accountID)
	return st
}

func keyIDs(h *harness, p *badProfile) []string {
	var ids []string
	keys, _ := h.s.store.Keys(context.Background(), p.spec, p.accountID)
	for _, k := range keys {
		ids = append(ids, k.ID)
	}
	return ids
}

// checkBadAnswer checks the answer to a bad request: documented, shaped, explained.
func checkBadAnswer(t *testing.T, h *harness, r *http.Request, rec *httptest.ResponseRecorder, tc badCase) {
	t.Helper()
	msg := rec.Header().Get(MessageHeader)
	for k, vs := range rec.Header() {
		for _, v := range vs {
			if strings.ContainsAny(v, "\r\n") {
				t.Errorf("response header %s holds CR or LF: %q", k, v)
			}
		}
		if strings.EqualFold(k, "X-Injected") || strings.EqualFold(k, "Set-Cookie") {
			t.Errorf("a request smuggled a response header %s", k)
		}
	}
	if strings.Contains(msg, "internal error") || strings.Contains(rec.Body.String(), "internal error") {
		t.Fatalf("%d: the mock failed internally: %q", rec.Code, msg)
	}
	op, _, _, _ := h.s.find(r)
	if rec.Header().Get("Content-Type") == "application/problem+json" {
		// The mock's own refusal of a Prefer header (refusePrefer), not the spec's answer.
		var p struct{ Detail string }
		if r.Header.Get("Prefer") == "" || rec.Code != http.StatusBadRequest || json.Unmarshal(rec.Body.Bytes(), &p) != nil || p.Detail != msg {
			t.Errorf("a problem answer %d to a request with Prefer %q: %s", rec.Code, r.Header.Get("Prefer"), rec.Body.String())
		}
		return
	}
	switch {
	case tc.status != 0:
		if rec.Code != tc.status {
			t.Errorf("status %d, want %d (message %q)", rec.Code, tc.status, msg)
		}
	case op == nil:
		if rec.Code != http.StatusNotFound && rec.Code != http.StatusMethodNotAllowed {
			t.Errorf("a request outside any operation got %d", rec.Code)
		}
	case rec.Code != http.StatusRequestEntityTooLarge && !op.op.Documents(rec.Code):
		t.Errorf("%s: status %d is not documented (documented: %v); message %q", op.op.Key(), rec.Code, op.op.Statuses, msg)
	}
	if op != nil && tc.want != "" {
		want, ok := op.flow.Failure(tc.want)
		if !ok {
			want = op.fallback
		}
		if rec.Code != want {
			t.Errorf("%s: status %d, want %d, the spec's status for %s (message %q)", op.op.Key(), rec.Code, want, tc.want, msg)
		}
	}
	if rec.Code < 400 {
		if !tc.ok {
			t.Errorf("a bad request was accepted: %d %s", rec.Code, rec.Body.String())
		}
		return
	}
	if msg == "" {
		t.Errorf("%d without a message (%s header)", rec.Code, MessageHeader)
	}
	if op == nil || rec.Code == http.StatusRequestEntityTooLarge {
		var m map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil || m["message"] == "" {
			t.Errorf("%d: body is not {\"message\": ...}: %s", rec.Code, rec.Body.String())
		}
		return
	}
	// The vendor's error shape: the response validates against the spec, including its body.
	check := r.Clone(r.Context())
	check.Body = http.NoBody
	if err := conforms(h.s, check, rec.Code, rec.Header(), rec.Body.Bytes()); err != nil {
		t.Errorf("%d does not conform to the spec: %v\nbody: %s", rec.Code, err, rec.Body.String())
	}
	if op.json[rec.Code] {
		var m map[string]any
		if json.Unmarshal(rec.Body.Bytes(), &m) != nil || !strings.Contains(rec.Body.String(), jsonEscape(msg)) {
			t.Errorf("the error body does not carry the message %q: %s", msg, rec.Body.String())
		}
	}
}

func jsonEscape(s string) string {
	b, _ := json.Marshal(s)
	return strings.Trim(string(b), `"`)
}

// checkHealthy: a good login still works, the live token is still accepted, nothing was revoked
// and the API keys are the same.
func (p *badProfile) checkHealthy(t *testing.T, h *harness, st *live) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.s.ServeHTTP(rec, p.login(h))
	if rec.Code != 200 {
		t.Fatalf("after the case a good login gets %d (%s)", rec.Code, rec.Header().Get(MessageHeader))
	}
	rec = httptest.NewRecorder()
	h.s.ServeHTTP(rec, h.req("GET", p.probe, "", p.present(st.access)...))
	if rec.Code != 200 {
		t.Fatalf("after the case the live access token gets %d (%s)", rec.Code, rec.Header().Get(MessageHeader))
	}
	if g, _ := h.s.store.Generation(context.Background(), p.spec, p.accountID); g != st.gen {
		t.Fatalf("the account's generation moved from %d to %d: its sessions were revoked", st.gen, g)
	}
	if ids := keyIDs(h, p); !slices.Equal(ids, st.keyIDs) {
		t.Fatalf("the account's API keys changed from %v to %v", st.keyIDs, ids)
	}
	if st.key != "" {
		rec = httptest.NewRecorder()
		h.s.ServeHTTP(rec, h.req("GET", "/authheader/list", "", p.present(st.key)...))
		if rec.Code != 200 {
			t.Fatalf("after the case the live API key gets %d (%s)", rec.Code, rec.Header().Get(MessageHeader))
		}
	}
}

// TestBadTokenTimes: correctly signed tokens outside their time window (the mock's own key, the
// clock moved) are refused with the spec's status and a message that says why.
func TestBadTokenTimes(t *testing.T) {
	for i := range badProfiles {
		p := &badProfiles[i]
		t.Run(p.spec, func(t *testing.T) {
			h := newHarness(t, p.spec)
			st := p.setUp(h)
			expire := 400 * 24 * time.Hour // past every bundled lifetime
			h.clock.Advance(expire)
			rec := h.do(h.req("GET", p.probe, "", p.present(st.access)...))
			h.expect(rec, 401)
			if msg := rec.Header().Get(MessageHeader); !strings.Contains(msg, "expired") {
				t.Errorf("an expired token's message %q does not say it expired", msg)
			}
			// A token issued in the future (the clock then moved back) is not valid yet.
			future, _ := p.token(h)
			h.clock.Advance(-expire)
			rec = h.do(h.req("GET", p.probe, "", p.present(future)...))
			h.expect(rec, 401)
			if msg := rec.Header().Get(MessageHeader); !strings.Contains(msg, "not valid yet") {
				t.Errorf("a future token's message %q does not say it is not valid yet", msg)
			}
			p.checkHealthy(t, h, st)
		})
	}
}

// TestBadWire sends requests net/http parses before the mock sees them, over a real connection:
// the server answers (400, 413, 431 from net/http itself, or a documented status), never hangs,
// and keeps serving.
func TestBadWire(t *testing.T) {
	h := newHarness(t)
	ts := httptest.NewServer(h.s)
	defer ts.Close()
	good := "POST /api/v2/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 35\r\n\r\n{\"username\":\"user\",\"password\":\"pass\"}"
	good = strings.Replace(good, "Content-Length: 35", fmt.Sprintf("Content-Length: %d", len(`{"username":"user","password":"pass"}`)), 1)
	var many strings.Builder
	for i := range 3000 {
		fmt.Fprintf(&many, "X-H%d: v\r\n", i)
	}
	cases := []struct {
		name  string
		raw   string
		allow []int
	}{
		// The client stops sending (half-close) after each request: a body shorter than its
		// Content-Length then ends in EOF, as it does when a real server's ReadTimeout fires.
		{"header value with CRLF injection", "GET /api/v2/customers HTTP/1.1\r\nHost: x\r\nX-Auth-Token: a\r\nSet-Cookie: x\r\n\r\n", []int{401}},
		{"header with NUL", "GET /api/v2/customers HTTP/1.1\r\nHost: x\r\nX-Auth-Token: a\x00b\r\n\r\n", []int{400}},
		{"header name with space", "GET /api/v2/customers HTTP/1.1\r\nHost: x\r\nX Auth: a\r\n\r\n", []int{400}},
		{"thousands of headers", "GET /api/v2/customers HTTP/1.1\r\nHost: x\r\n" + many.String() + "\r\n", []int{401}},
		{"2 MB of headers", "GET /api/v2/customers HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("b", 2<<20) + "\r\n\r\n", []int{431}},
		{"Content-Length and chunked", "POST /api/v2/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", []int{400}},
		{"two Content-Lengths", "POST /api/v2/login HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}", []int{400}},
		{"bad chunked body", "POST /api/v2/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n", []int{400}},
		{"body shorter than its Content-Length", "POST /api/v2/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\nConnection: close\r\n\r\n{\"username\":", []int{400}},
		{"absolute URI to another host", "GET http://evil.example/api/v2/customers HTTP/1.1\r\nHost: x\r\n\r\n", []int{401}},
		{"unknown method", "BREW /api/v2/login HTTP/1.1\r\nHost: x\r\n\r\n", []int{405}},
		{"CONNECT", "CONNECT 127.0.0.1:1 HTTP/1.1\r\nHost: 127.0.0.1:1\r\n\r\n", []int{400, 404, 405}},
		{"raw traversal", "GET /api/v2/../../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n", []int{404}},
		{"HTTP/0.9", "GET /api/v2/customers\r\n\r\n", []int{400, 505}},
		{"no Host", "GET /api/v2/customers HTTP/1.1\r\n\r\n", []int{400}},
	}
	for _, tc := range cases {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			status := rawRoundTrip(t, ts.Listener.Addr().String(), tc.raw)
			if !slices.Contains(tc.allow, status) {
				t.Errorf("status %d, want one of %v", status, tc.allow)
			}
			if s := rawRoundTrip(t, ts.Listener.Addr().String(), good); s != 200 {
				t.Fatalf("after the case a good login gets %d", s)
			}
		})
	}
}

// rawRoundTrip writes raw bytes to addr and reads the status of the first response.
func rawRoundTrip(t *testing.T, addr, raw string) int {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	go func() { // the server may answer before reading it all
		_, _ = io.WriteString(conn, raw)
		_ = conn.(*net.TCPConn).CloseWrite()
	}()
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no response: %v", err)
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 1<<20))
	return res.StatusCode
}
