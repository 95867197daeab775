package specs

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// The strict decoder: it copies values read by ReadYAML (or decoded from JSON) into Go structs
// whose fields carry a yaml tag, `yaml:"name"` or `yaml:"name,required"`. Unknown fields, wrong
// types and missing required fields are problems that name the file, line, column and field, and
// every problem of a value is reported, not the first. encoding/json and yaml.v3 cannot name the
// place of an unknown field; spec authors, QA engineers writing target files and developers
// writing mock configs all need it. The tag is read by this decoder only.

// Decode decodes the whole document strictly into out, a pointer to a struct. The error is
// Errors, every problem located.
func (d *Document) Decode(out any) error {
	p := &problems{file: d.File, doc: d}
	p.decode("", "", d.Value, out)
	return p.err()
}

// decode decodes in, found at pointer (field is its dotted name), into out and records every
// problem.
func (p *problems) decode(pointer, field string, in any, out any) {
	p.value(pointer, field, in, reflect.ValueOf(out).Elem())
}

var textType = reflect.TypeFor[Text]()

// scalarDecoder is a type that reads itself from a string (Duration).
type scalarDecoder interface{ decodeString(s string) error }

func (p *problems) value(pointer, field string, in any, v reflect.Value) {
	if p.doc != nil {
		if pos, ok := p.doc.pos[pointer]; ok {
			p.doc.dots[field] = pos
		}
	}
	bad := func(format string, args ...any) { p.addf(field, format, args...) }
	if sd, ok := v.Addr().Interface().(scalarDecoder); ok {
		s, isString := in.(string)
		if !isString {
			bad("want a string, found %s", describe(in))
			return
		}
		if err := sd.decodeString(s); err != nil {
			bad("%v", err)
		}
		return
	}
	if v.Type() == textType {
		switch t := in.(type) {
		case map[string]any, []any:
			bad("want a value, found %s", describe(in))
		case nil:
		default:
			text, ok := "", false
			if p.doc != nil {
				text, ok = p.doc.raw[pointer]
			}
			if !ok {
				text = fmt.Sprint(t)
			}
			v.SetString(text)
		}
		return
	}
	switch v.Kind() {
	case reflect.Interface:
		if in != nil {
			v.Set(reflect.ValueOf(in))
		}
	case reflect.String:
		s, ok := in.(string)
		if !ok {
			bad("want a string, found %s", describe(in))
			return
		}
		v.SetString(s)
	case reflect.Bool:
		b, ok := in.(bool)
		if !ok {
			bad("want true or false, found %s", describe(in))
			return
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int64:
		f, ok := in.(float64)
		if !ok || f != math.Trunc(f) || math.Abs(f) > 1<<53 || v.OverflowInt(int64(f)) {
			bad("want a whole number, found %s", describe(in))
			return
		}
		v.SetInt(int64(f))
	case reflect.Float64:
		f, ok := in.(float64)
		if !ok {
			bad("want a number, found %s", describe(in))
			return
		}
		v.SetFloat(f)
	case reflect.Pointer:
		if in == nil {
			return
		}
		e := reflect.New(v.Type().Elem())
		p.value(pointer, field, in, e.Elem())
		v.Set(e)
	case reflect.Slice:
		list, ok := in.([]any)
		if !ok {
			bad("want a list, found %s", describe(in))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(list), len(list))
		for i, e := range list {
			p.value(pointer+"/"+strconv.Itoa(i), fmt.Sprintf("%s[%d]", field, i), e, s.Index(i))
		}
		v.Set(s)
	case reflect.Map:
		m, ok := in.(map[string]any)
		if !ok {
			bad("want a mapping, found %s", describe(in))
			return
		}
		out := reflect.MakeMapWithSize(v.Type(), len(m))
		for _, k := range sortedKeys(m) {
			e := reflect.New(v.Type().Elem()).Elem()
			p.value(pointer+"/"+escapePointer(k), joinAt(field, k), m[k], e)
			out.SetMapIndex(reflect.ValueOf(k).Convert(v.Type().Key()), e)
		}
		v.Set(out)
	case reflect.Struct:
		p.structure(pointer, field, in, v)
	default:
		bad("internal: cannot decode into %s", v.Type())
	}
}

func (p *problems) structure(pointer, field string, in any, v reflect.Value) {
	m, ok := in.(map[string]any)
	if !ok {
		p.addf(field, "want a mapping, found %s", describe(in))
		return
	}
	t := v.Type()
	known := make(map[string]int, t.NumField())
	var names []string
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		known[name] = i
		names = append(names, name)
	}
	for _, k := range sortedKeys(m) {
		if _, ok := known[k]; !ok {
			at := joinAt(field, k)
			if p.doc != nil {
				if pos, ok := p.doc.pos[pointer+"/"+escapePointer(k)]; ok {
					p.doc.dots[at] = pos
				}
			}
			p.addf(at, "unknown field %q (known fields: %s)", k, strings.Join(names, ", "))
		}
	}
	for _, name := range names {
		i := known[name]
		val, present := m[name]
		if !present || val == nil {
			if strings.HasSuffix(t.Field(i).Tag.Get("yaml"), ",required") {
				p.addf(joinAt(field, name), "missing required field")
			}
			continue
		}
		p.value(pointer+"/"+escapePointer(name), joinAt(field, name), val, v.Field(i))
	}
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
