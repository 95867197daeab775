package specs

import (
	"fmt"
	"strings"
)

// checkRefs finds every $ref before kin-openapi resolves them, so a dangling or external reference
// is reported where it sits ("paths./login.post...schema.$ref") rather than as kin-openapi's
// "map key not found". It reads the document as JSON (Parse converts YAML once); a document that
// does not parse is left for the loader to report.
func checkRefs(d *Document) error {
	doc := d.Value
	p := &problems{file: d.File, doc: d}
	walkRefs(doc, "", func(at, ref string) {
		frag, ok := strings.CutPrefix(ref, "#")
		if !ok {
			p.addf(at, "external reference %q: a spec must be one self-contained file, so its SHA-256 identifies it", ref)
			return
		}
		if _, found := GetPointer(doc, frag); !found {
			p.addf(at, "%q points at nothing in this document", ref)
		}
	}, func(at, pointer string) { p.mark(at, pointer) })
	return p.err()
}

// walkRefs visits every $ref under v; mark learns where each one stands (dotted path, pointer).
func walkRefs(v any, at string, visit func(at, ref string), mark func(at, pointer string)) {
	walk(v, at, "", visit, mark)
}

func walk(v any, at, pointer string, visit func(at, ref string), mark func(at, pointer string)) {
	switch t := v.(type) {
	case map[string]any:
		for _, k := range sortedKeys(t) {
			if k == "$ref" {
				if s, ok := t[k].(string); ok {
					mark(joinAt(at, "$ref"), pointer+"/$ref")
					visit(joinAt(at, "$ref"), s)
				}
				continue
			}
			walk(t[k], joinAt(at, k), pointer+"/"+escapePointer(k), visit, mark)
		}
	case []any:
		for i, e := range t {
			walk(e, fmt.Sprintf("%s[%d]", at, i), fmt.Sprintf("%s/%d", pointer, i), visit, mark)
		}
	}
}
