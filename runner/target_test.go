package runner

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/authconform/authconform/specs"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestParseTarget(t *testing.T) {
	const good = `
spec: pixfile
baseURL: http://127.0.0.1:9000/
accounts:
  valid:    {username: user, password: "${PIXFILE_PASSWORD}"}
  other:    {username: carol, password: Carol-pass-3}
  disabled: {username: dave, password: Dave-pass-4}
probe: {method: get, path: /api/v2/customers}
expect:
  accessTokenLifetime: 24h
  refreshTokenLifetime: 360d
fields:
  accessToken: /token
  refreshToken: /refreshToken
clockControl: off
insecureSkipVerify: true
timeout: 5s
`
	tg, err := ParseTarget("good.yaml", []byte(good), env(map[string]string{"PIXFILE_PASSWORD": "s3cret-from-env"}))
	if err != nil {
		t.Fatal(err)
	}
	if tg.BaseURL.String() != "http://127.0.0.1:9000" {
		t.Errorf("BaseURL = %s, want the trailing slash trimmed", tg.BaseURL)
	}
	if got := tg.Accounts["valid"]["password"]; got != "s3cret-from-env" {
		t.Errorf("${PIXFILE_PASSWORD} expanded to %q", got)
	}
	if *tg.Expect.RefreshTokenLifetime != 360*24*time.Hour || *tg.Expect.AccessTokenLifetime != 24*time.Hour {
		t.Errorf("expect = %v, %v", *tg.Expect.AccessTokenLifetime, *tg.Expect.RefreshTokenLifetime)
	}
	if tg.Probe.Method != "GET" || tg.Fields.AccessToken != "/token" || tg.ClockControl != ClockOff || !tg.InsecureSkipVerify || tg.Timeout != 5*time.Second {
		t.Errorf("parsed %+v", tg)
	}
	for _, s := range []string{"s3cret-from-env", "Carol-pass-3", "Dave-pass-4"} {
		if !strings.Contains(strings.Join(tg.Secrets, "\n"), s) {
			t.Errorf("secret %q not registered for redaction", s)
		}
	}

	bad := []struct {
		name, yaml, want string
	}{
		{"empty", ``, "is empty"},
		{"not yaml", "spec: [", "not valid YAML"},
		{"not a mapping", "- a\n- b", "want a mapping"},
		{"unknown top field", "spec: x\nbaseURL: http://h\naccounts: {valid: {u: a}}\nbaseUrl: http://h", `bad.yaml:4:1: baseUrl: unknown field`},
		{"unknown field named", "spec: x\nbaseURL: http://h\naccounts: {valid: {u: a}}\ntimeot: 1s", `unknown field "timeot"`},
		{"not a role", "spec: x\nbaseURL: http://h\naccounts: {valid: {u: a}, \"ad min\": {u: b}}", `"ad min" is not a role`},
		{"missing spec", "baseURL: http://h\naccounts: {valid: {u: a}}", "spec: missing required field"},
		{"missing valid account", "spec: x\nbaseURL: http://h\naccounts: {other: {u: a}}", "accounts.valid"},
		{"bad URL", "spec: x\nbaseURL: ftp://h\naccounts: {valid: {u: a}}", "not an http or https URL"},
		{"URL with credentials", "spec: x\nbaseURL: http://u:p@h\naccounts: {valid: {u: a}}", "no user info"},
		{"unset env", "spec: x\nbaseURL: http://h\naccounts: {valid: {password: \"${NOPE}\"}}", "environment variable NOPE is not set"},
		{"bad duration", "spec: x\nbaseURL: http://h\naccounts: {valid: {u: a}}\nexpect: {accessTokenLifetime: soon}", `expect.accessTokenLifetime: "soon" is not a duration`},
		{"unknown expect", "spec: x\nbaseURL: http://h\naccounts: {valid: {u: a}}\nexpect: {lifetime: 1h}", `unknown field "lifetime"`},
		{"bad pointer", "spec: x\nbaseURL: http://h\naccounts: {valid: {u: a}}\nfields: {accessToken: token}", "not a JSON pointer"},
		{"probe without path", "spec: x\nbaseURL: http://h\naccounts: {valid: {u: a}}\nprobe: {method: GET}", "needs both method and path"},
		{"bad clock", "spec: x\nbaseURL: http://h\naccounts: {valid: {u: a}}\nclockControl: maybe", "want auto or off"},
		{"bool as string", "spec: x\nbaseURL: http://h\naccounts: {valid: {u: a}}\ninsecureSkipVerify: \"yes\"", "want true or false"},
		{"duplicate key", "spec: x\nspec: y\nbaseURL: http://h\naccounts: {valid: {u: a}}", "appears twice"},
		{"account value a list", "spec: x\nbaseURL: http://h\naccounts: {valid: {u: [a]}}", "accounts.valid.u: want a value"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseTarget("bad.yaml", []byte(tt.yaml), env(nil))
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, ErrConfig) {
				t.Errorf("error %v does not wrap ErrConfig", err)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "bad.yaml") {
				t.Errorf("error %q does not name the file and contain %q", err, tt.want)
			}
		})
	}
}

func TestLoadTarget(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name, body, want string
	}{
		{"bundled spec", "spec: elyssa\nbaseURL: http://127.0.0.1:1\naccounts: {valid: {companyId: x}}", ""},
		{"unknown spec", "spec: nosuch\nbaseURL: http://127.0.0.1:1\naccounts: {valid: {companyId: x}}", "no bundled spec"},
		{"probe not in spec", "spec: pixfile\nbaseURL: http://127.0.0.1:1\naccounts: {valid: {username: a}}\nprobe: {method: GET, path: /nope}", "is not a documented operation"},
		{"spec path relative to the target", "spec: ../../specs/pixfile.yaml\nbaseURL: http://127.0.0.1:1\naccounts: {valid: {username: a}}", "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadTarget(write(strings.ReplaceAll(tt.name, " ", "-")+".yaml", tt.body), env(nil))
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, ErrConfig) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
	if _, err := LoadTarget(filepath.Join(dir, "missing.yaml"), nil); err == nil || !errors.Is(err, ErrConfig) {
		t.Errorf("a missing file gave %v", err)
	}
}

func TestExamplesLoad(t *testing.T) {
	files, _ := filepath.Glob("../examples/targets/*.yaml")
	if len(files) < 4 {
		t.Fatalf("found %d example targets, want one per bundled spec", len(files))
	}
	for _, f := range files {
		if _, err := LoadTarget(f, env(nil)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

func FuzzLoadTarget(f *testing.F) {
	seeds, _ := filepath.Glob("../examples/targets/*.yaml")
	for _, s := range seeds {
		b, _ := os.ReadFile(s)
		f.Add(b)
	}
	f.Add([]byte("spec: x\nbaseURL: http://h\naccounts: {valid: {password: \"${X}\"}}\nexpect: {accessTokenLifetime: 1d2h}"))
	f.Add([]byte("a: &a [*a]"))
	f.Add([]byte("spec: !!binary aGk=\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tg, err := ParseTarget("fuzz.yaml", data, env(map[string]string{"X": "y"}))
		if err != nil {
			if !errors.Is(err, ErrConfig) {
				t.Errorf("error %v does not wrap ErrConfig", err)
			}
			return
		}
		if tg.BaseURL == nil || tg.SpecRef == "" || tg.Accounts["valid"] == nil {
			t.Errorf("accepted a target without its required fields: %+v", tg)
		}
	})
}

// TestTargetCheckedAgainstItsSpec: once the spec is loaded, an account field it never reads (a
// typo such as pasword) and a reading it does not offer are target-file errors with the file,
// line and field, not a dozen refused logins later; a declared reading makes the spec follow it.
func TestTargetCheckedAgainstItsSpec(t *testing.T) {
	dir := t.TempDir()
	write := func(body string) string {
		p := filepath.Join(dir, "t.yaml")
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	bad := []struct{ name, yaml, want string }{
		{"account field typo", "spec: precrime\nbaseURL: http://127.0.0.1:1\naccounts:\n  valid: {username: u, pasword: p}\n",
			`t.yaml:4:24: accounts.valid.pasword: unknown field "pasword": spec precrime reads apiKey, password, username from an account`},
		{"a role the spec has no state for", "spec: precrime\nbaseURL: http://127.0.0.1:1\naccounts:\n  valid: {username: u, password: p}\n  locked: {username: l, password: p}\n",
			`t.yaml:5:3: accounts.locked: unknown role "locked": spec precrime takes valid, other, disabled, expired`},
		{"a field another spec reads", "spec: elyssa\nbaseURL: http://127.0.0.1:1\naccounts:\n  valid: {companyId: c}\n  other:\n    username: u\n",
			`t.yaml:6:5: accounts.other.username: unknown field "username": spec elyssa reads companyId from an account`},
		{"unknown decision", "spec: precrime\nbaseURL: http://127.0.0.1:1\naccounts: {valid: {username: u, password: p}}\nreadings:\n  precrime-nope: bare\n",
			`t.yaml:5:3: readings.precrime-nope: spec precrime has no such decision; decisions with readings: precrime-authorization, precrime-authheader-keys`},
		{"unknown choice", "spec: precrime\nbaseURL: http://127.0.0.1:1\naccounts: {valid: {username: u, password: p}}\nreadings:\n  precrime-authorization: naked\n",
			`t.yaml:5:3: readings.precrime-authorization: not a reading of this decision; choose one of bearer, bare`},
		{"a decision without readings", "spec: precrime\nbaseURL: http://127.0.0.1:1\naccounts: {valid: {username: u, password: p}}\nreadings: {precrime-401: other}\n",
			`readings.precrime-401: this decision has one reading only`},
		{"readings not a mapping", "spec: precrime\nbaseURL: http://127.0.0.1:1\naccounts: {valid: {username: u, password: p}}\nreadings: [bare]\n",
			`readings: want a mapping`},
		{"no client for a spec that authenticates its client", "spec: " + oauth2Spec(t) + "\nbaseURL: http://127.0.0.1:1\naccounts: {valid: {username: u, password: p}}\n",
			`client: spec oauth2 authenticates the client of token.login (POST /token); name one: client: {id: ..., secret: ...}`},
		{"an empty client id", "spec: " + oauth2Spec(t) + "\nbaseURL: http://127.0.0.1:1\nclient: {id: ''}\naccounts: {valid: {username: u, password: p}}\n",
			`client.id: is empty`},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadTarget(write(tt.yaml), nil)
			if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v\nwant it to contain %q", err, tt.want)
			}
		})
	}
	tg, err := LoadTarget(write("spec: precrime\nbaseURL: http://127.0.0.1:1\naccounts: {valid: {username: u, password: p}}\nreadings:\n  precrime-authorization: bare\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if tg.Readings["precrime-authorization"] != "bare" || tg.Spec.Schemes["Authorization"].BearerPrefix != "none" {
		t.Errorf("declared reading not followed: readings %v, prefix %q", tg.Readings, tg.Spec.Schemes["Authorization"].BearerPrefix)
	}
	// A declared reading makes the checks that depend on it MUST; undeclared they are SHOULD.
	levels := func(readings map[string]string) map[string]string {
		base, _ := specs.Load("efalia")
		sp, err := base.WithReadings(readings)
		if err != nil {
			t.Fatal(err)
		}
		plan, err := Plan(sp, readings)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, p := range plan {
			out[p.ID+" "+p.Operation] = string(p.Level)
		}
		return out
	}
	undeclared := levels(nil)
	declared := levels(map[string]string{"efalia-refresh-rotation": "refused", "efalia-logout-refresh": "no"})
	for key, want := range map[string][2]string{
		"LIF-12 POST /auth/refresh": {"SHOULD", "MUST"},
		"OUT-03 POST /auth/logout":  {"SHOULD", "MUST"},
		"LOG-05 POST /auth/token":   {"MUST", "MUST"},
		"LOG-03 POST /auth/token":   {"SHOULD", "SHOULD"},
	} {
		if undeclared[key] != want[0] || declared[key] != want[1] {
			t.Errorf("%s: %s undeclared, %s declared; want %s, %s", key, undeclared[key], declared[key], want[0], want[1])
		}
	}
}

// oauth2Spec is the absolute path of the OAuth 2 example spec, for target files written elsewhere.
func oauth2Spec(t *testing.T) string {
	p, err := filepath.Abs("../examples/specs/oauth2.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return p
}
