package specs

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Document is a YAML (or JSON) file read into the values encoding/json would give for it (maps,
// lists, strings, float64 numbers, booleans, nil), with the line and column each value stood at.
// It is how every file a user writes (spec, target file, mock config) is read: one YAML reading
// (YAML 1.2, go.yaml.in/yaml/v3) and one strict decoder (Decode), so an error names the file, line,
// column and field wherever it comes from.
type Document struct {
	File  string
	Value any
	pos   map[string]Pos    // RFC 6901 pointer -> where the value (for a member: its key) stands
	dots  map[string]Pos    // dotted field path -> position, as the decoder visited it
	raw   map[string]string // pointer -> a scalar's text as written (Text fields read it)
}

// Pos is a line and column in a file, both from 1; zero when unknown (a document read from JSON
// that was not parsed for positions).
type Pos struct{ Line, Column int }

// maxYAMLNodes bounds how many values a document may expand to, aliases included: a small file of
// nested aliases (a "billion laughs") must not become gigabytes of values. maxYAMLDepth bounds the
// nesting, which also stops an alias that contains itself.
const (
	maxYAMLNodes = 1 << 20
	maxYAMLDepth = 256
)

// ReadYAML reads a YAML (or JSON) document. Keys must be strings and appear once per mapping;
// aliases are expanded within a budget of values; values JSON has no form for (.inf, .nan) are
// refused. Errors are *Error with the file and, where known, the line.
func ReadYAML(file string, data []byte) (*Document, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		e := &Error{File: file, Problem: "not valid YAML: " + strings.TrimPrefix(err.Error(), "yaml: "), Err: ErrInvalid}
		var te *yaml.TypeError
		if errors.As(err, &te) && len(te.Errors) > 0 {
			e.Problem = "not valid YAML: " + strings.TrimPrefix(te.Errors[0], "yaml: ")
		}
		if line, ok := yamlErrorLine(err.Error()); ok {
			e.Line = line
			e.Problem = strings.Replace(e.Problem, fmt.Sprintf("line %d: ", line), "", 1)
		}
		return nil, e
	}
	d := &Document{File: file, pos: map[string]Pos{}, dots: map[string]Pos{}, raw: map[string]string{}}
	if root.Kind == 0 || len(root.Content) == 0 {
		return d, nil
	}
	c := &converter{d: d, lines: yamlLines(data)}
	v, err := c.value(root.Content[0], "", 0)
	if err != nil {
		return nil, err
	}
	d.Value = v
	return d, nil
}

// yamlErrorLine reads "line N" out of a yaml.v3 parse error.
func yamlErrorLine(msg string) (int, bool) {
	_, rest, ok := strings.Cut(msg, "line ")
	if !ok {
		return 0, false
	}
	end := strings.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' })
	if end < 0 {
		end = len(rest)
	}
	n, err := strconv.Atoi(rest[:end])
	return n, err == nil
}

// DocumentOf wraps values already decoded from JSON (a bundled spec's JSON twin): no positions.
func DocumentOf(file string, v any) *Document {
	return &Document{File: file, Value: v, pos: map[string]Pos{}, dots: map[string]Pos{}, raw: map[string]string{}}
}

// JSON is the document as JSON, keys sorted.
func (d *Document) JSON() ([]byte, error) { return json.Marshal(d.Value) }

// At is where the value at pointer stands (for a member, its key); false when unknown.
func (d *Document) At(pointer string) (Pos, bool) {
	p, ok := d.pos[pointer]
	return p, ok
}

// atField is where the value the decoder visited as the dotted field path stands, or the
// nearest enclosing one it visited.
func (d *Document) atField(field string) (Pos, bool) {
	for f := field; f != ""; {
		if p, ok := d.dots[f]; ok {
			return p, true
		}
		i := strings.LastIndexAny(f, ".[")
		if i <= 0 {
			break
		}
		f = f[:i]
	}
	return Pos{}, false
}

type converter struct {
	d     *Document
	nodes int
	lines int // the text's line count, as YAML counts breaks
}

// at is a node's position, kept inside the text: yaml.v3 places the implicit null of an empty
// document ("---") on the line after the last.
func (c *converter) at(n *yaml.Node) Pos {
	return Pos{min(n.Line, c.lines), n.Column}
}

// yamlLines counts lines the way YAML does: LF, CR and CRLF end one, and so do NEL, LS and PS.
func yamlLines(data []byte) int {
	s := strings.ReplaceAll(string(data), "\r\n", "\n")
	return 1 + strings.Count(s, "\n") + strings.Count(s, "\r") + strings.Count(s, "\u0085") + strings.Count(s, "\u2028") + strings.Count(s, "\u2029")
}

func (c *converter) errf(n *yaml.Node, pointer, format string, args ...any) error {
	return &Error{File: c.d.File, Line: n.Line, Column: n.Column, Pointer: dotted(pointer), Problem: fmt.Sprintf(format, args...), Err: ErrInvalid}
}

func (c *converter) value(n *yaml.Node, pointer string, depth int) (any, error) {
	c.nodes++
	if c.nodes > maxYAMLNodes {
		return nil, c.errf(n, pointer, "the document expands to more than %d values (aliases?)", maxYAMLNodes)
	}
	if depth > maxYAMLDepth {
		return nil, c.errf(n, "", "values are nested more than %d deep (an alias inside itself?)", maxYAMLDepth)
	}
	if _, seen := c.d.pos[pointer]; !seen {
		c.d.pos[pointer] = c.at(n)
	}
	switch n.Kind {
	case yaml.AliasNode:
		return c.value(n.Alias, pointer, depth+1)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
				return nil, c.errf(k, pointer, "merge keys (<<) are not supported; write the members out")
			}
			if k.Kind != yaml.ScalarNode {
				return nil, c.errf(k, pointer, "a key must be a plain name, not a list or a mapping")
			}
			name := k.Value
			if _, dup := m[name]; dup {
				return nil, c.errf(k, pointer+"/"+escapePointer(name), "%q appears twice", name)
			}
			child := pointer + "/" + escapePointer(name)
			c.d.pos[child] = c.at(k)
			val, err := c.value(v, child, depth+1)
			if err != nil {
				return nil, err
			}
			m[name] = val
		}
		return m, nil
	case yaml.SequenceNode:
		s := make([]any, len(n.Content))
		for i, e := range n.Content {
			val, err := c.value(e, pointer+"/"+strconv.Itoa(i), depth+1)
			if err != nil {
				return nil, err
			}
			s[i] = val
		}
		return s, nil
	case yaml.ScalarNode:
		return c.scalar(n, pointer)
	}
	return nil, c.errf(n, pointer, "unexpected YAML node")
}

// scalar resolves a scalar as YAML 1.2 does, into the value JSON would hold.
func (c *converter) scalar(n *yaml.Node, pointer string) (any, error) {
	c.d.raw[pointer] = n.Value
	switch n.ShortTag() {
	case "!!null":
		return nil, nil
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			return nil, c.errf(n, pointer, "%q is not true or false", n.Value)
		}
		return b, nil
	case "!!int", "!!float":
		var f float64
		if err := n.Decode(&f); err != nil {
			return nil, c.errf(n, pointer, "%q is not a number", n.Value)
		}
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, c.errf(n, pointer, "%q has no JSON form; quote it to make it a string", n.Value)
		}
		return f, nil
	}
	// Strings, and everything JSON has no type for (timestamps, binary, custom tags), as written.
	return n.Value, nil
}

// Text is a scalar read exactly as written: a password 0123 or a company id 1e5 stays text, where
// YAML would make it a number. Decode fills Text fields from any scalar.
type Text string

// dotted turns a JSON pointer into the dotted form errors name fields by: /a/0/b -> a[0].b.
func dotted(pointer string) string {
	var b strings.Builder
	for _, part := range strings.Split(strings.TrimPrefix(pointer, "/"), "/") {
		if pointer == "" {
			break
		}
		part = unescapePointer(part)
		if _, err := strconv.Atoi(part); err == nil && b.Len() > 0 {
			b.WriteString("[" + part + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(part)
	}
	return b.String()
}
