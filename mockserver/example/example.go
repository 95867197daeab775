// Package example builds the value a mock answers where a spec documents a response but no flow
// writes its body: the response's documented example, else a value built from its schema.
package example

import (
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/authconform/authconform/specs"
)

// FromSchema builds a value that satisfies a schema: its example where it gives one, else a
// placeholder of the right type and format (date-times at now).
func FromSchema(ref *openapi3.SchemaRef, now time.Time) any { return fromSchema(ref, now, 0) }

// fromSchema builds a value that satisfies a schema: its example where it gives one, else a
// placeholder of the right type and format.
func fromSchema(ref *openapi3.SchemaRef, now time.Time, depth int) any {
	if ref == nil || ref.Value == nil || depth > 8 {
		return nil
	}
	s := ref.Value
	if s.Example != nil {
		return s.Example
	}
	if len(s.Enum) > 0 {
		return s.Enum[0]
	}
	if s.Default != nil {
		return s.Default
	}
	for _, alts := range []openapi3.SchemaRefs{s.OneOf, s.AnyOf} {
		if len(alts) > 0 {
			return fromSchema(alts[0], now, depth+1)
		}
	}
	if len(s.AllOf) > 0 {
		out := map[string]any{}
		for _, part := range s.AllOf {
			if m, ok := fromSchema(part, now, depth+1).(map[string]any); ok {
				for k, v := range m {
					out[k] = v
				}
			}
		}
		return out
	}
	switch {
	case s.Type.Is("object") || len(s.Properties) > 0:
		out := map[string]any{}
		for name, p := range s.Properties {
			if v := fromSchema(p, now, depth+1); v != nil {
				out[name] = v
			}
		}
		return out
	case s.Type.Is("array"):
		if v := fromSchema(s.Items, now, depth+1); v != nil {
			return []any{v}
		}
		return []any{}
	case s.Type.Is("integer"), s.Type.Is("number"):
		if s.Min != nil {
			return *s.Min
		}
		return 0
	case s.Type.Is("boolean"):
		return false
	case s.Type.Is("string"):
		switch s.Format {
		case "date-time":
			return now.Format(time.RFC3339)
		case "date":
			return now.Format(time.DateOnly)
		case "uuid":
			return "00000000-0000-4000-8000-000000000000"
		case "email":
			return "user@example.com"
		case "uri", "url":
			return "https://example.com/"
		}
		if s.MinLength > 0 {
			return strings.Repeat("x", int(s.MinLength))
		}
		return "string"
	}
	return nil
}

// Of is the documented example of an operation's response for status, else one built from its
// schema; nil when that response has no JSON content.
func Of(op *specs.Operation, status int, now time.Time) any {
	r := op.Op.Responses.Status(status)
	if r == nil || r.Value == nil {
		return nil
	}
	mt := r.Value.Content.Get("application/json")
	if mt == nil {
		return nil
	}
	if mt.Example != nil {
		return mt.Example
	}
	for _, name := range slices.Sorted(maps.Keys(mt.Examples)) {
		if ex := mt.Examples[name]; ex != nil && ex.Value != nil && ex.Value.Value != nil {
			return ex.Value.Value
		}
	}
	return fromSchema(mt.Schema, now.UTC(), 0)
}
