package specs

import (
	"os"
	"strings"
	"testing"
)

// TestOAuth2Example reads the OAuth 2 example as the vocabulary promises: one operation serving
// two flows, told apart by grant_type, a form body, a client, and a family revoked on reuse.
func TestOAuth2Example(t *testing.T) {
	s, err := Load("../examples/specs/oauth2.yaml")
	if err != nil {
		t.Fatal(err)
	}
	login, ok1 := s.Operation("token.login")
	refresh, ok2 := s.Operation("token.refresh")
	if !ok1 || !ok2 || login.Op != refresh.Op {
		t.Fatalf("token.login %v, token.refresh %v: want two flows of one operation", ok1, ok2)
	}
	if login.RequestMediaType() != MediaForm {
		t.Errorf("media type %q", login.RequestMediaType())
	}
	if len(login.Flow.Fixed) != 1 || login.Flow.Fixed[0].Value != "password" || login.Flow.Fixed[0].Failure != FailUnsupportedGrant {
		t.Errorf("fixed %+v", login.Flow.Fixed)
	}
	if c := login.Flow.Client; c == nil || !c.Basic || c.Secret == nil || c.ID.Pointer != "/client_id" {
		t.Errorf("client %+v", c)
	}
	if refresh.Flow.OnReuse != ReuseRevokeFamily || login.Flow.OnReuse != ReuseRefuse {
		t.Errorf("onReuse: refresh %q, login %q", refresh.Flow.OnReuse, login.Flow.OnReuse)
	}
	if fs, ok := login.Flow.FailureOf(FailInvalidClient); !ok || fs.Status != 401 || fs.Body == nil {
		t.Errorf("invalidClient: %+v", fs)
	}
	if len(s.Clients) != 1 || s.Clients[0].ID != "web-app" {
		t.Errorf("clients %+v", s.Clients)
	}
	if sch := login.ValueSchema(Location{In: InBody, Pointer: "/grant_type"}); sch == nil {
		t.Error("no schema for /grant_type")
	}
}

// TestVocabularyErrors: each misuse of the new fields is a located load error naming the field.
func TestVocabularyErrors(t *testing.T) {
	src, err := os.ReadFile("../examples/specs/oauth2.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, old, new string
		want           []string
	}{
		{"flows told apart by nothing", "value: refresh_token, failure", "value: password, failure",
			[]string{"x-authconform-flows[1].fixed", "the same fixed values as the login flow"}},
		{"unknown reuse policy", "onReuse: revokeFamily", "onReuse: revokeAll",
			[]string{"onReuse", `"revokeAll" is not refuse or revokeFamily`}},
		{"reuse without rotation", "rotate: true", "rotate: false",
			[]string{"onReuse", "only a refresh flow that rotates"}},
		{"no clients", "  clients:\n    - {id: web-app, secret: web-app-secret}\n", "",
			[]string{"client", "x-authconform.clients names none"}},
		{"unknown fixed failure", "failure: unsupportedGrant}\n          client: &client", "failure: unsupported}\n          client: &client",
			[]string{"fixed[0].failure", `"unsupported" is not a failure`}},
		{"no invalidClient status", "            invalidClient: *invalid-client\n", "",
			[]string{"x-authconform-flows[1].failures", "needs a status for invalidClient"}},
		{"a nested pointer in a form", "pointer: /grant_type, value: password", "pointer: /grant/type, value: password",
			[]string{"a form has no nesting"}},
		{"a secret in a failure body", "invalidClient: &invalid-client {status: 401, body: {error: invalid_client, error_description: '{{message}}'}}",
			"invalidClient: &invalid-client {status: 401, body: {error: invalid_client, error_description: '{{account.password}}'}}",
			[]string{"failures.invalidClient.body", "would echo a secret"}},
		{"both flow and flows", "      x-authconform-flows:\n", "      x-authconform-flow: {kind: resource, status: 200, failures: {}}\n      x-authconform-flows:\n",
			[]string{"both x-authconform-flow and x-authconform-flows"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(string(src), tc.old) {
				t.Fatalf("the example no longer has %q", tc.old)
			}
			_, err := Parse("oauth2.yaml", []byte(strings.Replace(string(src), tc.old, tc.new, 1)))
			if err == nil {
				t.Fatal("loaded without error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\nlacks %q", err, w)
				}
			}
		})
	}
}

func TestDeletePointer(t *testing.T) {
	doc := map[string]any{"a": map[string]any{"b": 1, "c": 2}, "d/e": 3}
	DeletePointer(doc, "/a/b")
	DeletePointer(doc, "/d~1e")
	DeletePointer(doc, "/x/y") // absent: nothing happens
	if _, ok := doc["d/e"]; ok || len(doc["a"].(map[string]any)) != 1 {
		t.Errorf("got %v", doc)
	}
}
