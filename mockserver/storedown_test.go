package mockserver

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authconform/authconform/mockserver/store"
	"github.com/authconform/authconform/specs"
)

// flakyStore is a memory store that fails every call with store.ErrUnavailable while down, as
// the Redis store does while Redis cannot be reached.
type flakyStore struct {
	store.Store
	down atomic.Bool
}

var errDown = store.Unavailable(errors.New("dial tcp 127.0.0.1:6379: connect: connection refused"))

func (f *flakyStore) err() error {
	if f.down.Load() {
		return errDown
	}
	return nil
}

func (f *flakyStore) Generation(ctx context.Context, scope, id string) (uint64, error) {
	if err := f.err(); err != nil {
		return 0, err
	}
	return f.Store.Generation(ctx, scope, id)
}

func (f *flakyStore) RevokeAccount(ctx context.Context, scope, id string) error {
	if err := f.err(); err != nil {
		return err
	}
	return f.Store.RevokeAccount(ctx, scope, id)
}

func (f *flakyStore) RevokeSession(ctx context.Context, scope, id string, until time.Time) error {
	if err := f.err(); err != nil {
		return err
	}
	return f.Store.RevokeSession(ctx, scope, id, until)
}

func (f *flakyStore) Revoked(ctx context.Context, scope, id string) (bool, error) {
	if err := f.err(); err != nil {
		return false, err
	}
	return f.Store.Revoked(ctx, scope, id)
}

func (f *flakyStore) Check(ctx context.Context, scope, account string, ids ...string) (uint64, bool, error) {
	if err := f.err(); err != nil {
		return 0, false, err
	}
	return f.Store.Check(ctx, scope, account, ids...)
}

func (f *flakyStore) UseRefresh(ctx context.Context, scope, jti string, until time.Time) (bool, error) {
	if err := f.err(); err != nil {
		return false, err
	}
	return f.Store.UseRefresh(ctx, scope, jti, until)
}

func (f *flakyStore) AddKey(ctx context.Context, k store.APIKey) error {
	if err := f.err(); err != nil {
		return err
	}
	return f.Store.AddKey(ctx, k)
}

func (f *flakyStore) Keys(ctx context.Context, scope, account string) ([]store.APIKey, error) {
	if err := f.err(); err != nil {
		return nil, err
	}
	return f.Store.Keys(ctx, scope, account)
}

func (f *flakyStore) KeyByHash(ctx context.Context, scope, hash string) (store.APIKey, bool, error) {
	if err := f.err(); err != nil {
		return store.APIKey{}, false, err
	}
	return f.Store.KeyByHash(ctx, scope, hash)
}

func (f *flakyStore) DeleteKey(ctx context.Context, scope, account, hash string) (bool, error) {
	if err := f.err(); err != nil {
		return false, err
	}
	return f.Store.DeleteKey(ctx, scope, account, hash)
}

func (f *flakyStore) Reset(ctx context.Context) error {
	if err := f.err(); err != nil {
		return err
	}
	return f.Store.Reset(ctx)
}

// TestStoreUnavailable: while the store fails, every request that needs it answers 503 with
// Retry-After and a message saying the store is unavailable, in the spec's error shape (never a
// refusal or a success the mock could not check); a request that does not need it (a wrong
// password, a token that does not verify) is answered as always; once the store is back, the
// same tokens work.
func TestStoreUnavailable(t *testing.T) {
	clock := NewClockAt(t0)
	fs := &flakyStore{Store: NewMemoryStore(clock)}
	s, err := New([]*specs.Spec{loadSpec(t, "efalia"), loadSpec(t, "precrime")}, WithClock(clock), WithStore(fs))
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, s: s, clock: clock}
	access, refresh := h.efaliaTokens("alice", "alice-password")
	pt := h.precrimeToken(john, johnPass)
	key := h.precrimeKey(pt, "ci")
	bearerOf := func(tok string) []string { return []string{"Authorization", "Bearer " + tok} }

	fs.down.Store(true)
	for _, tc := range []struct {
		name string
		req  *http.Request
	}{
		{"login", h.req("POST", "/workey/api/auth/token", `{"username":"alice","password":"alice-password"}`)},
		{"protected call with a token", h.req("GET", "/workey/api/processes", "", bearerOf(access)...)},
		{"protected call with a created key", h.req("GET", "/authheader/list", "", bearerOf(key)...)},
		{"refresh", h.req("POST", "/workey/api/auth/refresh", `{"refreshToken":"`+refresh+`"}`)},
		{"logout", h.req("POST", "/workey/api/auth/logout", "", bearerOf(access)...)},
		{"api key created", h.req("POST", "/authheader/add", `{"name":"x"}`, bearerOf(pt)...)},
		{"api keys listed", h.req("GET", "/authheader/list", "", bearerOf(pt)...)},
		{"api key deleted", h.req("POST", "/authheader/delete", `{"text":"`+key+`"}`, bearerOf(pt)...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, tc.req)
			if rec.Code != http.StatusServiceUnavailable {
				t.Fatalf("status %d, want 503; body %s", rec.Code, rec.Body.String())
			}
			if rec.Header().Get("Retry-After") == "" {
				t.Error("no Retry-After")
			}
			if msg := rec.Header().Get(MessageHeader); msg != StoreUnavailableMessage {
				t.Errorf("message %q", msg)
			}
			if b := h.json(rec); !strings.Contains(str(b["message"]), "store is unavailable") {
				t.Errorf("body %s: no message saying the store is unavailable", rec.Body.String())
			}
			if strings.Contains(rec.Body.String(), "6379") || strings.Contains(rec.Body.String(), "refused") {
				t.Errorf("the body shows the cause: %s", rec.Body.String())
			}
		})
	}
	// Refusals that need no store are answered as always.
	for _, r := range []*http.Request{
		h.req("POST", "/workey/api/auth/token", `{"username":"alice","password":"wrong"}`),
		h.req("GET", "/workey/api/processes", "", bearerOf("not-a-token")...),
	} {
		if rec := h.do(r); rec.Code < 400 || rec.Code == http.StatusServiceUnavailable {
			t.Errorf("%s %s with the store down: %d, want the spec's refusal", r.Method, r.URL.Path, rec.Code)
		}
	}

	fs.down.Store(false)
	h.expect(h.do(h.req("GET", "/workey/api/processes", "", bearerOf(access)...)), 200)
	h.expect(h.do(h.req("GET", "/authheader/list", "", bearerOf(key)...)), 200)
	h.expect(h.do(h.req("POST", "/workey/api/auth/refresh", `{"refreshToken":"`+refresh+`"}`)), 200)

	fs.down.Store(true)
	if err := s.Reset(context.Background()); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Reset with the store down: %v", err)
	}
	if _, err := s.StoreHealth(context.Background()); err != nil {
		t.Errorf("a store that is not Remote is healthy, got %v", err)
	}
}
