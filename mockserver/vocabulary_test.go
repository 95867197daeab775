package mockserver

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/authconform/authconform/specs"
)

// exampleMock serves an example spec (examples/specs) on an httptest server.
func exampleMock(t *testing.T, name string) *httptest.Server {
	t.Helper()
	sp, err := specs.Load("../examples/specs/" + name + ".yaml")
	if err != nil {
		t.Fatal(err)
	}
	s, err := New([]*specs.Spec{sp}, WithClock(NewClockAt(t0)))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return ts
}

// tokenCall posts a form to the OAuth 2 example's token endpoint, with Basic client credentials
// when basic is not empty ("id:secret"), and returns the status, the challenge and the body.
func tokenCall(t *testing.T, ts *httptest.Server, form url.Values, basic string) (int, string, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if id, secret, ok := strings.Cut(basic, ":"); ok {
		req.SetBasicAuth(id, secret)
	}
	res, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(res.Body).Decode(&body)
	return res.StatusCode, res.Header.Get("WWW-Authenticate"), body
}

// TestOAuth2TokenEndpoint drives the OAuth 2 example's token endpoint as RFC 6749 says a client
// would, and as it must refuse one: each answer's status, error code and challenge.
func TestOAuth2TokenEndpoint(t *testing.T) {
	ts := exampleMock(t, "oauth2")
	grant := func(kv ...string) url.Values {
		v := url.Values{"client_id": {"web-app"}, "client_secret": {"web-app-secret"}}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == "" {
				v.Del(kv[i])
				continue
			}
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	password := []string{"grant_type", "password", "username", "alice", "password", "alice-password"}
	tests := []struct {
		name      string
		form      url.Values
		basic     string
		status    int
		code      string // the body's error; "" for a success
		challenge bool
	}{
		{name: "password grant", form: grant(password...), status: 200},
		{name: "client as Basic", form: grant(append(password, "client_id", "", "client_secret", "")...), basic: "web-app:web-app-secret", status: 200},
		{name: "another grant type", form: grant(append(password, "grant_type", "client_credentials")...), status: 400, code: "unsupported_grant_type"},
		{name: "no grant type", form: grant(append(password, "grant_type", "")...), status: 400, code: "invalid_request"},
		{name: "wrong password", form: grant(append(password, "password", "nope")...), status: 400, code: "invalid_grant"},
		{name: "unknown user", form: grant(append(password, "username", "mallory")...), status: 400, code: "invalid_grant"},
		{name: "disabled user", form: grant(append(password, "username", "carol", "password", "carol-password")...), status: 400, code: "invalid_grant"},
		{name: "wrong client secret", form: grant(append(password, "client_secret", "nope")...), status: 401, code: "invalid_client"},
		{name: "unknown client", form: grant(append(password, "client_id", "other-app")...), status: 401, code: "invalid_client"},
		{name: "no client", form: grant(append(password, "client_id", "", "client_secret", "")...), status: 401, code: "invalid_client"},
		{name: "wrong Basic secret", form: grant(append(password, "client_id", "", "client_secret", "")...), basic: "web-app:nope", status: 401, code: "invalid_client", challenge: true},
		{name: "Basic and a body secret at once", form: grant(password...), basic: "web-app:web-app-secret", status: 401, code: "invalid_client", challenge: true},
		{name: "refresh with garbage", form: grant("grant_type", "refresh_token", "refresh_token", "garbage"), status: 400, code: "invalid_grant"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, challenge, body := tokenCall(t, ts, tc.form, tc.basic)
			if status != tc.status || body["error"] != nil != (tc.code != "") || tc.code != "" && body["error"] != tc.code {
				t.Errorf("status %d, body %v; want %d %q", status, body, tc.status, tc.code)
			}
			if (challenge != "") != tc.challenge || tc.challenge && !strings.HasPrefix(challenge, "Basic ") {
				t.Errorf("WWW-Authenticate %q; want a Basic challenge: %v", challenge, tc.challenge)
			}
			if tc.code == "" && (body["access_token"] == nil || body["refresh_token"] == nil || body["expires_in"] != float64(3600) || body["token_type"] != "Bearer") {
				t.Errorf("token response %v", body)
			}
		})
	}
}

// TestRefreshFamilyRevokedOnReuse: a rotated refresh token presented again is refused and ends
// its family, so the newest refresh token and the access token are refused too (RFC 9700 4.14.2).
func TestRefreshFamilyRevokedOnReuse(t *testing.T) {
	ts := exampleMock(t, "oauth2")
	client := url.Values{"client_id": {"web-app"}, "client_secret": {"web-app-secret"}}
	with := func(kv ...string) url.Values {
		v := url.Values{}
		for k, vs := range client {
			v[k] = vs
		}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	_, _, first := tokenCall(t, ts, with("grant_type", "password", "username", "alice", "password", "alice-password"), "")
	r1, _ := first["refresh_token"].(string)
	status, _, second := tokenCall(t, ts, with("grant_type", "refresh_token", "refresh_token", r1), "")
	r2, _ := second["refresh_token"].(string)
	a2, _ := second["access_token"].(string)
	if status != 200 || r2 == "" || r2 == r1 {
		t.Fatalf("the first refresh: %d %v", status, second)
	}
	userinfo := func() int {
		req, _ := http.NewRequest(http.MethodGet, ts.URL+"/oauth/userinfo", nil)
		req.Header.Set("Authorization", "Bearer "+a2)
		res, err := ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if st := userinfo(); st != 200 {
		t.Fatalf("the refreshed access token: %d", st)
	}
	if status, _, body := tokenCall(t, ts, with("grant_type", "refresh_token", "refresh_token", r1), ""); status != 400 || body["error"] != "invalid_grant" {
		t.Errorf("the reused refresh token: %d %v", status, body)
	}
	if status, _, body := tokenCall(t, ts, with("grant_type", "refresh_token", "refresh_token", r2), ""); status != 400 || body["error"] != "invalid_grant" {
		t.Errorf("the newest refresh token after the reuse: %d %v; the family must be revoked", status, body)
	}
	if st := userinfo(); st != 401 {
		t.Errorf("the family's access token after the reuse: %d", st)
	}
}

// TestRequestFormats: a request value breaking its schema's format (email) is an invalid request,
// answered with the failure's own body.
func TestRequestFormats(t *testing.T) {
	ts := exampleMock(t, "signin")
	for _, tc := range []struct {
		email  string
		status int
	}{{"ada@example.com", 200}, {"not-an-email", 400}} {
		res, err := ts.Client().Post(ts.URL+"/acme/sign-in", "application/json", strings.NewReader(`{"email":"`+tc.email+`","pin":"0123"}`))
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		_ = json.NewDecoder(res.Body).Decode(&body)
		res.Body.Close()
		if res.StatusCode != tc.status || tc.status == 400 && (body["code"] != "invalid_request" || !strings.Contains(body["message"].(string), "/email")) {
			t.Errorf("%s: %d %v", tc.email, res.StatusCode, body)
		}
	}
}

// TestBodyBinding: a value the flow binds in the body must be the signed-in account's: missing,
// 400 tenant_required; another tenant's, 403 wrong_tenant; its own, 201.
func TestBodyBinding(t *testing.T) {
	ts := exampleMock(t, "signin")
	res, err := ts.Client().Post(ts.URL+"/acme/sign-in", "application/json", strings.NewReader(`{"email":"ada@example.com","pin":"0123"}`))
	if err != nil {
		t.Fatal(err)
	}
	var login map[string]any
	_ = json.NewDecoder(res.Body).Decode(&login)
	res.Body.Close()
	token, _ := login["accessToken"].(string)
	for _, tc := range []struct {
		body   string
		status int
		code   string
	}{
		{`{"tenant":"t-one","name":"Gemini"}`, 201, ""},
		{`{"name":"Gemini"}`, 400, "tenant_required"},
		{`{"tenant":"t-two","name":"Gemini"}`, 403, "wrong_tenant"},
	} {
		req, _ := http.NewRequest(http.MethodPost, ts.URL+"/acme/projects", strings.NewReader(tc.body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		_ = json.NewDecoder(res.Body).Decode(&body)
		res.Body.Close()
		if res.StatusCode != tc.status || tc.code != "" && body["code"] != tc.code {
			t.Errorf("%s: %d %v; want %d %s", tc.body, res.StatusCode, body, tc.status, tc.code)
		}
	}
}

// TestFailureBodyAccountFields: a failure's body may show fields of the account the refusal knows
// (a locked account's email), and none where it knows none (a wrong PIN).
func TestFailureBodyAccountFields(t *testing.T) {
	ts := exampleMock(t, "signin")
	for _, tc := range []struct {
		body, account string
		status        int
	}{
		{`{"email":"lou@example.com","pin":"8910"}`, "lou@example.com", 423},
		{`{"email":"lou@example.com","pin":"0000"}`, "", 401},
	} {
		res, err := ts.Client().Post(ts.URL+"/acme/sign-in", "application/json", strings.NewReader(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		_ = json.NewDecoder(res.Body).Decode(&body)
		res.Body.Close()
		got, _ := body["account"].(string)
		if res.StatusCode != tc.status || got != tc.account {
			t.Errorf("%s: %d %v; want %d with account %q", tc.body, res.StatusCode, body, tc.status, tc.account)
		}
	}
}

// TestUnsupportedGrantNamesTheGrants: the refusal of another grant type names every grant the
// endpoint takes, not only the first flow's.
func TestUnsupportedGrantNamesTheGrants(t *testing.T) {
	ts := exampleMock(t, "oauth2")
	_, _, body := tokenCall(t, ts, url.Values{"grant_type": {"client_credentials"}, "client_id": {"web-app"}, "client_secret": {"web-app-secret"}}, "")
	if d, _ := body["error_description"].(string); !strings.Contains(d, `"password" or "refresh_token"`) {
		t.Errorf("error_description %q", d)
	}
}
