package mockserver

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/authconform/authconform/specs"
)

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "mock.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadConfigErrors(t *testing.T) {
	cases := []struct {
		name string
		body string
		want []string
	}{
		{name: "unknown top-level field", body: "spec: {}\n", want: []string{"mock.yaml:1:1: spec: unknown field"}},
		{name: "misspelt account field", body: "specs:\n  pixfile:\n    accounts:\n      - {username: u, pasword: p}\n",
			want: []string{"mock.yaml:4:23: specs.pixfile.accounts[0].pasword: unknown field", "an account of pixfile has id, apiKeys, state, profile, username, password"}},
		{name: "a field of another spec's accounts", body: "specs:\n  pixfile:\n    accounts:\n      - {username: u, companyId: c}\n",
			want: []string{"specs.pixfile.accounts[0].companyId: unknown field"}},
		{name: "bad state", body: "specs:\n  pixfile:\n    accounts:\n      - {username: u, state: locked}\n",
			want: []string{"mock.yaml:4:23: specs.pixfile.accounts[0].state", `state "locked"`}},
		{name: "bad duration", body: "specs:\n  elyssa:\n    access: soon\n", want: []string{"mock.yaml:3:5: specs.elyssa.access", "24h"}},
		{name: "wrong type", body: "specs:\n  pixfile:\n    accounts: yes\n", want: []string{"mock.yaml:3:5: specs.pixfile.accounts: want a list"}},
		{name: "short signing key", body: "specs:\n  pixfile:\n    signingKey: short\n", want: []string{"specs.pixfile.signingKey"}},
		{name: "duplicate username", body: "specs:\n  pixfile:\n    accounts:\n      - {id: a, username: u}\n      - {id: b, username: u}\n",
			want: []string{"mock.yaml:5:9: specs.pixfile.accounts[1]", "same username"}},
		{name: "cors origins not a list", body: "cors:\n  origins: http://x\n", want: []string{"cors.origins"}},
		{name: "not YAML", body: "specs: [\n", want: []string{"mock.yaml", "not valid YAML"}},
		{name: "two problems at once", body: "specs:\n  pixfile:\n    acess: 1h\n    refrsh: 1h\n", want: []string{"acess", "refrsh"}},
		{name: "store not a store", body: "store:\n  url: memcached://u:s3cret@h:1\n", want: []string{"mock.yaml:2:3: store.url", "redis://"}},
		{name: "store prefix with a space", body: "store:\n  prefix: team mock\n", want: []string{"mock.yaml:2:3: store.prefix"}},
		{name: "store field misspelt", body: "store:\n  uri: redis://h\n", want: []string{"store.uri: unknown field"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// The accounts are read against their spec when the mock is built: that is when
			// serve refuses a config, so the two steps are one here.
			cfg, err := LoadConfig(writeConfig(t, tc.body))
			if err == nil {
				_, err = New([]*specs.Spec{loadSpec(t, "pixfile"), loadSpec(t, "elyssa")}, WithConfig(cfg))
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("the error shows a password: %v", err)
			}
		})
	}
	cfg, err := LoadConfig(writeConfig(t, "store:\n  url: rediss://:pw@redis.team:6380/2\n  prefix: \"team:\"\n"))
	if err != nil || cfg.Store.URL != "rediss://:pw@redis.team:6380/2" || cfg.Store.Prefix != "team:" {
		t.Errorf("store: %+v, %v", cfg, err)
	}
	if _, err := LoadConfig(filepath.Join(t.TempDir(), "missing.yaml")); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("missing file: %v", err)
	}
}

func TestConfigApplies(t *testing.T) {
	p := writeConfig(t, `
specs:
  pixfile:
    access: 2h
    signingKey: a-fixed-signing-key-for-tests
    accounts:
      - {username: ops, password: ops-password, profile: {userId: 42}}
  elyssa:
    refresh: 1d
cors:
  origins: [http://localhost:3000]
`)
	cfg, err := LoadConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.CORS.Origins; len(got) != 1 || got[0] != "http://localhost:3000" {
		t.Errorf("cors origins %v", got)
	}
	build := func() *harness {
		clock := NewClockAt(t0)
		s, err := New([]*specs.Spec{loadSpec(t, "pixfile"), loadSpec(t, "elyssa")}, WithConfig(cfg), WithClock(clock))
		if err != nil {
			t.Fatal(err)
		}
		return &harness{t: t, s: s, clock: clock}
	}
	h := build()
	cases := []struct {
		name string
		run  func(t *testing.T)
	}{
		{name: "config accounts replace the demo accounts", run: func(t *testing.T) {
			h.expect(h.do(h.req("POST", "/api/v2/login", `{"username":"user","password":"pass"}`)), 401)
			rec := h.do(h.req("POST", "/api/v2/login", `{"username":"ops","password":"ops-password"}`))
			h.expect(rec, 200)
			if id := h.json(rec)["userId"]; id != float64(42) {
				t.Errorf("userId %v, want 42 from the profile", id)
			}
		}},
		{name: "access lifetime override", run: func(t *testing.T) {
			tok := h.pixfileToken("ops", "ops-password")
			h.clock.Advance(2*3600e9 - 1e9)
			h.expect(h.do(h.req("GET", "/api/v2/customers", "", "X-Auth-Token", tok)), 200)
			h.clock.Advance(2e9)
			h.expect(h.do(h.req("GET", "/api/v2/customers", "", "X-Auth-Token", tok)), 401)
		}},
		{name: "refresh lifetime override", run: func(t *testing.T) {
			_, r := h.elyssaTokens(company1)
			h.clock.Advance(24*3600e9 + 1e9)
			h.expect(h.do(h.req("POST", "/auth/refresh/", `{"refresh":"`+r+`"}`)), 401)
		}},
		{name: "a pinned signing key survives a restart", run: func(t *testing.T) {
			tok := h.pixfileToken("ops", "ops-password")
			h2 := build()
			h2.clock.Set(h.clock.Now())
			h2.expect(h2.do(h2.req("GET", "/api/v2/customers", "", "X-Auth-Token", tok)), 200)
			// and a reset keeps a pinned key too
			_ = h2.s.Reset(context.Background())
			h2.clock.Set(h.clock.Now())
			h2.expect(h2.do(h2.req("GET", "/api/v2/customers", "", "X-Auth-Token", tok)), 200)
		}},
		{name: "accounts are reported", run: func(t *testing.T) {
			if a := h.s.Accounts("pixfile"); len(a) != 1 || a[0].Value("username") != "ops" {
				t.Errorf("Accounts(pixfile) = %v", a)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, tc.run)
	}
}
