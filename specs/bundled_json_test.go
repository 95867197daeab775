package specs

import (
	"bytes"
	"io/fs"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// TestBundledJSONCurrent: each bundled spec's embedded JSON is its YAML converted, and there is
// no JSON without a YAML; a bundled spec loads the same from either.
func TestBundledJSONCurrent(t *testing.T) {
	names := Names()
	for _, name := range names {
		data, err := bundled.ReadFile(name + ".yaml")
		if err != nil {
			t.Fatal(err)
		}
		want, err := yaml.YAMLToJSON(data)
		if err != nil {
			t.Fatal(err)
		}
		got, err := bundledJSON.ReadFile("json/" + name + ".json")
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("specs/json/%s.json is missing or stale (%v): run `make generate` (go generate ./specs)", name, err)
			continue
		}
		fromJSON, err := Load(name)
		if err != nil {
			t.Fatal(err)
		}
		fromYAML, err := Parse("bundled:"+name+".yaml", data)
		if err != nil {
			t.Fatal(err)
		}
		if fromJSON.SHA256 != fromYAML.SHA256 || !bytes.Equal(fromJSON.Raw, data) || len(fromJSON.Operations) != len(fromYAML.Operations) {
			t.Errorf("%s: loading from the JSON differs from loading the YAML", name)
		}
	}
	entries, _ := fs.ReadDir(bundledJSON, "json")
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), ".json")
		found := false
		for _, n := range names {
			found = found || n == name
		}
		if !found {
			t.Errorf("specs/json/%s has no specs/%s.yaml: run `make generate`", e.Name(), name)
		}
	}
}
