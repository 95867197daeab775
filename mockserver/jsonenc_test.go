package mockserver

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
)

var jsonEncCases = []any{
	nil, "", "plain", `quote" back\ <script>&amp;`, "tab\tnew\nline\b\f\r\x00\x1f\x7f", "naïve ü €", "bad \xff utf8",
	"line sep \u2028 para \u2029", true, false,
	0.0, math.Copysign(0, -1), 1.0, -1.5, 1e-6, 9.99e-7, 1e20, 1e21, 123456789.125, 5e-324, math.MaxFloat64,
	0, -7, int64(math.MinInt64), uint64(math.MaxUint64),
	json.Number("12"), json.Number("-1.5e10"),
	map[string]any{}, map[string]any(nil), []any{}, []any(nil), []string{"a", "<b>"}, []string(nil),
	map[string]string{"z": "1", "a": "<2>"},
	map[string]any{"b": 1.0, "a": []any{"x", nil, map[string]any{"é": true, "\xff": "k", "A": "upper"}}, "": "empty key"},
	map[string]any{"k0": 0.0, "k1": 1.0, "k2": 2.0, "k3": 3.0, "k4": 4.0, "k5": 5.0, "k6": 6.0, "k7": 7.0, "k8": 8.0,
		"k9": 9.0, "k10": 10.0, "k11": 11.0, "k12": 12.0, "k13": 13.0, "k14": 14.0, "k15": 15.0, "k16": 16.0, "k17": 17.0},
}

// TestMarshalJSONMatchesEncodingJSON: byte-identical output, or the same refusal.
func TestMarshalJSONMatchesEncodingJSON(t *testing.T) {
	for _, v := range jsonEncCases {
		checkMarshal(t, v)
	}
	for _, v := range []any{math.NaN(), math.Inf(1), json.Number("1x"), map[string]any{"a": math.Inf(-1)}, []any{json.Number("")}} {
		checkMarshal(t, v)
	}
	// Types it does not know go to encoding/json whole.
	checkMarshal(t, map[string]any{"t": struct{ A int }{1}, "r": json.RawMessage(`{ "x" : 1 }`)})
}

func checkMarshal(t *testing.T, v any) {
	t.Helper()
	got, gotErr := marshalJSON(v)
	want, wantErr := json.Marshal(v)
	if (gotErr != nil) != (wantErr != nil) || !bytes.Equal(got, want) && wantErr == nil {
		t.Errorf("marshalJSON(%#v) = %s, %v; json.Marshal = %s, %v", v, got, gotErr, want, wantErr)
	}
}

// FuzzMarshalJSON builds nested values from the fuzzer's bytes and holds marshalJSON to
// json.Marshal on each.
func FuzzMarshalJSON(f *testing.F) {
	f.Add([]byte("\x05\x01a\x02\x00\x03b<"), 1.5, "x")
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7}, 1e21, "\xff\u2028")
	f.Fuzz(func(t *testing.T, shape []byte, num float64, text string) {
		g := valueGen{shape: shape, num: num, text: text}
		checkMarshal(t, g.value(0))
	})
}

// valueGen turns bytes into a JSON-like value: each byte picks the next node's kind.
type valueGen struct {
	shape []byte
	num   float64
	text  string
}

func (g *valueGen) next() byte {
	if len(g.shape) == 0 {
		return 0
	}
	b := g.shape[0]
	g.shape = g.shape[1:]
	return b
}

func (g *valueGen) value(depth int) any {
	b := g.next()
	if depth > 6 {
		b %= 5
	}
	switch b % 9 {
	case 0:
		return nil
	case 1:
		return g.text + string(rune(b))
	case 2:
		return b%2 == 0
	case 3:
		return g.num * float64(b)
	case 4:
		return int64(b) - 128
	case 5, 6:
		n := int(g.next() % 5)
		m := make(map[string]any, n)
		for i := range n {
			m[g.text[:min(i, len(g.text))]+string(rune(g.next()))] = g.value(depth + 1)
		}
		return m
	default:
		n := int(g.next() % 5)
		a := make([]any, n)
		for i := range a {
			a[i] = g.value(depth + 1)
		}
		return a
	}
}
