package specs

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Template is a JSON value with references: a string leaf "{{account.username}}" is replaced by
// the referenced value (keeping its JSON type), and "{{a}}-{{b}}" by the text of both. Templates
// are compiled when a spec loads, so rendering on the mock's request path parses nothing.
//
// References, by namespace (see docs/spec-extensions.md):
//
//	account.<field>  a field of the authenticated account (id, an account field, or a profile key)
//	key.<field>      an API key: id, name, token, created
//	status, message  the HTTP status and the message of an error body
//	failure          the failure's name (badCredentials, ...) in an error body
//	now              the mock clock's time, RFC 3339
type Template struct {
	root node
}

type node interface {
	render(r Resolver) any
}

// Resolver answers a reference; ok is false when the value is unknown, and the leaf renders null.
type Resolver func(ref string) (v any, ok bool)

type literal struct{ v any }

func (l literal) render(Resolver) any { return l.v }

type whole struct{ ref string }

func (w whole) render(r Resolver) any {
	v, _ := r(w.ref)
	return v
}

type interp struct {
	parts []string // even: text, odd: references
}

func (p interp) render(r Resolver) any {
	var b strings.Builder
	for i, s := range p.parts {
		if i%2 == 0 {
			b.WriteString(s)
			continue
		}
		if v, ok := r(s); ok && v != nil {
			fmt.Fprint(&b, v)
		}
	}
	return b.String()
}

type object struct {
	keys []string
	vals []node
}

func (o object) render(r Resolver) any {
	m := make(map[string]any, len(o.keys))
	for i, k := range o.keys {
		m[k] = o.vals[i].render(r)
	}
	return m
}

type array []node

func (a array) render(r Resolver) any {
	out := make([]any, len(a))
	for i, n := range a {
		out[i] = n.render(r)
	}
	return out
}

var refPattern = regexp.MustCompile(`\{\{\s*([A-Za-z][A-Za-z0-9_.-]*)\s*\}\}`)

// compileTemplate turns a decoded JSON value into a Template; nothing (v == nil) gives a nil
// Template, so callers can tell "no body given" apart. allowed reports whether a reference may be
// used here and, if not, why.
func compileTemplate(v any, allowed func(ref string) error) (*Template, error) {
	if v == nil {
		return nil, nil
	}
	n, err := compileNode(v, "", allowed)
	if err != nil {
		return nil, err
	}
	return &Template{root: n}, nil
}

func compileNode(v any, at string, allowed func(string) error) (node, error) {
	switch t := v.(type) {
	case string:
		locs := refPattern.FindAllStringSubmatchIndex(t, -1)
		if len(locs) == 0 {
			if strings.Contains(t, "{{") {
				return nil, fmt.Errorf("%s: %q has an unclosed or malformed {{reference}}", orRoot(at), t)
			}
			return literal{t}, nil
		}
		var parts []string
		last := 0
		for _, l := range locs {
			ref := t[l[2]:l[3]]
			if err := allowed(ref); err != nil {
				return nil, fmt.Errorf("%s: %w", orRoot(at), err)
			}
			parts = append(parts, t[last:l[0]], ref)
			last = l[1]
		}
		parts = append(parts, t[last:])
		if len(parts) == 3 && parts[0] == "" && parts[2] == "" {
			return whole{parts[1]}, nil
		}
		return interp{parts}, nil
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		o := object{keys: keys, vals: make([]node, len(keys))}
		for i, k := range keys {
			n, err := compileNode(t[k], at+"/"+escapePointer(k), allowed)
			if err != nil {
				return nil, err
			}
			o.vals[i] = n
		}
		return o, nil
	case []any:
		a := make(array, len(t))
		for i, e := range t {
			n, err := compileNode(e, fmt.Sprintf("%s/%d", at, i), allowed)
			if err != nil {
				return nil, err
			}
			a[i] = n
		}
		return a, nil
	default:
		return literal{t}, nil
	}
}

func orRoot(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// Render builds the JSON value, asking r for every reference. A nil Template renders nil.
func (t *Template) Render(r Resolver) any {
	if t == nil || t.root == nil {
		return nil
	}
	return t.root.render(r)
}

// PointerOf returns the JSON pointer of the leaf that is exactly {{ref}}, so a reader of responses
// knows where a value lands (for example where a created API key's token is written).
func (t *Template) PointerOf(ref string) (string, bool) {
	if t == nil {
		return "", false
	}
	return pointerOf(t.root, "", ref)
}

func pointerOf(n node, at, ref string) (string, bool) {
	switch t := n.(type) {
	case whole:
		if t.ref == ref {
			return at, true
		}
	case object:
		for i, k := range t.keys {
			if p, ok := pointerOf(t.vals[i], at+"/"+escapePointer(k), ref); ok {
				return p, true
			}
		}
	case array:
		for i, e := range t {
			if p, ok := pointerOf(e, fmt.Sprintf("%s/%d", at, i), ref); ok {
				return p, true
			}
		}
	}
	return "", false
}

// Literals returns every leaf of the template that is a fixed value rather than a reference, by
// JSON pointer: what every body rendered from it carries (an error code, a constant flag).
func (t *Template) Literals() map[string]any {
	out := map[string]any{}
	if t != nil {
		literals(t.root, "", out)
	}
	return out
}

func literals(n node, at string, out map[string]any) {
	switch t := n.(type) {
	case literal:
		if at != "" {
			out[at] = t.v
		}
	case object:
		for i, k := range t.keys {
			literals(t.vals[i], at+"/"+escapePointer(k), out)
		}
	case array:
		for i, e := range t {
			literals(e, fmt.Sprintf("%s/%d", at, i), out)
		}
	}
}

// Fields returns the top-level keys of an object template, sorted; nil for any other shape.
func (t *Template) Fields() []string {
	if t == nil {
		return nil
	}
	if o, ok := t.root.(object); ok {
		return append([]string(nil), o.keys...)
	}
	return nil
}
