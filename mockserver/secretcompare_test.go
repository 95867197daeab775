package mockserver

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// TestSecretsComparedInConstantTime guards the rule that passwords, keys and tokens are compared
// with secretEqual (or a hash lookup), never with == or strings functions that stop at the first
// differing byte: no comparison in the mock's code (the core and its subpackages, the dev tools
// and the accounts included; not the deliberate defects) has a secret-named operand on either
// side, except a test for emptiness.
func TestSecretsComparedInConstantTime(t *testing.T) {
	var files []string
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir() && (d.Name() == "defects" || d.Name() == "testdata"):
			return filepath.SkipDir
		case !d.IsDir() && strings.HasSuffix(path, ".go"):
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	secretName := func(e ast.Expr) string {
		switch x := e.(type) {
		case *ast.SelectorExpr:
			if pkg, ok := x.X.(*ast.Ident); ok && pkg.Name == "specs" {
				return "" // a field name such as specs.FieldPassword, not a value
			}
			e = x.Sel
		case *ast.IndexExpr:
			return ""
		}
		id, ok := e.(*ast.Ident)
		if !ok {
			return ""
		}
		l := strings.ToLower(id.Name)
		for _, s := range []string{"password", "passwd", "secret", "apikey"} {
			if strings.Contains(l, s) {
				return id.Name
			}
		}
		if l == "pass" {
			return id.Name
		}
		return ""
	}
	isEmpty := func(e ast.Expr) bool {
		lit, ok := e.(*ast.BasicLit)
		return ok && (lit.Value == `""` || lit.Value == "``")
	}
	fset := token.NewFileSet()
	checked := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		ast.Inspect(file, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.BinaryExpr:
				if x.Op != token.EQL && x.Op != token.NEQ || isEmpty(x.X) || isEmpty(x.Y) {
					return true
				}
				for _, side := range []ast.Expr{x.X, x.Y} {
					if name := secretName(side); name != "" {
						t.Errorf("%s: %s compared with %s; use secretEqual", fset.Position(x.Pos()), name, x.Op)
					}
				}
			case *ast.CallExpr:
				sel, ok := x.Fun.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				pkg, ok := sel.X.(*ast.Ident)
				if !ok || (pkg.Name != "strings" && pkg.Name != "bytes") || (sel.Sel.Name != "EqualFold" && sel.Sel.Name != "Equal" && sel.Sel.Name != "Compare" && sel.Sel.Name != "HasPrefix") {
					return true
				}
				for _, a := range x.Args {
					if name := secretName(a); name != "" {
						t.Errorf("%s: %s compared with %s.%s; use secretEqual", fset.Position(x.Pos()), name, pkg.Name, sel.Sel.Name)
					}
				}
			}
			return true
		})
	}
	if checked == 0 {
		t.Fatal("no source file checked")
	}
}

// TestSecretEqual: equal secrets match and nothing else does, whatever the lengths.
func TestSecretEqual(t *testing.T) {
	cases := []struct {
		a, b string
		want bool
	}{
		{"alice-password", "alice-password", true},
		{"", "", true},
		{"alice-password", "alice-passwore", false},
		{"alice-password", "alice-password ", false},
		{"alice-password", "", false},
		{"a", strings.Repeat("a", 10000), false},
		{"pass\x00", "pass", false},
	}
	for _, tc := range cases {
		if got := secretEqual(tc.a, tc.b); got != tc.want {
			t.Errorf("secretEqual(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}
