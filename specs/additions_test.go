package specs

import (
	"os"
	"strings"
	"testing"
)

// Every x-authconform-added of a bundled spec is listed, wherever it stands.
func TestBundledAdditions(t *testing.T) {
	want := map[string][]string{ // a few per spec, of every kind the spec has
		"efalia":   {"tag tags.Process", "operation paths./processes.get", "scheme components.securitySchemes.ApiKeyImpersonate", "schema components.schemas.AuthTokens", "schema components.schemas.Process"},
		"pixfile":  {"server servers[0]", "tag tags.customer-controller-api", "operation paths./api/v2/customers.get", "response paths./api/v2/login.post.responses.400", "scheme components.securitySchemes.XAuthToken", "schema components.schemas.ErrorMessage"},
		"elyssa":   {"tag tags.Authentication", "operation paths./companies/me.get", "response paths./auth/login/.post.responses.400", "scheme components.securitySchemes.CompanyId", "schema components.schemas.ErrorMessage"},
		"precrime": {"server servers[0]", "tag tags.API Key authentication", "response components.responses.Unauthorized", "response paths./authheader/delete.post.responses.404", "schema components.schemas.ErrorMessage"},
	}
	for name, kinds := range want {
		s, err := Load(name)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, a := range s.Additions {
			got[a.Kind+" "+a.Where] = a.Why
			if strings.TrimSpace(a.Why) == "" {
				t.Errorf("%s: %s %s says no reason", name, a.Kind, a.Where)
			}
		}
		for _, k := range kinds {
			if _, ok := got[k]; !ok {
				t.Errorf("%s: additions lack %q; have %v", name, k, got)
			}
		}
	}
}

// A misspelt extension on a tag, a schema or a property is an error, as everywhere else.
func TestAdditionsMisspelt(t *testing.T) {
	base, err := os.ReadFile("testdata/minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ old, new, want string }{
		{"servers: [{url: /}]", "servers: [{url: /}]\ntags: [{name: a, x-authconform-aded: why}]", "tags.a.x-authconform-aded: unknown extension"},
		{"schema: {type: object, properties: {token: {type: string}}}", "schema: {type: object, x-authconform-adedd: why, properties: {token: {type: string}}}", "responses.200.content.application/json.schema.x-authconform-adedd: unknown extension"},
		{"properties: {token: {type: string}}", "properties: {token: {type: string, x-authconform-add: why}}", "schema.properties.token.x-authconform-add: unknown extension"},
		{"properties: {token: {type: string}}", "properties: {token: {type: string, x-authconform-added: 3}}", "schema.properties.token.x-authconform-added: say why"},
	} {
		doc := strings.Replace(string(base), tt.old, tt.new, 1)
		if doc == string(base) {
			t.Fatalf("fixture lacks %q", tt.old)
		}
		_, err := Parse("t.yaml", []byte(doc))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.new, err, tt.want)
		}
	}
}
