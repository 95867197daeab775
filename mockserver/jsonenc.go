package mockserver

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
)

// marshalJSON is json.Marshal, byte for byte, for the values the mock renders (templates give
// maps, slices, strings, numbers, booleans and null), without reflection: a login's response was
// ~10 % of its time in encoding/json's map encoder (docs/benchmarks.md). Anything else falls
// back to json.Marshal. FuzzMarshalJSON holds the two equal.
func marshalJSON(v any) ([]byte, error) {
	if b, ok := appendJSON(make([]byte, 0, 512), v); ok {
		return b, nil
	}
	return json.Marshal(v)
}

// appendJSON appends v as json.Marshal writes it; ok is false for a value it does not handle (b
// is then garbage).
func appendJSON(b []byte, v any) (_ []byte, ok bool) {
	switch t := v.(type) {
	case nil:
		return append(b, "null"...), true
	case string:
		return appendJSONString(b, t), true
	case bool:
		return strconv.AppendBool(b, t), true
	case float64:
		return appendJSONFloat(b, t)
	case int:
		return strconv.AppendInt(b, int64(t), 10), true
	case int64:
		return strconv.AppendInt(b, t, 10), true
	case uint64:
		return strconv.AppendUint(b, t, 10), true
	case json.Number:
		q, err := json.Marshal(t) // validates the number
		return append(b, q...), err == nil
	case map[string]any:
		return appendJSONObject(b, t)
	case map[string]string:
		return appendJSONObject(b, t)
	case []any:
		if t == nil {
			return append(b, "null"...), true
		}
		b = append(b, '[')
		for i, e := range t {
			if i > 0 {
				b = append(b, ',')
			}
			if b, ok = appendJSON(b, e); !ok {
				return b, false
			}
		}
		return append(b, ']'), true
	case []string:
		if t == nil {
			return append(b, "null"...), true
		}
		b = append(b, '[')
		for i, e := range t {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, e)
		}
		return append(b, ']'), true
	}
	return b, false
}

func appendJSONObject[V any](b []byte, m map[string]V) (_ []byte, ok bool) {
	if m == nil {
		return append(b, "null"...), true
	}
	var scratch [16]string
	keys := scratch[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys) // encoding/json sorts map keys by their bytes
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		if b, ok = appendJSON(b, any(m[k])); !ok {
			return b, false
		}
	}
	return append(b, '}'), true
}

// appendJSONFloat is encoding/json's float64 encoder: shortest form, exponent only below 1e-6 or
// from 1e21, "e-07" written "e-7"; NaN and infinities are not JSON.
func appendJSONFloat(b []byte, f float64) ([]byte, bool) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return b, false
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, true
}

// appendJSONString appends s quoted as encoding/json does (HTML-safe, invalid UTF-8 replaced):
// plain text is copied, anything to escape goes through encoding/json itself.
func appendJSONString(b []byte, s string) []byte {
	for k := 0; k < len(s); k++ {
		if c := s[k]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
