package runner

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authconform/authconform/mockserver"
	"github.com/authconform/authconform/mockserver/defects"
	"github.com/authconform/authconform/reports"
	"github.com/authconform/authconform/specs"
)

// Each breakage wraps the mock's handler and breaks one documented rule, so the check that
// guards the rule must fail (STYLE.md rule 22: a check that cannot fail is a defect).

type middleware func(http.Handler) http.Handler

// readBody returns the request body and puts it back for the next handler.
func readBody(r *http.Request) []byte {
	if r.Body == nil {
		return nil
	}
	b, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(b))
	r.ContentLength = int64(len(b))
	return b
}

// forward serves r through next into a recorder the breakage may change before it is sent.
func forward(next http.Handler, r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	next.ServeHTTP(rec, r)
	return rec
}

func send(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.Header().Del("Content-Length")
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

func setBody(rec *httptest.ResponseRecorder, body string) {
	rec.Body.Reset()
	rec.Body.WriteString(body)
}

func matches(r *http.Request, method, path string) bool {
	return (method == "" || r.Method == method) && r.URL.Path == path
}

// onResponse lets fix change the mock's response to method path.
func onResponse(method, path string, fix func(r *http.Request, reqBody []byte, rec *httptest.ResponseRecorder)) middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !matches(r, method, path) {
				next.ServeHTTP(w, r)
				return
			}
			body := readBody(r)
			rec := forward(next, r)
			fix(r, body, rec)
			send(w, rec)
		})
	}
}

// onRequest lets fix change the request before the mock sees it; a fix that answers itself
// returns true.
func onRequest(method, path string, fix func(w http.ResponseWriter, r *http.Request, body []byte) bool) middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if matches(r, method, path) && fix(w, r, readBody(r)) {
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

func setRequestBody(r *http.Request, b []byte) {
	r.Body = io.NopCloser(bytes.NewReader(b))
	r.ContentLength = int64(len(b))
}

func jsonField(body []byte, key string) string {
	var m map[string]any
	_ = json.Unmarshal(body, &m)
	s, _ := m[key].(string)
	return s
}

func setJSONField(rec *httptest.ResponseRecorder, key, value string) {
	var m map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &m)
	m[key] = value
	b, _ := json.Marshal(m)
	setBody(rec, string(b))
}

func bearerOf(r *http.Request) string {
	v := r.Header.Get("Authorization")
	if i := strings.IndexByte(v, ' '); i >= 0 {
		return v[i+1:]
	}
	return v
}

func jwtParts(tok string) []string { return strings.Split(tok, ".") }

// tokenBook remembers the access tokens a login issued, to play a server that does not check
// what it should.
type tokenBook struct {
	mu      sync.Mutex
	access  []string
	refresh map[string]string // refresh -> access
}

func (b *tokenBook) record(access, refresh string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.access = append(b.access, access)
	if b.refresh == nil {
		b.refresh = map[string]string{}
	}
	if refresh != "" {
		b.refresh[refresh] = access
	}
}

// find returns a known access token sharing part i (0 header, 1 payload, 2 signature) with tok.
func (b *tokenBook) find(tok string, i int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	p := jwtParts(tok)
	if len(p) != 3 {
		return ""
	}
	for _, a := range b.access {
		if ap := jwtParts(a); len(ap) == 3 && ap[i] == p[i] && a != tok {
			return a
		}
	}
	return ""
}

// recordLogins wraps a login operation so the book learns every token it issues.
func (b *tokenBook) recordLogins(path, accessField, refreshField string) middleware {
	return onResponse(http.MethodPost, path, func(r *http.Request, _ []byte, rec *httptest.ResponseRecorder) {
		if rec.Code == http.StatusOK {
			b.record(jsonField(rec.Body.Bytes(), accessField), jsonField(rec.Body.Bytes(), refreshField))
		}
	})
}

// acceptForged plays a server that ignores the part of the JWT that was forged: a probe token
// sharing part i with a genuine token is replaced by the genuine one.
func (b *tokenBook) acceptForged(probePath string, i int) middleware {
	return onRequest(http.MethodGet, probePath, func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
		if real := b.find(bearerOf(r), i); real != "" {
			r.Header.Set("Authorization", "Bearer "+real)
		}
		return false
	})
}

func chain(mws ...middleware) middleware {
	return func(h http.Handler) http.Handler {
		for i := len(mws) - 1; i >= 0; i-- {
			h = mws[i](h)
		}
		return h
	}
}

type brokenCase struct {
	name       string
	spec       string
	breakage   middleware
	target     func(*Target) // a mis-stated expectation instead of a broken server
	defects    []string      // mock defects to start with (the mock's own decorators)
	wantFailed []string      // these checks must fail
}

// declare is a target that declares readings of the spec's gaps, as a target file's readings: do.
func declare(readings map[string]string) func(*Target) {
	return func(t *Target) {
		t.Readings = readings
		sp, err := t.Spec.WithReadings(readings)
		if err != nil {
			panic(err)
		}
		t.Spec = sp
	}
}

func brokenCases() []brokenCase {
	efaliaBook, efaliaBook2, efaliaBook3, efaliaBook4 := &tokenBook{}, &tokenBook{}, &tokenBook{}, &tokenBook{}
	var keysMu sync.Mutex
	keyOwner := map[string]string{} // precrime: key token -> creator's Authorization
	var allKeys []any
	var lastRefresh []byte
	const (
		efLogin   = "/workey/api/auth/token"
		efRefresh = "/workey/api/auth/refresh"
		efLogout  = "/workey/api/auth/logout"
		efProbe   = "/workey/api/processes"
		pxLogin   = "/api/v2/login"
		pxProbe   = "/api/v2/customers"
	)
	statusTo := func(method, path string, from, to int) middleware {
		return onResponse(method, path, func(_ *http.Request, _ []byte, rec *httptest.ResponseRecorder) {
			if rec.Code == from {
				rec.Code = to
			}
		})
	}
	answer := func(status int, body string) func(w http.ResponseWriter) bool {
		return func(w http.ResponseWriter) bool {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_, _ = io.WriteString(w, body)
			return true
		}
	}
	return []brokenCase{
		{name: "login answers 201 instead of the documented 200", spec: "pixfile",
			breakage:   statusTo(http.MethodPost, pxLogin, 200, 201),
			wantFailed: []string{"LOG-01", "GEN-03"}},
		{name: "header token differs from body token", spec: "pixfile",
			breakage: onResponse(http.MethodPost, pxLogin, func(_ *http.Request, _ []byte, rec *httptest.ResponseRecorder) {
				rec.Header().Set("X-Auth-Token", rec.Header().Get("X-Auth-Token")+"x")
			}),
			wantFailed: []string{"LOG-02"}},
		{name: "login response without Cache-Control", spec: "pixfile",
			breakage: onResponse(http.MethodPost, pxLogin, func(_ *http.Request, _ []byte, rec *httptest.ResponseRecorder) {
				rec.Header().Del("Cache-Control")
			}),
			wantFailed: []string{"LOG-03"}},
		{name: "wrong password accepted", spec: "pixfile",
			breakage: onRequest(http.MethodPost, pxLogin, func(_ http.ResponseWriter, r *http.Request, b []byte) bool {
				setRequestBody(r, bytes.ReplaceAll(b, []byte("-authconform-wrong"), nil))
				return false
			}),
			wantFailed: []string{"LOG-05"}},
		{name: "unknown user answers 404", spec: "pixfile",
			breakage: onResponse(http.MethodPost, pxLogin, func(_ *http.Request, b []byte, rec *httptest.ResponseRecorder) {
				if strings.Contains(string(b), "authconform-nobody") {
					rec.Code = 404
				}
			}),
			wantFailed: []string{"LOG-13", "LOG-06"}},
		{name: "disabled account answers 401 instead of 403", spec: "pixfile",
			breakage:   statusTo(http.MethodPost, pxLogin, 403, 401),
			wantFailed: []string{"LOG-14"}},
		{name: "expired password answers 401 instead of 403", spec: "precrime",
			breakage:   statusTo(http.MethodPost, "/user/login", 403, 401),
			wantFailed: []string{"LOG-15"}},
		{name: "malformed login body answers 500", spec: "pixfile",
			breakage:   statusTo(http.MethodPost, pxLogin, 400, 500),
			wantFailed: []string{"LOG-07", "LOG-16"}},
		{name: "malformed login body answers 422 instead of 400", spec: "pixfile",
			breakage:   statusTo(http.MethodPost, pxLogin, 400, 422),
			wantFailed: []string{"LOG-16"}},
		{name: "login takes credentials from the query string", spec: "efalia",
			breakage: onRequest(http.MethodPost, efLogin, func(_ http.ResponseWriter, r *http.Request, b []byte) bool {
				if q := r.URL.Query(); q.Get("username") != "" {
					nb, _ := json.Marshal(map[string]string{"username": q.Get("username"), "password": q.Get("password")})
					setRequestBody(r, nb)
				}
				return false
			}),
			wantFailed: []string{"LOG-11"}},
		{name: "probe body breaks its schema", spec: "pixfile",
			breakage: onResponse(http.MethodGet, pxProbe, func(_ *http.Request, _ []byte, rec *httptest.ResponseRecorder) {
				if rec.Code == 200 {
					setBody(rec, `{"customers": "not an array"}`)
				}
			}),
			wantFailed: []string{"GEN-03"}},
		{name: "login drops the documented X-Auth-Token header", spec: "pixfile",
			breakage: onResponse(http.MethodGet, "/api/v1/login", func(_ *http.Request, _ []byte, rec *httptest.ResponseRecorder) {
				rec.Header().Del("X-Auth-Token")
			}),
			wantFailed: []string{"GEN-03", "LOG-01"}},
		{name: "access token without exp", spec: "efalia",
			breakage: onResponse(http.MethodPost, efLogin, func(_ *http.Request, _ []byte, rec *httptest.ResponseRecorder) {
				tok := jsonField(rec.Body.Bytes(), "token")
				if p := jwtParts(tok); len(p) == 3 {
					pb, _ := base64.RawURLEncoding.DecodeString(p[1])
					var claims map[string]any
					_ = json.Unmarshal(pb, &claims)
					delete(claims, "exp")
					nb, _ := json.Marshal(claims)
					setJSONField(rec, "token", p[0]+"."+base64.RawURLEncoding.EncodeToString(nb)+"."+p[2])
				}
			}),
			wantFailed: []string{"LIF-01"}},
		{name: "access lifetime other than expected", spec: "efalia",
			target:     func(t *Target) { d := 2 * time.Hour; t.Expect.AccessTokenLifetime = &d },
			wantFailed: []string{"LIF-02"}},
		{name: "refresh lifetime other than expected", spec: "elyssa",
			target:     func(t *Target) { d := 30 * 24 * time.Hour; t.Expect.RefreshTokenLifetime = &d },
			wantFailed: []string{"LIF-16"}},
		{name: "probe accepts tokens after expiry", spec: "pixfile",
			breakage: func(next http.Handler) http.Handler {
				var mu sync.Mutex
				seen := map[string]*httptest.ResponseRecorder{}
				return onResponse(http.MethodGet, pxProbe, func(r *http.Request, _ []byte, rec *httptest.ResponseRecorder) {
					mu.Lock()
					defer mu.Unlock()
					tok := r.Header.Get("X-Auth-Token")
					if rec.Code == 200 {
						seen[tok] = rec
					} else if old := seen[tok]; old != nil {
						rec.Code = 200
						setBody(rec, old.Body.String())
					}
				})(next)
			},
			wantFailed: []string{"LIF-08"}},
		{name: "refresh never refuses", spec: "efalia",
			breakage: onResponse(http.MethodPost, efRefresh, func(_ *http.Request, _ []byte, rec *httptest.ResponseRecorder) {
				if rec.Code == 200 {
					lastRefresh = rec.Body.Bytes()
				} else if lastRefresh != nil {
					rec.Code = 200
					setBody(rec, string(lastRefresh))
				}
			}),
			target:     declare(map[string]string{"efalia-refresh-rotation": "refused"}),
			wantFailed: []string{"LIF-11", "LIF-12"}},
		{name: "a refresh token handed out by a refresh is refused", spec: "efalia",
			breakage: onResponse(http.MethodPost, efRefresh, func(_ *http.Request, _ []byte, rec *httptest.ResponseRecorder) {
				if rec.Code == 200 {
					setJSONField(rec, "refreshToken", "a-refresh-token-that-was-never-issued")
				}
			}),
			wantFailed: []string{"REF-03"}},
		{name: "refreshed access token does not work", spec: "elyssa",
			breakage: onResponse(http.MethodPost, "/auth/refresh/", func(_ *http.Request, _ []byte, rec *httptest.ResponseRecorder) {
				if rec.Code == 200 {
					setJSONField(rec, "accessToken", "not-a-working-token")
				}
			}),
			wantFailed: []string{"REF-01"}},
		{name: "garbage refresh token answers 400 instead of 555", spec: "efalia",
			breakage: onResponse(http.MethodPost, efRefresh, func(_ *http.Request, b []byte, rec *httptest.ResponseRecorder) {
				if strings.Contains(string(b), "authconform-garbage") {
					rec.Code = 400
				}
			}),
			wantFailed: []string{"REF-02"}},
		{name: "refresh response without Cache-Control", spec: "efalia",
			breakage: onResponse(http.MethodPost, efRefresh, func(_ *http.Request, _ []byte, rec *httptest.ResponseRecorder) {
				rec.Header().Del("Cache-Control")
			}),
			wantFailed: []string{"LIF-10"}},
		{name: "access token accepted as refresh token", spec: "efalia",
			breakage: chain(efaliaBook.recordLogins(efLogin, "token", "refreshToken"),
				onRequest(http.MethodPost, efRefresh, func(_ http.ResponseWriter, r *http.Request, b []byte) bool {
					presented := jsonField(b, "refreshToken")
					efaliaBook.mu.Lock()
					defer efaliaBook.mu.Unlock()
					for rt, at := range efaliaBook.refresh {
						if at == presented {
							nb, _ := json.Marshal(map[string]string{"refreshToken": rt})
							setRequestBody(r, nb)
						}
					}
					return false
				})),
			wantFailed: []string{"LIF-13"}},
		{name: "refresh token accepted as access token", spec: "efalia",
			breakage: chain(efaliaBook2.recordLogins(efLogin, "token", "refreshToken"),
				onRequest(http.MethodGet, efProbe, func(_ http.ResponseWriter, r *http.Request, _ []byte) bool {
					efaliaBook2.mu.Lock()
					defer efaliaBook2.mu.Unlock()
					if at, ok := efaliaBook2.refresh[bearerOf(r)]; ok {
						r.Header.Set("Authorization", "Bearer "+at)
					}
					return false
				})),
			wantFailed: []string{"LIF-17"}},
		{name: "logout answers 204 instead of 200", spec: "efalia",
			breakage:   statusTo(http.MethodPost, efLogout, 200, 204),
			wantFailed: []string{"OUT-01"}},
		{name: "logout revokes nothing", spec: "efalia",
			breakage: onRequest(http.MethodPost, efLogout, func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
				if r.Header.Get("Authorization") == "" {
					return false
				}
				w.WriteHeader(200)
				return true
			}),
			target:     declare(map[string]string{"efalia-logout-refresh": "yes"}),
			wantFailed: []string{"OUT-02", "OUT-03"}},
		{name: "logout without credentials answers 200", spec: "efalia",
			breakage: onRequest(http.MethodPost, efLogout, func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
				if r.Header.Get("Authorization") != "" || r.Header.Get("X-API-KEY") != "" {
					return false
				}
				w.WriteHeader(200)
				return true
			}),
			wantFailed: []string{"OUT-05"}},
		{name: "key creation answers 201", spec: "precrime",
			breakage:   statusTo(http.MethodPost, "/authheader/add", 200, 201),
			wantFailed: []string{"KEY-01"}},
		{name: "key list always empty", spec: "precrime",
			breakage: onResponse(http.MethodGet, "/authheader/list", func(_ *http.Request, _ []byte, rec *httptest.ResponseRecorder) {
				if rec.Code == 200 {
					setBody(rec, `[]`)
				}
			}),
			wantFailed: []string{"KEY-06"}},
		{name: "key list shows every account's keys", spec: "precrime",
			breakage: chain(
				onResponse(http.MethodPost, "/authheader/add", func(_ *http.Request, _ []byte, rec *httptest.ResponseRecorder) {
					var k any
					_ = json.Unmarshal(rec.Body.Bytes(), &k)
					keysMu.Lock()
					allKeys = append(allKeys, k)
					keysMu.Unlock()
				}),
				onResponse(http.MethodGet, "/authheader/list", func(_ *http.Request, _ []byte, rec *httptest.ResponseRecorder) {
					keysMu.Lock()
					b, _ := json.Marshal(allKeys)
					keysMu.Unlock()
					if rec.Code == 200 && allKeys != nil {
						setBody(rec, string(b))
					}
				})),
			wantFailed: []string{"KEY-04"}},
		{name: "created key does not authenticate", spec: "precrime",
			breakage: onResponse(http.MethodPost, "/authheader/add", func(_ *http.Request, _ []byte, rec *httptest.ResponseRecorder) {
				if rec.Code == 200 {
					setJSONField(rec, "token", "a-key-that-was-never-issued")
				}
			}),
			target:     declare(map[string]string{"precrime-authheader-keys": "yes"}),
			wantFailed: []string{"KEY-07"}},
		{name: "delete keeps the key", spec: "precrime",
			breakage: onRequest(http.MethodPost, "/authheader/delete", func(w http.ResponseWriter, _ *http.Request, _ []byte) bool {
				return answer(200, `{"message":"Success"}`)(w)
			}),
			wantFailed: []string{"KEY-03"}},
		{name: "anyone can delete a key", spec: "precrime",
			breakage: chain(
				onResponse(http.MethodPost, "/authheader/add", func(r *http.Request, _ []byte, rec *httptest.ResponseRecorder) {
					keysMu.Lock()
					keyOwner[jsonField(rec.Body.Bytes(), "token")] = r.Header.Get("Authorization")
					keysMu.Unlock()
				}),
				onRequest(http.MethodPost, "/authheader/delete", func(_ http.ResponseWriter, r *http.Request, b []byte) bool {
					keysMu.Lock()
					defer keysMu.Unlock()
					if owner := keyOwner[jsonField(b, "text")]; owner != "" {
						r.Header.Set("Authorization", owner)
					}
					return false
				})),
			wantFailed: []string{"KEY-08"}},
		{name: "deleting another account's key answers 403 instead of 404", spec: "precrime",
			breakage:   statusTo(http.MethodPost, "/authheader/delete", 404, 403),
			wantFailed: []string{"KEY-09"}},
		{name: "probe without credentials answers 200", spec: "pixfile",
			breakage: onRequest(http.MethodGet, pxProbe, func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
				if r.Header.Get("X-Auth-Token") != "" {
					return false
				}
				return answer(200, `[]`)(w)
			}),
			wantFailed: []string{"HDR-02"}},
		{name: "garbage token answers 403 instead of 401", spec: "pixfile",
			breakage: onResponse(http.MethodGet, pxProbe, func(r *http.Request, _ []byte, rec *httptest.ResponseRecorder) {
				if strings.Contains(r.Header.Get("X-Auth-Token"), "garbage") {
					rec.Code = 403
				}
			}),
			wantFailed: []string{"HDR-03"}},
		{name: "company id not bound to the token", spec: "elyssa",
			breakage: onRequest(http.MethodGet, "/companies/me", func(_ http.ResponseWriter, r *http.Request, _ []byte) bool {
				r.Header.Set("X-Company-Id", "11111111-1111-4111-8111-111111111111")
				return false
			}),
			wantFailed: []string{"HDR-05", "HDR-12"}},
		{name: "impersonation header ignored", spec: "efalia",
			breakage: onRequest(http.MethodGet, efProbe, func(_ http.ResponseWriter, r *http.Request, _ []byte) bool {
				r.Header.Del("X-API-KEY-IMPERSONATE")
				return false
			}),
			wantFailed: []string{"HDR-13"}},
		{name: "bearer scheme matched case-sensitively", spec: "efalia",
			breakage: onRequest(http.MethodGet, efProbe, func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
				if strings.HasPrefix(r.Header.Get("Authorization"), "bearer ") {
					return answer(401, `{"code":401,"error":true,"message":"unknown scheme"}`)(w)
				}
				return false
			}),
			wantFailed: []string{"HDR-01"}},
		{name: "header names matched case-sensitively", spec: "pixfile",
			defects:    []string{"header-names-case-sensitive"},
			wantFailed: []string{"HDR-06"}},
		{name: "API key credential form refused", spec: "efalia",
			breakage: onRequest(http.MethodGet, efProbe, func(_ http.ResponseWriter, r *http.Request, _ []byte) bool {
				r.Header.Del("X-API-KEY")
				return false
			}),
			wantFailed: []string{"HDR-11"}},
		{name: "broken signature accepted", spec: "efalia",
			breakage:   chain(efaliaBook3.recordLogins(efLogin, "token", "refreshToken"), efaliaBook3.acceptForged(efProbe, 1)),
			wantFailed: []string{"JWT-02", "JWT-04"}},
		{name: "changed claims accepted under the original signature", spec: "efalia",
			breakage:   chain(efaliaBook4.recordLogins(efLogin, "token", "refreshToken"), efaliaBook4.acceptForged(efProbe, 2)),
			wantFailed: []string{"JWT-03"}},
		{name: "error body with a stack trace", spec: "efalia",
			breakage: onResponse(http.MethodGet, efProbe, func(_ *http.Request, _ []byte, rec *httptest.ResponseRecorder) {
				if rec.Code == 401 {
					setBody(rec, `{"code":401,"error":true,"message":"java.lang.IllegalStateException: no token\n\tat org.example.auth.Filter.check(Filter.java:42)"}`)
				}
			}),
			wantFailed: []string{"ERR-05"}},
		{name: "error body not in the vendor's shape", spec: "efalia",
			breakage: onResponse(http.MethodGet, efProbe, func(_ *http.Request, _ []byte, rec *httptest.ResponseRecorder) {
				if rec.Code == 401 {
					setBody(rec, `{"message":"unauthorized"}`) // RestMessage without code and error
				}
			}),
			wantFailed: []string{"ERR-07"}},
		{name: "access token taken from the query string", spec: "efalia",
			breakage: onRequest(http.MethodGet, efProbe, func(_ http.ResponseWriter, r *http.Request, _ []byte) bool {
				if tok := r.URL.Query().Get("access_token"); tok != "" && r.Header.Get("Authorization") == "" {
					r.Header.Set("Authorization", "Bearer "+tok)
				}
				return false
			}),
			wantFailed: []string{"HDR-08"}},
	}
}

func TestBrokenServersFailTheirCheck(t *testing.T) {
	covered := map[string]bool{}
	for _, tc := range brokenCases() {
		for _, id := range tc.wantFailed {
			covered[id] = true
		}
		t.Run(tc.name, func(t *testing.T) {
			sp, err := specs.Load(tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			var opts []mockserver.Option
			set := defects.Choose(tc.defects, nil)
			if !set.Empty() {
				opts = append(opts, mockserver.WithExtension(set))
			}
			m, err := mockserver.New([]*specs.Spec{sp}, opts...)
			if err != nil {
				t.Fatal(err)
			}
			var h http.Handler = m
			if tc.breakage != nil {
				h = tc.breakage(m)
			}
			ts := httptest.NewUnstartedServer(h)
			ts.Listener = set.Listener(ts.Listener) // the listener itself unless a defect needs the wire
			ts.Start()
			defer ts.Close()
			tg := exampleTarget(t, tc.spec, ts.URL)
			if tc.target != nil {
				tc.target(tg)
			}
			rep := runAgainst(t, tg, "")
			// Caught at any level: a failed MUST check or a warning the correct server does not get.
			failed := map[string]reports.Check{}
			for _, c := range rep.Checks {
				if o := c.Outcome(); o == reports.Failed || o == reports.Warning {
					failed[c.ID] = c
				}
			}
			for _, id := range tc.wantFailed {
				c, ok := failed[id]
				if !ok {
					t.Errorf("%s did not fail on a server where %s", id, tc.name)
					continue
				}
				if !strings.Contains(c.Message, "rule") && !strings.Contains(c.Message, "expected") && !strings.Contains(c.Message, "Expected") {
					t.Errorf("%s failed without saying which rule or what was expected: %q", id, c.Message)
				}
				t.Logf("%s: %s", id, c.Message)
			}
		})
	}
	t.Run("every requirement has a breakage", func(t *testing.T) {
		var missing []string
		for _, id := range allRequirementIDs() {
			if !covered[id] {
				missing = append(missing, id)
			}
		}
		slices.Sort(missing)
		if len(missing) > 0 {
			t.Errorf("no broken server makes these checks fail: %v", missing)
		}
	})
}

// TestLifetimeFromDateHeaderWhenNoIat guards the fallback of LIF-02: a token without iat is
// measured from the response's Date header, and still conforms.
func TestLifetimeFromDateHeaderWhenNoIat(t *testing.T) {
	sp, _ := specs.Load("pixfile")
	m, err := mockserver.New([]*specs.Spec{sp})
	if err != nil {
		t.Fatal(err)
	}
	stripIat := onResponse(http.MethodPost, "/api/v2/login", func(_ *http.Request, _ []byte, rec *httptest.ResponseRecorder) {
		tok := rec.Header().Get("X-Auth-Token")
		p := jwtParts(tok)
		if len(p) != 3 {
			return
		}
		pb, _ := base64.RawURLEncoding.DecodeString(p[1])
		var claims map[string]any
		_ = json.Unmarshal(pb, &claims)
		delete(claims, "iat")
		nb, _ := json.Marshal(claims)
		nt := p[0] + "." + base64.RawURLEncoding.EncodeToString(nb) + "." + p[2]
		rec.Header().Set("X-Auth-Token", nt)
		setJSONField(rec, "X-Auth-Token", nt)
	})
	ts := httptest.NewServer(stripIat(m))
	defer ts.Close()
	rep := runAgainst(t, exampleTarget(t, "pixfile", ts.URL), "LIF-02")
	found := false
	for _, c := range rep.Checks {
		if c.ID == "LIF-02" && c.Operation == "POST /api/v2/login" {
			found = true
			if c.Status != reports.Passed || c.Lifetime == nil || c.Lifetime.MeasuredFrom != "the Date header" {
				t.Errorf("LIF-02 without iat: %s %q %+v", c.Status, c.Message, c.Lifetime)
			}
		}
	}
	if !found {
		t.Error("LIF-02 did not run")
	}
}
