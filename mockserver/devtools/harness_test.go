package devtools

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/authconform/authconform/mockserver"
	"github.com/authconform/authconform/specs"
)

// loaded caches the bundled specs: loading validates a whole document, and a Spec is read-only
// once loaded, so every test may share it.
var loaded sync.Map // name -> *specs.Spec

func loadSpec(t testing.TB, name string) *specs.Spec {
	t.Helper()
	if sp, ok := loaded.Load(name); ok {
		return sp.(*specs.Spec)
	}
	sp, err := specs.Load(name)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	loaded.Store(name, sp)
	return sp
}

// adminHost is the Host of the admin requests tests send: serve's default address.
const adminHost = "127.0.0.1:8080"

// t0 is where the test clock starts; it stands still unless a test moves it.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

type harness struct {
	t     testing.TB
	s     *mockserver.Server
	d     *tooling // the tools as attached to s
	clock *mockserver.ControlledClock
}

// newHarness serves the named bundled specs (all when none) on a still clock.
func newHarness(t testing.TB, names ...string) *harness {
	t.Helper()
	var list []*specs.Spec
	if len(names) == 0 {
		names = specs.Names()
	}
	for _, n := range names {
		list = append(list, loadSpec(t, n))
	}
	clock := mockserver.NewClockAt(t0)
	tools := NewTools(Options{})
	s, err := mockserver.New(list, mockserver.WithClock(clock), mockserver.WithExtension(tools))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return &harness{t: t, s: s, d: tools.last, clock: clock}
}

// req builds a request; kv are header name/value pairs. An admin request is built as curl sends
// one to `serve`'s default address: Host 127.0.0.1:8080 (httptest's example.com is refused by
// the admin guard), and Content-Type: application/json on a call that may change state, also
// without a body; kv may change both.
func (h *harness) req(method, path, body string, kv ...string) *http.Request {
	var r *http.Request
	if body == "" {
		r = httptest.NewRequest(method, path, nil)
	} else {
		r = httptest.NewRequest(method, path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
	}
	if strings.HasPrefix(r.URL.Path, mockserver.AdminPrefix) {
		r.Host = adminHost
		if changesState(method) {
			r.Header.Set("Content-Type", "application/json")
		}
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			r.Header.Del(kv[i])
			continue
		}
		r.Header.Set(kv[i], kv[i+1])
	}
	return r
}

// do serves r and, when r reaches an operation, checks the response against the spec.
func (h *harness) do(r *http.Request) *httptest.ResponseRecorder {
	h.t.Helper()
	var reqBody []byte
	if r.Body != nil {
		reqBody, _ = io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	rec := httptest.NewRecorder()
	h.s.ServeHTTP(rec, r)
	if rec.Code != http.StatusNotFound && rec.Code != http.StatusMethodNotAllowed && rec.Code != http.StatusRequestEntityTooLarge &&
		!strings.HasPrefix(r.URL.Path, mockserver.AdminPrefix) {
		check := r.Clone(context.Background())
		check.Body = io.NopCloser(bytes.NewReader(reqBody))
		if err := conforms(h.s, check, rec.Code, rec.Header(), rec.Body.Bytes()); err != nil {
			h.t.Errorf("%s %s -> %d does not conform to the spec: %v\nbody: %s", r.Method, r.URL.Path, rec.Code, err, rec.Body.String())
		}
	}
	return rec
}

// conforms checks a response against the spec of the operation the request reaches, with
// IncludeResponseStatus so an undocumented status fails.
func conforms(s *mockserver.Server, r *http.Request, status int, header http.Header, body []byte) error {
	op := s.Route(r)
	if op == nil {
		return errNoRoute
	}
	router, err := routerOf(op.Spec())
	if err != nil {
		return err
	}
	if r.Method == http.MethodHead {
		r = r.Clone(r.Context())
		r.Method = http.MethodGet
	}
	route, params, err := router.FindRoute(r)
	if err != nil {
		return err
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route},
		Status:                 status,
		Header:                 header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true},
	}
	return openapi3filter.ValidateResponse(context.Background(), in)
}

var errNoRoute = errors.New("the request reaches no operation")

// routers caches a kin-openapi router per spec, on the base path as the mock serves it.
var routerCache sync.Map // *specs.Spec -> routers.Router

func routerOf(sp *specs.Spec) (routers.Router, error) {
	if r, ok := routerCache.Load(sp); ok {
		return r.(routers.Router), nil
	}
	doc := *sp.Doc
	base := sp.BasePath
	if base == "" {
		base = "/"
	}
	doc.Servers = openapi3.Servers{{URL: base}}
	r, err := gorillamux.NewRouter(&doc)
	if err != nil {
		return nil, err
	}
	routerCache.Store(sp, r)
	return r, nil
}

func (h *harness) json(rec *httptest.ResponseRecorder) map[string]any {
	h.t.Helper()
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		h.t.Fatalf("body is not a JSON object: %v: %s", err, rec.Body.String())
	}
	return m
}

// expect fails unless rec has status want.
func (h *harness) expect(rec *httptest.ResponseRecorder, want int) {
	h.t.Helper()
	if rec.Code != want {
		h.t.Fatalf("status %d, want %d; message %q; body %s", rec.Code, want, rec.Header().Get(mockserver.MessageHeader), rec.Body.String())
	}
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// Logins of the bundled specs' demo accounts, failing the test when refused.

func (h *harness) pixfileToken(user, pass string) string {
	h.t.Helper()
	rec := h.do(h.req("POST", "/api/v2/login", `{"username":"`+user+`","password":"`+pass+`"}`))
	h.expect(rec, 200)
	return rec.Header().Get("X-Auth-Token")
}

func (h *harness) efaliaTokens(user, pass string) (access, refresh string) {
	h.t.Helper()
	rec := h.do(h.req("POST", "/workey/api/auth/token", `{"username":"`+user+`","password":"`+pass+`"}`))
	h.expect(rec, 200)
	b := h.json(rec)
	return str(b["token"]), str(b["refreshToken"])
}

const (
	company1 = "11111111-1111-4111-8111-111111111111"
	company2 = "22222222-2222-4222-8222-222222222222"
)

func (h *harness) elyssaTokens(company string) (access, refresh string) {
	h.t.Helper()
	rec := h.do(h.req("POST", "/auth/login/", `{"companyId":"`+company+`"}`))
	h.expect(rec, 200)
	b := h.json(rec)
	return str(b["accessToken"]), str(b["refreshToken"])
}

func (h *harness) precrimeToken(user, pass string) string {
	h.t.Helper()
	rec := h.do(h.req("POST", "/user/login", `{"username":"`+user+`","password":"`+pass+`"}`))
	h.expect(rec, 200)
	return str(h.json(rec)["Token"])
}

func (h *harness) precrimeKey(token, name string) string {
	h.t.Helper()
	rec := h.do(h.req("POST", "/authheader/add", `{"name":"`+name+`"}`, "Authorization", "Bearer "+token))
	h.expect(rec, 200)
	return str(h.json(rec)["token"])
}

// newMock is New, also returning the tools as attached to the mock.
func newMock(list []*specs.Spec, opts ...mockserver.Option) (*mockserver.Server, *tooling, error) {
	tools := NewTools(Options{})
	s, err := mockserver.New(list, append(opts, mockserver.WithExtension(tools))...)
	return s, tools.last, err
}

// must returns v, failing the test by a panic when err is not nil.
func must[V any](v V, err error) V {
	if err != nil {
		panic(err)
	}
	return v
}
