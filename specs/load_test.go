package specs

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestBundledOperations pins, per vendor, every documented operation and status. The seed column
// is taken from shared/seeds, so a status dropped from a spec file fails here; the added column is
// what we add, and each added response must say why (x-authconform-added).
func TestBundledOperations(t *testing.T) {
	type op struct {
		key        string
		flow       FlowKind
		seed       []int // statuses the vendor documents
		added      []int // statuses we add, with x-authconform-added
		deprecated bool
		ourOp      bool // the whole operation is our addition (a probe)
	}
	tests := []struct {
		name string
		ops  []op
	}{
		{"efalia", []op{
			{key: "POST /auth/logout", flow: KindLogout, seed: []int{200, 401, 555}},
			{key: "POST /auth/refresh", flow: KindRefresh, seed: []int{200, 555}},
			{key: "POST /auth/token", flow: KindLogin, seed: []int{200, 555}},
			{key: "GET /processes", flow: KindResource, added: []int{200, 401, 555}, ourOp: true},
		}},
		{"elyssa", []op{
			{key: "POST /auth/login/", flow: KindLogin, seed: []int{200, 401}, added: []int{400}},
			{key: "POST /auth/refresh/", flow: KindRefresh, seed: []int{200, 401}, added: []int{400}},
			{key: "GET /companies/me", flow: KindResource, added: []int{200, 401}, ourOp: true},
		}},
		{"pixfile", []op{
			{key: "GET /api/v1/login", flow: KindLogin, seed: []int{200, 401, 403, 404}, added: []int{400}, deprecated: true},
			{key: "GET /api/v2/customers", flow: KindResource, added: []int{200, 401, 403}, ourOp: true},
			{key: "POST /api/v2/login", flow: KindLogin, seed: []int{200, 401, 403, 404}, added: []int{400}},
		}},
		{"precrime", []op{
			{key: "POST /authheader/add", flow: KindAPIKeyCreate, seed: []int{200}, added: []int{400, 401}},
			{key: "POST /authheader/delete", flow: KindAPIKeyDelete, seed: []int{200}, added: []int{400, 401, 404}},
			{key: "GET /authheader/list", flow: KindAPIKeyList, seed: []int{200}, added: []int{401}},
			{key: "POST /user/login", flow: KindLogin, seed: []int{200, 401, 403}, added: []int{400}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Load(tt.name)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			var got []string
			for _, o := range s.Operations {
				got = append(got, o.Key())
			}
			var want []string
			for _, o := range tt.ops {
				want = append(want, o.key)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("operations = %v, want %v", got, want)
			}
			for i, w := range tt.ops {
				o := s.Operations[i]
				all := slices.Sorted(slices.Values(append(slices.Clone(w.seed), w.added...)))
				if !slices.Equal(o.Statuses, all) {
					t.Errorf("%s: statuses = %v, want seed %v + added %v", w.key, o.Statuses, w.seed, w.added)
				}
				if o.Flow.Kind != w.flow {
					t.Errorf("%s: flow = %q, want %q", w.key, o.Flow.Kind, w.flow)
				}
				if o.Deprecated != w.deprecated {
					t.Errorf("%s: deprecated = %v, want %v", w.key, o.Deprecated, w.deprecated)
				}
				if (o.Added != "") != w.ourOp {
					t.Errorf("%s: x-authconform-added = %q, want an addition: %v", w.key, o.Added, w.ourOp)
				}
				if w.ourOp {
					continue
				}
				for _, st := range w.added {
					r := o.Op.Responses.Status(st)
					if r == nil || r.Value == nil || r.Value.Extensions[extAdded] == nil {
						t.Errorf("%s: added status %d does not say why (x-authconform-added)", w.key, st)
					}
				}
			}
		})
	}
}

// TestBundledFacts pins the facts the vendors' prose states, so a careless edit of a spec file
// that changes a documented rule fails a test that quotes the rule.
func TestBundledFacts(t *testing.T) {
	load := func(name string) *Spec {
		t.Helper()
		s, err := Load(name)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	t.Run("efalia base path is the server variable default", func(t *testing.T) {
		if s := load("efalia"); s.BasePath != "/workey/api" {
			t.Errorf("BasePath = %q", s.BasePath)
		}
	})
	t.Run("efalia refused login answers 555", func(t *testing.T) {
		op, _ := load("efalia").Operation("postToken")
		for _, f := range []Failure{FailBadCredentials, FailUnknownAccount, FailInvalidRequest} {
			if st, _ := op.Flow.Failure(f); st != 555 {
				t.Errorf("%s -> %d, want 555", f, st)
			}
		}
	})
	t.Run("efalia logout accepts Basic, Bearer and API key", func(t *testing.T) {
		op, _ := load("efalia").Operation("postLogout")
		if got := len(op.Security); got != 3 {
			t.Fatalf("%d alternatives, want 3", got)
		}
		imp := op.Security[2][1]
		if imp.Impersonates != FieldUsername || !imp.Optional {
			t.Errorf("impersonation scheme = %+v", imp)
		}
	})
	t.Run("pixfile token 24h in header and body", func(t *testing.T) {
		s := load("pixfile")
		if s.Tokens.Access.Lifetime.D() != 24*time.Hour || !s.Tokens.Access.Documented {
			t.Errorf("access lifetime = %v documented=%v", s.Tokens.Access.Lifetime, s.Tokens.Access.Documented)
		}
		op, _ := s.Operation("loginV2")
		var places []string
		for _, tk := range op.Flow.Tokens {
			places = append(places, tk.Location.String())
		}
		if !slices.Equal(places, []string{"header X-Auth-Token", "body /X-Auth-Token"}) {
			t.Errorf("token places = %v", places)
		}
		if st, _ := op.Flow.Failure(FailAccountDisabled); st != 403 {
			t.Errorf("disabled -> %d, want 403", st)
		}
	})
	t.Run("elyssa lifetimes 24h and 360d, tenant bound", func(t *testing.T) {
		s := load("elyssa")
		if s.Tokens.Access.Lifetime.D() != 24*time.Hour || s.Tokens.Refresh.Lifetime.D() != 360*24*time.Hour {
			t.Errorf("lifetimes = %v / %v", s.Tokens.Access.Lifetime, s.Tokens.Refresh.Lifetime)
		}
		if sc := s.Schemes["CompanyId"]; sc.Binds != "companyId" || sc.Header != "x-company-id" {
			t.Errorf("CompanyId scheme = %+v", sc)
		}
	})
	t.Run("precrime 401 wrong credentials, 403 password expired", func(t *testing.T) {
		op, _ := load("precrime").Operation("userLogin")
		if st, _ := op.Flow.Failure(FailBadCredentials); st != 401 {
			t.Errorf("badCredentials -> %d", st)
		}
		if st, _ := op.Flow.Failure(FailPasswordExpired); st != 403 {
			t.Errorf("passwordExpired -> %d", st)
		}
	})
	t.Run("precrime created key token pointer", func(t *testing.T) {
		op, _ := load("precrime").Operation("addAuthHeader")
		if p, ok := op.Flow.Body.PointerOf("key.token"); !ok || p != "/token" {
			t.Errorf("PointerOf(key.token) = %q, %v", p, ok)
		}
	})
}

func TestBrokenFixtures(t *testing.T) {
	tests := []struct {
		file string
		want []string // every fragment must appear in the error
	}{
		{"bad-yaml.yaml", []string{"testdata/bad-yaml.yaml:3: not valid YAML: did not find expected ',' or '}'"}},
		{"dangling-ref.yaml", []string{"testdata/dangling-ref.yaml:21:24: paths./login.post.responses.200.content.application/json.schema.$ref: ", "#/components/schemas/Nope"}},
		{"unknown-field.yaml", []string{"unknown-field.yaml:31:9: paths./login.post.x-authconform-flow.lifetimee: ", `unknown field "lifetimee"`, "known fields: kind,"}},
		{"bad-duration.yaml", []string{"bad-duration.yaml:55:14: x-authconform.tokens.access.lifetime", `"24 hours" is not a duration; write it like 24h`}},
		{"no-token-location.yaml", []string{"paths./login.post.x-authconform-flow: a login flow needs a token location"}},
		{"unknown-extension.yaml", []string{"paths./me.get.x-authconform-flwo: unknown extension"}},
		{"undocumented-failure.yaml", []string{"undocumented-failure.yaml:42:20: paths./me.get.x-authconform-flow.failures.missingCredential: 403 is not a documented response"}},
		{"unknown-kind.yaml", []string{`unknown-kind.yaml:40:9: paths./me.get.x-authconform-flow.kind: "ressource" is not a flow kind`}},
		{"echoes-password.yaml", []string{"x-authconform-flow.body", "would echo a secret"}},
		{"external-ref.yaml", []string{"external reference"}},
		{"no-root-extension.yaml", []string{"no x-authconform block"}},
		{"bad-probe.yaml", []string{`x-authconform.probe: no operation has operationId "nobody"`}},
		{"pointer-not-in-schema.yaml", []string{"tokens[0]", "has no property at /tokn"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			_, err := Load(filepath.Join("testdata", tt.file))
			if err == nil {
				t.Fatal("loaded without error")
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error does not match ErrInvalid: %v", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\nlacks %q", err, w)
				}
			}
		})
	}
}

func TestMinimalLoads(t *testing.T) {
	s, err := Load("testdata/minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "minimal" || len(s.Operations) != 2 || s.SHA256 == "" || s.File != "testdata/minimal.yaml" {
		t.Errorf("got %+v", s)
	}
	if s.Accounts[0].ID != "u" || s.Accounts[0].State != StateEnabled {
		t.Errorf("account defaults not applied: %+v", s.Accounts[0])
	}
}

func TestLoadUnknown(t *testing.T) {
	for _, name := range []string{"nosuchvendor", "testdata/missing.yaml"} {
		_, err := Load(name)
		if !errors.Is(err, ErrUnknownSpec) {
			t.Errorf("Load(%q) = %v, want ErrUnknownSpec", name, err)
		}
	}
	dir := t.TempDir()
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("Load(dir) = %v", err)
	}
}

// A user's file loads exactly like a bundled one: the same bytes give the same model.
func TestUserFileLoadsLikeBundled(t *testing.T) {
	for _, name := range Names() {
		data, err := bundled.ReadFile(name + ".yaml")
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), name+".yaml")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		a, err := Load(name)
		if err != nil {
			t.Fatal(err)
		}
		b, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		if a.SHA256 != b.SHA256 || a.Name != b.Name || len(a.Operations) != len(b.Operations) {
			t.Errorf("%s: bundled and file differ", name)
		}
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		err  bool
		str  string
	}{
		{in: "24h", want: 24 * time.Hour, str: "24h"},
		{in: "360d", want: 360 * 24 * time.Hour, str: "360d"},
		{in: "1d12h", want: 36 * time.Hour, str: "36h"},
		{in: "90m", want: 90 * time.Minute, str: "1h30m"},
		{in: "1s", want: time.Second, str: "1s"},
		{in: "700000s", want: 700000 * time.Second, str: "194h26m40s"}, // found by FuzzParseDuration
		{in: "2h0m5s", want: 2*time.Hour + 5*time.Second, str: "2h0m5s"},
		{in: "24 hours", err: true},
		{in: "d", err: true},
		{in: "", err: true},
		{in: "-1d", err: true},
		{in: "36600d2562047h", err: true}, // the sum wrapped to a negative duration
		{in: "2562047h", want: 2562047 * time.Hour, str: "2562047h"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseDuration(tt.in)
			if (err != nil) != tt.err {
				t.Fatalf("err = %v, want error %v", err, tt.err)
			}
			if tt.err {
				return
			}
			if got.D() != tt.want || got.String() != tt.str {
				t.Errorf("= %v (%q), want %v (%q)", got.D(), got.String(), tt.want, tt.str)
			}
		})
	}
}

func TestTemplate(t *testing.T) {
	tmpl, err := compileTemplate(map[string]any{
		"id": "{{account.userId}}", "greeting": "hi {{account.username}}!", "fixed": true,
		"nested": []any{"{{now}}"},
	}, allowAccountRefs(func(f string) bool { return f == FieldPassword }))
	if err != nil {
		t.Fatal(err)
	}
	vals := map[string]any{"account.userId": float64(5), "account.username": "user", "now": "T"}
	got := tmpl.Render(func(ref string) (any, bool) { v, ok := vals[ref]; return v, ok }).(map[string]any)
	if got["id"] != float64(5) || got["greeting"] != "hi user!" || got["fixed"] != true || got["nested"].([]any)[0] != "T" {
		t.Errorf("rendered %v", got)
	}
	if p, ok := tmpl.PointerOf("now"); !ok || p != "/nested/0" {
		t.Errorf("PointerOf(now) = %q %v", p, ok)
	}
	for _, bad := range []any{"{{account.password}}", "{{key.id}}", "{{unclosed", map[string]any{"a": "{{status}}"}} {
		if _, err := compileTemplate(bad, allowAccountRefs(func(f string) bool { return f == FieldPassword })); err == nil {
			t.Errorf("compileTemplate(%v) accepted", bad)
		}
	}
}

func TestErrorsLocate(t *testing.T) {
	e := &Error{File: "f.yaml", Pointer: "paths./a.get", Problem: "bad", Err: ErrInvalid}
	if e.Error() != "f.yaml: paths./a.get: bad" || !errors.Is(e, ErrInvalid) {
		t.Errorf("Error() = %q", e.Error())
	}
	es := Errors{e, &Error{File: "f.yaml", Problem: "worse"}}
	if !strings.Contains(es.Error(), "\n") || !errors.Is(es, ErrInvalid) {
		t.Errorf("Errors = %q", es.Error())
	}
	_ = strconv.Itoa
}
