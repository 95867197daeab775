package specs

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors; match them with errors.Is.
var (
	// ErrUnknownSpec: the name is not a bundled spec and no file exists at that path.
	ErrUnknownSpec = errors.New("unknown spec")
	// ErrInvalid: the document does not parse, does not validate, or its extensions are wrong.
	ErrInvalid = errors.New("invalid spec")
)

// Error is the one error type of this package. It locates a problem in a document.
type Error struct {
	File    string // the file as the user named it, or "bundled:NAME.yaml"
	Line    int    // where the problem stands, from 1; 0 when unknown
	Column  int
	Pointer string // where in the document, dotted ("paths./auth/token.post.x-authconform-flow.kind"); may be empty
	Problem string // what is wrong, in a spec author's words
	Err     error  // the cause, when another package reported it
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, ":%d", e.Column)
		}
	}
	if e.Pointer != "" {
		b.WriteString(": ")
		b.WriteString(e.Pointer)
	}
	b.WriteString(": ")
	b.WriteString(e.Problem)
	return b.String()
}

// Unwrap lets errors.Is find ErrInvalid, ErrUnknownSpec and the cause.
func (e *Error) Unwrap() []error {
	if e.Err != nil {
		return []error{e.Err}
	}
	return nil
}

// Errors is a list of located problems found in one document; Load reports all it finds at once
// rather than the first, so a spec author fixes a file in one pass.
type Errors []*Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap exposes each located error to errors.Is and errors.As.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// problems collects located errors while a document is checked. With doc, a problem is located
// at the line of its field, or of the nearest enclosing field the decoder visited.
type problems struct {
	file string
	doc  *Document
	list Errors
}

func (p *problems) addf(field, format string, args ...any) {
	e := &Error{File: p.file, Pointer: field, Problem: fmt.Sprintf(format, args...), Err: ErrInvalid}
	if p.doc != nil {
		if pos, ok := p.doc.atField(field); ok {
			e.Line, e.Column = pos.Line, pos.Column
		}
	}
	p.list = append(p.list, e)
}

// mark records that field stands at pointer, so problems named by field are located.
func (p *problems) mark(field, pointer string) {
	if p.doc == nil {
		return
	}
	if pos, ok := p.doc.pos[pointer]; ok {
		p.doc.dots[field] = pos
	}
}

func (p *problems) err() error {
	if len(p.list) == 0 {
		return nil
	}
	return p.list
}
