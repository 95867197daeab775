package mockserver

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3filter"
)

// Benchmarks of the hot paths (the benchmark issue compares them with a bare net/http handler).
// Everything they touch was prepared in New: router, validators, keys, examples.

func benchServe(b *testing.B, h *harness, method, path, body string, kv ...string) {
	b.Helper()
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest(method, path, strings.NewReader(body))
		if body != "" {
			r.Header.Set("Content-Type", "application/json")
		}
		for i := 0; i+1 < len(kv); i += 2 {
			r.Header.Set(kv[i], kv[i+1])
		}
		rec := httptest.NewRecorder()
		h.s.ServeHTTP(rec, r)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
	}
}

func BenchmarkLogin(b *testing.B) {
	h := newHarness(b, "pixfile")
	benchServe(b, h, "POST", "/api/v2/login", `{"username":"user","password":"pass"}`)
}

func BenchmarkLoginAllSpecs(b *testing.B) {
	h := newHarness(b)
	benchServe(b, h, "POST", "/user/login", `{"username":"john.doe","password":"SecurePass123!"}`)
}

func BenchmarkProtectedCall(b *testing.B) {
	h := newHarness(b, "pixfile")
	tok := h.pixfileToken("user", "pass")
	benchServe(b, h, "GET", "/api/v2/customers", "", "X-Auth-Token", tok)
}

func BenchmarkProtectedCallAPIKey(b *testing.B) {
	h := newHarness(b, "precrime")
	key := h.precrimeKey(h.precrimeToken(john, johnPass), "bench")
	benchServe(b, h, "GET", "/authheader/list", "", "Authorization", "Bearer "+key)
}

// BenchmarkAPIKeyCycle adds, lists and deletes a key, as `make bench`'s API-key flow does.
func BenchmarkAPIKeyCycle(b *testing.B) {
	h := newHarness(b, "precrime")
	auth := "Bearer " + h.precrimeToken(john, johnPass)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		r := httptest.NewRequest("POST", "/authheader/add", strings.NewReader(`{"name":"bench"}`))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Authorization", auth)
		h.s.ServeHTTP(rec, r)
		var created struct{ Token string }
		if err := json.Unmarshal(rec.Body.Bytes(), &created); err != nil || created.Token == "" {
			b.Fatalf("add: %d %s", rec.Code, rec.Body)
		}
		r = httptest.NewRequest("GET", "/authheader/list", nil)
		r.Header.Set("Authorization", auth)
		h.s.ServeHTTP(httptest.NewRecorder(), r)
		r = httptest.NewRequest("POST", "/authheader/delete", strings.NewReader(`{"text":"`+created.Token+`"}`))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Authorization", auth)
		rec = httptest.NewRecorder()
		h.s.ServeHTTP(rec, r)
		if rec.Code != 200 {
			b.Fatalf("delete: %d %s", rec.Code, rec.Body)
		}
	}
}

// BenchmarkBareHandler is the yardstick: a net/http handler that writes a small JSON answer.
func BenchmarkBareHandler(b *testing.B) {
	bare := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":true}`))
	})
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		bare.ServeHTTP(rec, httptest.NewRequest("POST", "/api/v2/login", strings.NewReader(`{"username":"user","password":"pass"}`)))
	}
}

// BenchmarkRefreshRotating chains efalia's rotating refresh, as make bench's flow does: every
// call verifies a token never seen before, remembers it as used, and signs two new ones.
func BenchmarkRefreshRotating(b *testing.B) {
	h := newHarness(b, "efalia")
	_, refresh := h.efaliaTokens("alice", "alice-password")
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest("POST", "/workey/api/auth/refresh", strings.NewReader(`{"refreshToken":"`+refresh+`"}`))
		r.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.s.ServeHTTP(rec, r)
		var out struct{ RefreshToken string }
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || rec.Code != http.StatusOK || out.RefreshToken == "" {
			b.Fatalf("refresh: %d %s", rec.Code, rec.Body)
		}
		refresh = out.RefreshToken
	}
}

// BenchmarkRefresh is elyssa's refresh, which does not rotate: the same refresh token each time,
// a new access token signed.
func BenchmarkRefresh(b *testing.B) {
	h := newHarness(b, "elyssa")
	_, refresh := h.elyssaTokens(company1)
	benchServe(b, h, "POST", "/auth/refresh/", `{"refresh":"`+refresh+`"}`)
}

// BenchmarkLoginLogout is a login and the logout of its session (efalia, Bearer): a logout needs a
// session of its own, so the pair is the unit.
func BenchmarkLoginLogout(b *testing.B) {
	h := newHarness(b, "efalia")
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest("POST", efalia+"/auth/token", strings.NewReader(`{"username":"alice","password":"alice-password"}`))
		r.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.s.ServeHTTP(rec, r)
		var out struct{ Token string }
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || out.Token == "" {
			b.Fatalf("login: %d %s", rec.Code, rec.Body)
		}
		r = httptest.NewRequest("POST", efalia+"/auth/logout", nil)
		r.Header.Set("Authorization", "Bearer "+out.Token)
		rec = httptest.NewRecorder()
		h.s.ServeHTTP(rec, r)
		if rec.Code != http.StatusOK {
			b.Fatalf("logout: %d %s", rec.Code, rec.Body)
		}
	}
}

// BenchmarkValidateRequest is the request validation of a login alone: kin-openapi's
// ValidateRequest, parameters and the JSON body decoded and checked against its schema, without
// the flow.
func BenchmarkValidateRequest(b *testing.B) {
	h := newHarness(b, "pixfile")
	body := []byte(`{"username":"user","password":"pass"}`)
	r := httptest.NewRequest("POST", "/api/v2/login", nil)
	r.Header.Set("Content-Type", "application/json")
	op, route, params, _ := h.s.find(r)
	if op == nil || !op.jsonBody {
		b.Fatal("the pixfile login has no JSON body")
	}
	in := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route, Options: op.validate}
	b.ReportAllocs()
	for b.Loop() {
		r.Body = io.NopCloser(bytes.NewReader(body))
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			b.Fatal(err)
		}
	}
}
