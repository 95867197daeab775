package specs

import "testing"

func TestPointer(t *testing.T) {
	doc := map[string]any{"a": map[string]any{"b/c": "x", "~": "tilde", "list": []any{"zero", "one"}}, "": "empty key"}
	tests := []struct {
		name, pointer string
		want          any
		found         bool
	}{
		{"whole document", "", doc, true},
		{"the empty key (RFC 6901: / is not the root)", "/", "empty key", true},
		{"escaped slash", "/a/b~1c", "x", true},
		{"escaped tilde", "/a/~0", "tilde", true},
		{"array index", "/a/list/1", "one", true},
		{"index out of range", "/a/list/2", nil, false},
		{"index not a number", "/a/list/x", nil, false},
		{"missing member", "/nope", nil, false},
		{"through a string", "/a/b~1c/d", nil, false},
		{"not a pointer", "a", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, found := GetPointer(doc, tt.pointer)
			if found != tt.found {
				t.Fatalf("found = %v, want %v", found, tt.found)
			}
			if m, ok := tt.want.(map[string]any); ok {
				if _, isMap := got.(map[string]any); !isMap || len(m) != len(got.(map[string]any)) {
					t.Errorf("got %v", got)
				}
				return
			}
			if got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	m := map[string]any{}
	SetPointer(m, "/x/y~1z", 1)
	SetPointer(m, "/t", "v")
	SetPointer(m, "", "ignored")
	if v, _ := GetPointer(m, "/x/y~1z"); v != 1 {
		t.Errorf("SetPointer nested: %v", m)
	}
	if v, _ := GetPointer(m, "/t"); v != "v" || len(m) != 2 {
		t.Errorf("SetPointer: %v", m)
	}
}
