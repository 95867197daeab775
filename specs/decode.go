package specs

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
)

// decodeStrict copies a decoded JSON value (maps, slices, strings, float64, bool) into out, a
// pointer to one of the raw extension structs below. Unknown keys, wrong types and missing
// required fields are errors that name the exact place (at is the dotted path so far). It is the
// strict decoder every extension goes through; encoding/json cannot name the place of an unknown
// field, and a spec author needs it.
func decodeStrict(at string, in any, out any) error {
	return decodeValue(at, in, reflect.ValueOf(out).Elem())
}

var durationType = reflect.TypeFor[Duration]()

func decodeValue(at string, in any, v reflect.Value) error {
	if v.Type() == durationType {
		s, ok := in.(string)
		if !ok {
			return fmt.Errorf("%s: a duration is a string like 24h, 90m or 360d, not %s", at, describe(in))
		}
		d, err := ParseDuration(s)
		if err != nil {
			return fmt.Errorf("%s: %q is not a duration; write it like 24h, 90m or 360d", at, s)
		}
		v.Set(reflect.ValueOf(d))
		return nil
	}
	switch v.Kind() {
	case reflect.Interface:
		if in != nil {
			v.Set(reflect.ValueOf(in))
		}
		return nil
	case reflect.String:
		s, ok := in.(string)
		if !ok {
			return fmt.Errorf("%s: want a string, found %s", at, describe(in))
		}
		v.SetString(s)
		return nil
	case reflect.Bool:
		b, ok := in.(bool)
		if !ok {
			return fmt.Errorf("%s: want true or false, found %s", at, describe(in))
		}
		v.SetBool(b)
		return nil
	case reflect.Int:
		f, ok := in.(float64)
		if !ok || f != math.Trunc(f) || math.Abs(f) > 1<<31 {
			return fmt.Errorf("%s: want a whole number, found %s", at, describe(in))
		}
		v.SetInt(int64(f))
		return nil
	case reflect.Pointer:
		if in == nil {
			return nil
		}
		p := reflect.New(v.Type().Elem())
		if err := decodeValue(at, in, p.Elem()); err != nil {
			return err
		}
		v.Set(p)
		return nil
	case reflect.Slice:
		list, ok := in.([]any)
		if !ok {
			return fmt.Errorf("%s: want a list, found %s", at, describe(in))
		}
		s := reflect.MakeSlice(v.Type(), len(list), len(list))
		for i, e := range list {
			if err := decodeValue(fmt.Sprintf("%s[%d]", at, i), e, s.Index(i)); err != nil {
				return err
			}
		}
		v.Set(s)
		return nil
	case reflect.Map:
		m, ok := in.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: want a mapping, found %s", at, describe(in))
		}
		out := reflect.MakeMapWithSize(v.Type(), len(m))
		for _, k := range sortedKeys(m) {
			e := reflect.New(v.Type().Elem()).Elem()
			if err := decodeValue(at+"."+k, m[k], e); err != nil {
				return err
			}
			out.SetMapIndex(reflect.ValueOf(k), e)
		}
		v.Set(out)
		return nil
	case reflect.Struct:
		return decodeStruct(at, in, v)
	}
	return fmt.Errorf("%s: internal: cannot decode into %s", at, v.Type())
}

func decodeStruct(at string, in any, v reflect.Value) error {
	m, ok := in.(map[string]any)
	if !ok {
		return fmt.Errorf("%s: want a mapping, found %s", at, describe(in))
	}
	t := v.Type()
	known := make(map[string]int, t.NumField())
	var names []string
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("ext"), ",")
		if name == "" {
			continue
		}
		known[name] = i
		names = append(names, name)
	}
	for _, k := range sortedKeys(m) {
		if _, ok := known[k]; !ok {
			return fmt.Errorf("%s: unknown field %q (known fields: %s)", at, k, strings.Join(names, ", "))
		}
	}
	for _, name := range names {
		i := known[name]
		val, present := m[name]
		if !present || val == nil {
			if strings.HasSuffix(t.Field(i).Tag.Get("ext"), ",required") {
				return fmt.Errorf("%s: missing required field %q", at, name)
			}
			continue
		}
		if err := decodeValue(at+"."+name, val, v.Field(i)); err != nil {
			return err
		}
	}
	return nil
}

func describe(v any) string {
	switch t := v.(type) {
	case nil:
		return "nothing"
	case string:
		return fmt.Sprintf("the string %q", t)
	case float64:
		return fmt.Sprintf("the number %v", t)
	case bool:
		return fmt.Sprintf("%v", t)
	case []any:
		return "a list"
	case map[string]any:
		return "a mapping"
	}
	return fmt.Sprintf("%T", v)
}

func sortedKeys[K ~string, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
