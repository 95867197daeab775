package suites

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// TestAssertionDescriptionsAreNotFormats guards against a target's text being read as a format:
// Gomega formats an assertion's description with fmt.Sprintf, so a description built from a
// response ("got: " + body) turns a URL-encoded password's "%2B" into "%!B(MISSING)" and leaks the
// rest of it past the redactor. A description must be a literal format, its values arguments.
func TestAssertionDescriptionsAreNotFormats(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) < 2 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			switch sel.Sel.Name {
			case "To", "NotTo", "ToNot", "Should", "ShouldNot":
			default:
				return true
			}
			switch d := call.Args[1].(type) {
			case *ast.BasicLit:
				if d.Kind == token.STRING {
					return true
				}
			case *ast.FuncLit:
				return true
			}
			t.Errorf("%s: the description of %s is not a literal format; write %s(matcher, \"%%s\", text)", fset.Position(call.Pos()), sel.Sel.Name, sel.Sel.Name)
			return true
		})
	}
}
