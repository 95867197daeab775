package specs

import (
	"encoding/json"
	"fmt"
	"strings"
)

// checkRefs finds every $ref before kin-openapi resolves them, so a dangling or external reference
// is reported where it sits ("paths./login.post...schema.$ref") rather than as kin-openapi's
// "map key not found". It reads the document as JSON (Parse converts YAML once); a document that
// does not parse is left for the loader to report.
func checkRefs(file string, data []byte) (any, error) {
	var doc any
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, nil
	}
	p := &problems{file: file}
	walkRefs(doc, "", func(at, ref string) {
		frag, ok := strings.CutPrefix(ref, "#")
		if !ok {
			p.addf(at, "external reference %q: a spec must be one self-contained file, so its SHA-256 identifies it", ref)
			return
		}
		if _, found := GetPointer(doc, frag); !found {
			p.addf(at, "%q points at nothing in this document", ref)
		}
	})
	return doc, p.err()
}

func walkRefs(v any, at string, visit func(at, ref string)) {
	switch t := v.(type) {
	case map[string]any:
		for _, k := range sortedKeys(t) {
			if k == "$ref" {
				if s, ok := t[k].(string); ok {
					visit(joinAt(at, "$ref"), s)
				}
				continue
			}
			walkRefs(t[k], joinAt(at, k), visit)
		}
	case []any:
		for i, e := range t {
			walkRefs(e, fmt.Sprintf("%s[%d]", at, i), visit)
		}
	}
}
