package mockserver

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authconform/authconform/mockserver/store/storetest"
	"github.com/authconform/authconform/specs"
)

// replicas are Servers of the same specs on one shared store, each on a clock of its own (real
// time), as replicas of the mock behind a load balancer are.
func replicas(t *testing.T, n int, list ...*specs.Spec) []*harness {
	t.Helper()
	stores := storetest.Shared(NewClock(), n)
	out := make([]*harness, n)
	for i := range out {
		c := NewClock()
		s, err := New(list, WithClock(c), WithStore(stores[i]))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Close)
		out[i] = &harness{t: t, s: s, clock: c}
	}
	return out
}

// eventually retries cond for a second: what another replica announces arrives on its own
// goroutine.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
	}
}

// TestReplicasAgree: two Servers on one store are one mock: a token issued by one is accepted by
// the other (one signing key), a logout on one is refused on the other, a refresh token is used
// once across both, the clock moved on one moves the other, an account disabled on one is
// disabled on the other, and a reset on one resets both.
func TestReplicasAgree(t *testing.T) {
	r := replicas(t, 2, loadSpec(t, "efalia"))
	a, b := r[0], r[1]
	protected := func(h *harness, token string) int {
		return h.do(h.req("GET", efalia+"/processes", "", "Authorization", "Bearer "+token)).Code
	}

	access, refresh := a.efaliaTokens("alice", "alice-password")
	if got := protected(b, access); got != 200 {
		t.Fatalf("a token issued by a, on b: %d, want 200", got)
	}

	// The refresh token is used once across both replicas.
	if got := b.do(b.req("POST", efalia+"/auth/refresh", `{"refreshToken":"`+refresh+`"}`)).Code; got != 200 {
		t.Fatalf("refresh on b: %d", got)
	}
	if got := a.do(a.req("POST", efalia+"/auth/refresh", `{"refreshToken":"`+refresh+`"}`)).Code; got == 200 {
		t.Error("the refresh token used on b was accepted again on a")
	}

	// A logout on a is refused on b at once.
	a.expect(a.do(a.req("POST", efalia+"/auth/logout", "", "Authorization", "Bearer "+access)), 200)
	if got := protected(b, access); got == 200 {
		t.Error("a token logged out on a is accepted on b")
	}

	// The clock moved on a moves b's.
	a.clock.Advance(48 * time.Hour)
	if err := a.s.SaveClock(context.Background()); err != nil {
		t.Fatal(err)
	}
	eventually(t, "b's clock follows a's", func() bool { return b.clock.Now().Sub(a.clock.Now()).Abs() < time.Minute })

	// An account disabled on a is disabled on b.
	if _, err := a.s.SetAccountState("efalia", "alice", specs.StateDisabled); err != nil {
		t.Fatal(err)
	}
	login := func(h *harness) int {
		return h.do(h.req("POST", efalia+"/auth/token", `{"username":"alice","password":"alice-password"}`)).Code
	}
	eventually(t, "alice is disabled on b", func() bool { return login(b) != 200 })

	// A reset on b resets a: accounts, clock, and the tokens issued before (a new key).
	a.clock.Advance(-48 * time.Hour) // so that the next tokens are valid on both clocks
	if err := a.s.SaveClock(context.Background()); err != nil {
		t.Fatal(err)
	}
	eventually(t, "b's clock back", func() bool { return b.clock.Now().Sub(a.clock.Now()).Abs() < time.Minute })
	bob, _ := a.efaliaTokens("bob", "bob-password")
	if err := b.s.Reset(context.Background()); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a's accounts reset", func() bool { return login(a) == 200 })
	eventually(t, "bob's token refused on a after the reset on b", func() bool { return protected(a, bob) != 200 })
	fresh, _ := b.efaliaTokens("bob", "bob-password")
	if got := protected(a, fresh); got != 200 {
		t.Errorf("a token issued by b after the reset, on a: %d", got)
	}
}

// TestReplicasShareOpaqueTokens: an opaque refresh token (nothing in it) issued by one replica is
// known to the other, which asks the store; and an RS256 access token one replica signs verifies
// on the other (one key pair).
func TestReplicasShareOpaqueTokens(t *testing.T) {
	sp, err := specs.Load("../examples/specs/oauth2.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if sp.Tokens.Refresh == nil || sp.Tokens.Refresh.Format != specs.FormatOpaque || sp.Tokens.Algorithm != "RS256" {
		t.Fatal("the OAuth 2 example no longer issues opaque refresh tokens and RS256 access tokens; pick another spec")
	}
	r := replicas(t, 2, sp)
	token := func(h *harness, form url.Values) (int, map[string]any) {
		for k, v := range map[string]string{"client_id": "web-app", "client_secret": "web-app-secret"} {
			form.Set(k, v)
		}
		rec := h.do(httptestRequest("POST", "/oauth/token", form.Encode()))
		return rec.Code, h.json(rec)
	}
	status, first := token(r[0], url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {"alice-password"}})
	refresh := str(first["refresh_token"])
	if status != 200 || refresh == "" || strings.Count(refresh, ".") == 2 {
		t.Fatalf("login on replica 0: %d, refresh token %q (want an opaque one)", status, refresh)
	}
	if got, _ := token(r[1], url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh + "x"}}); got == 200 {
		t.Error("an unknown opaque refresh token was accepted")
	}
	status, second := token(r[1], url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}})
	if status != 200 {
		t.Fatalf("replica 0's opaque refresh token on replica 1: %d %v", status, second)
	}
	if got := r[0].do(r[0].req("GET", "/oauth/userinfo", "", "Authorization", "Bearer "+str(second["access_token"]))).Code; got != 200 {
		t.Errorf("an RS256 access token of replica 1, on replica 0: %d, want 200", got)
	}
}

func httptestRequest(method, path, form string) *http.Request {
	r, _ := http.NewRequest(method, path, strings.NewReader(form))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r
}

// accountIDs lists the ids of the accounts s serves for spec, sorted.
func accountIDs(s *Server, spec string) []string {
	var ids []string
	for _, a := range s.Accounts(spec) {
		ids = append(ids, a.ID)
	}
	slices.Sort(ids)
	return ids
}

// TestReplicasAccountChangesMerge: an account change made on one replica before it heard of
// another replica's change keeps both: the accounts are changed as the store keeps them, not as
// the replica last saw them. (A replica that saved its working copy whole undid the other's
// change: an account added on A was gone once B disabled another.)
func TestReplicasAccountChangesMerge(t *testing.T) {
	r := replicas(t, 2, loadSpec(t, "efalia"))
	a, b := r[0], r[1]
	b.s.Close() // b hears nothing more: as if a's announcement were still on its way
	if _, err := a.s.AddAccount("efalia", specs.Account{Fields: map[string]string{"username": "dora", "password": "dora-password"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.s.SetAccountState("efalia", "bob", specs.StateDisabled); err != nil {
		t.Fatal(err)
	}
	if got := accountIDs(b.s, "efalia"); !slices.Equal(got, []string{"alice", "bob", "dora"}) {
		t.Errorf("b after its change: %v, want dora (added on a) too", got)
	}
	login := func(h *harness, user string) int {
		return h.do(h.req("POST", efalia+"/auth/token", `{"username":"`+user+`","password":"`+user+`-password"}`)).Code
	}
	eventually(t, "a: dora (added on a) logs in and bob (disabled on b) does not", func() bool {
		return login(a, "dora") == 200 && login(a, "bob") != 200
	})
}

// TestReplicasConcurrentAccountChanges: accounts added at once through two replicas, several
// at a time through each, are all kept.
func TestReplicasConcurrentAccountChanges(t *testing.T) {
	r := replicas(t, 2, loadSpec(t, "efalia"))
	const each = 20
	var wg sync.WaitGroup
	want := []string{"alice", "bob"}
	for i := range 2 * each {
		id := fmt.Sprintf("user%02d", i)
		want = append(want, id)
		wg.Go(func() {
			if _, err := r[i%2].s.AddAccount("efalia", specs.Account{Fields: map[string]string{"username": id, "password": "pw"}}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	slices.Sort(want)
	for i, h := range r {
		eventually(t, fmt.Sprintf("replica %d has every account added", i), func() bool { return slices.Equal(accountIDs(h.s, "efalia"), want) })
	}
}
