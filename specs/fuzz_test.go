package specs

import (
	"bytes"
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
		p := &problems{file: "fuzz"}
		var flow rawFlow
		p.decode("", "x", v, &flow)
		var root rawRoot
		q := &problems{file: "fuzz"}
		if q.decode("", "x", v, &root); q.err() == nil {
			buildRoot(&Spec{}, &root, q)
		}
		var sc rawScheme
		p.decode("", "x", v, &sc)
		_, _ = compileTemplate(v, allowAccountAndKeyRefs(func(f string) bool { return f == FieldPassword }))
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

// FuzzReadYAML feeds arbitrary bytes to the YAML reader every user file goes through: an error or
// a document whose JSON form reads back, never a panic; positions are only where the text is.
func FuzzReadYAML(f *testing.F) {
	for _, s := range []string{"a: 1\nb: [x, {c: d}]\n", "&a [*a]", "a: &x {b: 1}\nc: *x\n", "a: .inf", "? [a]\n: b", "a: 1\na: 2", "{\"j\": \"son\"}", "x: 2023-01-15T10:30:42Z"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := ReadYAML("fuzz.yaml", data)
		if err != nil {
			return
		}
		js, err := d.JSON()
		if err != nil {
			t.Fatalf("a document read without error has no JSON form: %v", err)
		}
		var back any
		if err := json.Unmarshal(js, &back); err != nil {
			t.Fatalf("its JSON does not read back: %v", err)
		}
		// YAML breaks lines at LF, CR and (in YAML 1.1, which yaml.v3 reads) NEL, LS and PS, so a
		// lone CR starts a line too: count every break the parser may count.
		lines := 1
		for _, br := range []string{"\n", "\r", "\u0085", "\u2028", "\u2029"} {
			lines += bytes.Count(data, []byte(br))
		}
		for ptr, pos := range d.pos {
			if pos.Line < 0 || pos.Line > lines {
				t.Fatalf("%s at line %d of a %d-line document", ptr, pos.Line, lines)
			}
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
