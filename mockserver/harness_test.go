package mockserver

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"

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

// t0 is where the test clock starts; it stands still unless a test moves it.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

type harness struct {
	t     testing.TB
	s     *Server
	clock *ControlledClock
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
	clock := NewClockAt(t0)
	s, err := New(list, WithClock(clock))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return &harness{t: t, s: s, clock: clock}
}

// req builds a request; kv are header name/value pairs (an empty value removes the header).
func (h *harness) req(method, path, body string, kv ...string) *http.Request {
	var r *http.Request
	if body == "" {
		r = httptest.NewRequest(method, path, nil)
	} else {
		r = httptest.NewRequest(method, path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
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
	if rec.Code != http.StatusNotFound && rec.Code != http.StatusMethodNotAllowed && rec.Code != http.StatusRequestEntityTooLarge {
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
func conforms(s *Server, r *http.Request, status int, header http.Header, body []byte) error {
	op, route, params, _ := s.find(r)
	if op == nil {
		return errNoRoute
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

var errNoRoute = &ConfigError{Problem: "the request reaches no operation"}

func (h *harness) json(rec *httptest.ResponseRecorder) map[string]any {
	h.t.Helper()
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		h.t.Fatalf("body is not a JSON object: %v: %s", err, rec.Body.String())
	}
	return m
}

func (h *harness) list(rec *httptest.ResponseRecorder) []any {
	h.t.Helper()
	var l []any
	if err := json.Unmarshal(rec.Body.Bytes(), &l); err != nil {
		h.t.Fatalf("body is not a JSON array: %v: %s", err, rec.Body.String())
	}
	return l
}

// expect fails unless rec has status want.
func (h *harness) expect(rec *httptest.ResponseRecorder, want int) {
	h.t.Helper()
	if rec.Code != want {
		h.t.Fatalf("status %d, want %d; message %q; body %s", rec.Code, want, rec.Header().Get(MessageHeader), rec.Body.String())
	}
}

func basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// flowCase is one row of a flow table: a request built on a fresh mock, the status it must get
// (the response is always checked against the spec), and optional further checks.
type flowCase struct {
	name  string
	req   func(h *harness) *http.Request
	want  int
	check func(t *testing.T, h *harness, rec *httptest.ResponseRecorder)
}

func runCases(t *testing.T, cases []flowCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			rec := h.do(tc.req(h))
			h.expect(rec, tc.want)
			if tc.check != nil {
				tc.check(t, h, rec)
			}
		})
	}
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

// wantMessage fails unless the error message (header, and body when JSON) contains each part.
func wantMessage(parts ...string) func(t *testing.T, h *harness, rec *httptest.ResponseRecorder) {
	return func(t *testing.T, h *harness, rec *httptest.ResponseRecorder) {
		t.Helper()
		msg := rec.Header().Get(MessageHeader)
		for _, p := range parts {
			if !strings.Contains(msg, p) {
				t.Errorf("message %q does not contain %q", msg, p)
			}
		}
		if rec.Body.Len() > 0 {
			if m := h.json(rec)["message"]; !strings.Contains(str(m), msg) {
				t.Errorf("body message %q differs from header %q", m, msg)
			}
		}
	}
}

func wantNoStore(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	if rec.Header().Get("Cache-Control") != "no-store" || rec.Header().Get("Pragma") != "no-cache" {
		t.Errorf("token response without Cache-Control: no-store and Pragma: no-cache: %v", rec.Header())
	}
}
