package specs

import (
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// Addition is one thing in a spec that the vendor's document does not have, marked
// x-authconform-added with the reason.
type Addition struct {
	Kind  string // server, tag, scheme, operation, response, schema or property
	Where string // where it is, as errors name places: components.schemas.Customer
	Why   string // the x-authconform-added sentence
}

// buildAdditions lists every x-authconform-added of the document in document order (servers,
// tags, operations, then components), and refuses a misspelt extension on a tag or a schema.
func buildAdditions(s *Spec, doc *openapi3.T, p *problems) {
	add := func(kind, at string, ext map[string]any) {
		if why := added(p, at, ext); why != "" {
			s.Additions = append(s.Additions, Addition{Kind: kind, Where: at, Why: why})
		}
	}
	for i, srv := range doc.Servers {
		if srv != nil && i > 0 {
			checkUnknown(p, "servers["+strconv.Itoa(i)+"]", srv.Extensions, extAdded)
		}
		if srv != nil {
			add("server", "servers["+strconv.Itoa(i)+"]", srv.Extensions)
		}
	}
	for _, t := range doc.Tags {
		if t == nil {
			continue
		}
		at := "tags." + t.Name
		checkUnknown(p, at, t.Extensions, extAdded)
		add("tag", at, t.Extensions)
	}
	var schema func(kind, at string, ref *openapi3.SchemaRef)
	schema = func(kind, at string, ref *openapi3.SchemaRef) {
		if ref == nil || ref.Value == nil || ref.Ref != "" {
			return // a $ref is listed where its component is
		}
		v := ref.Value
		checkUnknown(p, at, v.Extensions, extAdded)
		add(kind, at, v.Extensions)
		for _, name := range sortedKeys(v.Properties) {
			schema("property", at+".properties."+name, v.Properties[name])
		}
		schema("schema", at+".items", v.Items)
		if v.AdditionalProperties.Schema != nil {
			schema("schema", at+".additionalProperties", v.AdditionalProperties.Schema)
		}
		for name, list := range map[string]openapi3.SchemaRefs{"allOf": v.AllOf, "anyOf": v.AnyOf, "oneOf": v.OneOf} {
			for i, r := range list {
				schema("schema", at+"."+name+"["+strconv.Itoa(i)+"]", r)
			}
		}
		schema("schema", at+".not", v.Not)
	}
	content := func(at string, c openapi3.Content) {
		for _, mt := range sortedKeys(c) {
			if c[mt] != nil {
				schema("schema", at+".content."+mt+".schema", c[mt].Schema)
			}
		}
	}
	for _, op := range s.Operations {
		at := "paths." + op.Path + "." + strings.ToLower(op.Method)
		if op.Added != "" {
			s.Additions = append(s.Additions, Addition{Kind: "operation", Where: at, Why: op.Added})
		}
		o := op.Op
		for _, prm := range o.Parameters {
			if prm != nil && prm.Ref == "" && prm.Value != nil {
				schema("schema", at+".parameters."+prm.Value.Name+".schema", prm.Value.Schema)
			}
		}
		if o.RequestBody != nil && o.RequestBody.Ref == "" && o.RequestBody.Value != nil {
			content(at+".requestBody", o.RequestBody.Value.Content)
		}
		if o.Responses == nil {
			continue
		}
		codes := make([]string, 0, o.Responses.Len())
		for code := range o.Responses.Map() {
			codes = append(codes, code)
		}
		sort.Strings(codes)
		for _, code := range codes {
			r := o.Responses.Value(code)
			if r == nil || r.Ref != "" || r.Value == nil {
				continue // a $ref is listed where its component is
			}
			rat := at + ".responses." + code
			if why, _ := r.Value.Extensions[extAdded].(string); why != "" {
				s.Additions = append(s.Additions, Addition{Kind: "response", Where: rat, Why: why})
			}
			content(rat, r.Value.Content)
		}
	}
	if doc.Components == nil {
		return
	}
	for _, name := range sortedKeys(doc.Components.SecuritySchemes) {
		if sc := s.Schemes[name]; sc != nil && sc.Added != "" {
			s.Additions = append(s.Additions, Addition{Kind: "scheme", Where: "components.securitySchemes." + name, Why: sc.Added})
		}
	}
	for _, name := range sortedKeys(doc.Components.Responses) {
		r := doc.Components.Responses[name]
		if r == nil || r.Value == nil {
			continue
		}
		at := "components.responses." + name
		checkUnknown(p, at, r.Value.Extensions, extAdded)
		if why, _ := r.Value.Extensions[extAdded].(string); why != "" { // its users' statuses check it
			s.Additions = append(s.Additions, Addition{Kind: "response", Where: at, Why: why})
		}
		content(at, r.Value.Content)
	}
	for _, name := range sortedKeys(doc.Components.Schemas) {
		r := doc.Components.Schemas[name]
		if r != nil && r.Ref == "" {
			schema("schema", "components.schemas."+name, r)
		}
	}
}
