package mockserver

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// serve is a goroutine-safe request: no testing.T calls from worker goroutines besides Errorf.
func (h *harness) serve(r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.s.ServeHTTP(rec, r)
	return rec
}

func TestConcurrency(t *testing.T) {
	const workers = 32
	cases := []struct {
		name string
		run  func(t *testing.T, h *harness)
	}{
		{name: "logins", run: func(t *testing.T, h *harness) {
			var wg sync.WaitGroup
			tokens := make([]string, workers)
			for i := range workers {
				wg.Go(func() {
					rec := h.serve(h.req("POST", "/api/v2/login", `{"username":"user","password":"pass"}`))
					if rec.Code != 200 {
						t.Errorf("login %d: %d", i, rec.Code)
					}
					tokens[i] = rec.Header().Get("X-Auth-Token")
				})
			}
			wg.Wait()
			seen := map[string]bool{}
			for _, tok := range tokens {
				if seen[tok] {
					t.Error("two logins got the same token")
				}
				seen[tok] = true
			}
		}},
		{name: "a rotated refresh token succeeds exactly once", run: func(t *testing.T, h *harness) {
			_, refresh := h.efaliaTokens("alice", "alice-password")
			var wins atomic.Int32
			var wg sync.WaitGroup
			for range workers {
				wg.Go(func() {
					rec := h.serve(h.req("POST", efalia+"/auth/refresh", `{"refreshToken":"`+refresh+`"}`))
					switch rec.Code {
					case 200:
						wins.Add(1)
					case 555:
					default:
						t.Errorf("refresh: %d", rec.Code)
					}
				})
			}
			wg.Wait()
			if n := wins.Load(); n != 1 {
				t.Errorf("%d refreshes succeeded with one rotated token, want exactly 1", n)
			}
		}},
		{name: "a non-rotated refresh token keeps working", run: func(t *testing.T, h *harness) {
			_, refresh := h.elyssaTokens(company1)
			var wg sync.WaitGroup
			for range workers {
				wg.Go(func() {
					if rec := h.serve(h.req("POST", "/auth/refresh/", `{"refresh":"`+refresh+`"}`)); rec.Code != 200 {
						t.Errorf("refresh: %d", rec.Code)
					}
				})
			}
			wg.Wait()
		}},
		{name: "created keys work, deleted keys never do", run: func(t *testing.T, h *harness) {
			tok := h.precrimeToken(john, johnPass)
			var wg sync.WaitGroup
			for i := range workers {
				wg.Go(func() {
					rec := h.serve(h.req("POST", "/authheader/add", fmt.Sprintf(`{"name":"k%d"}`, i), "Authorization", "Bearer "+tok))
					if rec.Code != 200 {
						t.Errorf("add: %d", rec.Code)
						return
					}
					key := rec.Body.String()
					key = key[strings.Index(key, `"token":"`)+9:]
					key = key[:strings.IndexByte(key, '"')]
					if rec := h.serve(h.req("GET", "/authheader/list", "", "Authorization", key)); rec.Code != 200 {
						t.Errorf("fresh key refused: %d", rec.Code)
					}
					if rec := h.serve(h.req("POST", "/authheader/delete", `{"text":"`+key+`"}`, "Authorization", "Bearer "+tok)); rec.Code != 200 {
						t.Errorf("delete: %d", rec.Code)
					}
					for range 3 {
						if rec := h.serve(h.req("GET", "/authheader/list", "", "Authorization", key)); rec.Code != 401 {
							t.Errorf("deleted key answered %d, want 401", rec.Code)
						}
					}
				})
			}
			wg.Wait()
			if rec := h.serve(h.req("GET", "/authheader/list", "", "Authorization", "Bearer "+tok)); rec.Body.String() != "[]" {
				t.Errorf("keys left after every delete: %s", rec.Body.String())
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t, newHarness(t))
		})
	}
}
