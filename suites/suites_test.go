package suites

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/authconform/authconform/specs"
)

func TestRequirementsAreWellFormed(t *testing.T) {
	for _, r := range Requirements {
		if r.Basis != Documented && r.Basis != Reading && r.Basis != Practice && r.Basis != TargetStated {
			t.Errorf("%s: basis %q", r.ID, r.Basis)
		}
		if r.Rule == "" || r.Source == "" || strings.HasSuffix(r.Rule, ".") {
			t.Errorf("%s: a rule is one sentence without a final period, with a source", r.ID)
		}
		if strings.ContainsAny(r.ID, "&|!,()/ ") {
			t.Errorf("%s cannot be a Ginkgo label", r.ID)
		}
	}
}

func TestStackTracePattern(t *testing.T) {
	tests := []struct {
		name string
		body string
		want bool
	}{
		{"java frame in a JSON string", `{"message":"boom\n\tat org.example.Auth.check(Auth.java:42)"}`, true},
		{"go panic", "goroutine 1 [running]:\nmain.main()\n\t/app/main.go:12 +0x1d", true},
		{"python", "Traceback (most recent call last):\n  File \"x.py\"", true},
		{"node", `Error: x\n    at check (/srv/app/auth.js:10:5)`, true},
		{"documented cause without trace", `{"code":555,"error":true,"message":"bad credentials","cause":{"className":"AuthService","method":"login","line":3}}`, false},
		{"plain message", `{"message":"the password is wrong; look at the docs (auth section)"}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := stackTrace.MatchString(textOf([]byte(tt.body))); got != tt.want {
				t.Errorf("match = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPointers(t *testing.T) {
	m := map[string]any{}
	specs.SetPointer(m, "/a/b~1c", "x")
	specs.SetPointer(m, "/X-Auth-Token", "t")
	if v, ok := specs.GetPointer(m, "/a/b~1c"); !ok || v != "x" {
		t.Errorf("round trip through an escaped pointer: %v %v", v, ok)
	}
	var arr any
	_ = json.Unmarshal([]byte(`{"items":[{"token":"k"}]}`), &arr)
	if v, ok := specs.GetPointer(arr, "/items/0/token"); !ok || v != "k" {
		t.Errorf("array index: %v %v", v, ok)
	}
	if _, ok := specs.GetPointer(arr, "/items/5/token"); ok {
		t.Error("out of range index found")
	}
}

func TestMaskCredentialFields(t *testing.T) {
	got := string(maskCredentialFields([]byte(`{"name":"n","token":"ak_secret","nested":[{"refreshToken":"r-secret"}],"userId":5}`)))
	for _, s := range []string{"ak_secret", "r-secret"} {
		if strings.Contains(got, s) {
			t.Errorf("%q left in %s", s, got)
		}
	}
	if !strings.Contains(got, `"name":"n"`) || !strings.Contains(got, `"userId":5`) {
		t.Errorf("ordinary fields lost: %s", got)
	}
	if string(maskCredentialFields([]byte("not json"))) != "not json" {
		t.Error("a non-JSON body must pass through")
	}
}

func TestCredentialFormsAndAuth(t *testing.T) {
	sp, err := specs.Load("efalia")
	if err != nil {
		t.Fatal(err)
	}
	op, _ := sp.Operation(sp.Probe)
	var names []string
	for _, f := range credentialForms(op) {
		names = append(names, f.name)
	}
	want := []string{"Basic with password", "Bearer with accessToken", "ApiKey with apiKey and X-API-KEY-IMPERSONATE", "ApiKey with apiKey, without X-API-KEY-IMPERSONATE"}
	if strings.Join(names, "|") != strings.Join(want, "|") {
		t.Errorf("forms %q, want %q", names, want)
	}
	r := &run{red: &redactor{}, raw: map[string]bool{}}
	hs, _, why := r.authFor(op, cred{kind: specs.CredAccessToken, value: "tok", lower: true})
	if why != "" || len(hs) != 1 || hs[0].name != "authorization" || hs[0].value != "Bearer tok" {
		t.Errorf("bearer: %v %q", hs, why)
	}
	hs, _, why = r.authFor(op, cred{kind: specs.CredAPIKey, value: "key", acct: map[string]string{}})
	if why != "" || len(hs) != 1 || hs[0].name != "X-API-KEY" {
		t.Errorf("api key (the optional impersonation header left out: no username): %v %q", hs, why)
	}
	hs, _, why = r.authFor(op, cred{kind: specs.CredAPIKey, value: "key", acct: map[string]string{"username": "alice"}})
	if why != "" || len(hs) != 2 || hs[1].name != "X-API-KEY-IMPERSONATE" || hs[1].value != "alice" {
		t.Errorf("api key acting as its own account: %v %q", hs, why)
	}
	pre, _ := specs.Load("precrime")
	list, _ := pre.Operation(pre.Probe)
	r.raw["Authorization"] = true
	if hs, _, _ := r.authFor(list, cred{kind: specs.CredAccessToken, value: "tok"}); len(hs) != 1 || hs[0].value != "tok" {
		t.Errorf("a target observed to take the raw token gets %v", hs)
	}
	hs, _, why = r.authFor(op, cred{kind: specs.CredPassword, acct: map[string]string{"username": "u", "password": "p"}})
	if why != "" || hs[0].value != "Basic "+base64.StdEncoding.EncodeToString([]byte("u:p")) {
		t.Errorf("basic: %v %q", hs, why)
	}

	el, _ := specs.Load("elyssa")
	probe, _ := el.Operation(el.Probe)
	if _, _, why := r.authFor(probe, cred{kind: specs.CredAccessToken, value: "t", acct: map[string]string{}}); why == "" {
		t.Error("a bound company id header cannot be built without the account's companyId")
	}
	hs, _, _ = r.authFor(probe, cred{kind: specs.CredAccessToken, value: "t", acct: map[string]string{"companyId": "c1"}})
	if len(hs) != 2 {
		t.Errorf("bearer and company id: %v", hs)
	}
}

func TestReadJWT(t *testing.T) {
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	tok := enc(`{"alg":"HS256"}`) + "." + enc(`{"exp":2000,"iat":1000}`) + ".sig"
	c := readJWT(tok)
	if !c.ok || c.alg != "HS256" || c.exp.Unix() != 2000 || !c.hasIat || c.iat.Unix() != 1000 {
		t.Errorf("readJWT = %+v", c)
	}
	if readJWT("opaque-token").ok {
		t.Error("an opaque token read as a JWT")
	}
}
