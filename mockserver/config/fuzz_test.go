package config

import "testing"

// FuzzParseConfig: a config file never panics the loader.
func FuzzParseConfig(f *testing.F) {
	for _, s := range []string{
		"specs:\n  pixfile:\n    access: 1h\n    accounts:\n      - {username: u, password: p}\n",
		"cors:\n  origins: [a, b]\n", "store:\n  url: redis://:pw@h:1/0\n  prefix: x:\n", "specs: [1, 2]\n", "specs:\n  x:\n    accounts: [[], {}]\n", "- - -\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("fuzz.yaml", data)
		if err == nil && c == nil {
			t.Fatal("nil config without an error")
		}
	})
}
