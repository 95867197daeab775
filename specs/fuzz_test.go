package specs

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// FuzzExtensions feeds arbitrary JSON to the strict extension decoder and the model builder's
// pieces: they must return an error or a value, never panic.
func FuzzExtensions(f *testing.F) {
	f.Add(`{"kind":"login","status":200,"failures":{"invalidRequest":400},"tokens":[{"token":"access","in":"body","pointer":"/t"}]}`)
	f.Add(`{"name":"x","tokens":{"algorithm":"HS256","issuer":"i","access":{"lifetime":"360d","documented":true,"source":"s"}},"errorBody":{"m":"{{message}}"}}`)
	f.Add(`{"accepts":["apiKey"],"binds":"companyId","optional":true}`)
	f.Add(`{"kind":1,"status":"x","failures":[],"body":{"a":"{{account.password}}"}}`)
	f.Fuzz(func(t *testing.T, in string) {
		var v any
		if json.Unmarshal([]byte(in), &v) != nil {
			return
		}
		var flow rawFlow
		_ = decodeStrict("x", v, &flow)
		var root rawRoot
		if decodeStrict("x", v, &root) == nil {
			p := &problems{file: "fuzz"}
			buildRoot(&Spec{}, &root, p)
		}
		var sc rawScheme
		_ = decodeStrict("x", v, &sc)
		_, _ = compileTemplate(v, allowAccountAndKeyRefs())
	})
}

// FuzzParse feeds whole documents to Parse, seeded with the bundled specs and the broken fixtures.
func FuzzParse(f *testing.F) {
	for _, n := range Names() {
		data, _ := bundled.ReadFile(n + ".yaml")
		f.Add(data)
	}
	files, _ := filepath.Glob("testdata/*.yaml")
	for _, file := range files {
		data, _ := os.ReadFile(file)
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("fuzz.yaml", data)
		if err == nil && s == nil {
			t.Fatal("nil spec without error")
		}
	})
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"24h", "360d", "1d12h", "-1d", "99999999999d", "1.5h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			return
		}
		back, err := ParseDuration(d.String())
		if err != nil || back != d {
			t.Fatalf("%q -> %v -> %q -> %v, %v", s, d, d.String(), back, err)
		}
	})
}
