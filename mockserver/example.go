package mockserver

import (
	"slices"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/authconform/authconform/specs"
)

// successExample prepares, in New, what a resource answers when its flow has no body template: the
// documented example of the success response, else a value built from its schema. nil when the
// response has no JSON content.
func successExample(op *specs.Operation, clock Clock) any {
	return exampleOf(op, op.Flow.Status, clock.Now())
}

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

// missingMessage names every way the operation takes a credential, for a call that sent none.
func missingMessage(op *specs.Operation) string {
	var ways []string
	for _, alt := range op.Security {
		var parts []string
		for _, sc := range alt {
			if sc.Optional {
				continue
			}
			switch {
			case sc.IsBasic():
				parts = append(parts, "header Authorization: Basic <base64 user:password>")
			case sc.IsBearer():
				parts = append(parts, "header Authorization: Bearer <token>")
			case sc.In == specs.InQuery:
				parts = append(parts, "query parameter "+sc.Header)
			default:
				parts = append(parts, "header "+sc.Header)
			}
		}
		ways = append(ways, strings.Join(parts, " with "))
	}
	return "no credential; send " + strings.Join(ways, ", or ")
}

// exampleOf is the documented example of a response, else one built from its schema; nil when
// the response has no JSON content.
func exampleOf(op *specs.Operation, status int, now time.Time) any {
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
	for _, name := range slices.Sorted(mapKeys(mt.Examples)) {
		if ex := mt.Examples[name]; ex != nil && ex.Value != nil && ex.Value.Value != nil {
			return ex.Value.Value
		}
	}
	return fromSchema(mt.Schema, now.UTC(), 0)
}
