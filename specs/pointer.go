package specs

import (
	"strconv"
	"strings"
)

// GetPointer resolves an RFC 6901 JSON pointer in a decoded JSON value: "" is the whole value,
// "/a/0" member a's first element, "~1" and "~0" stand for "/" and "~". Locations (body
// pointers), the mock and the suites all read bodies through it, so the three cannot disagree on
// what a pointer names.
func GetPointer(doc any, pointer string) (any, bool) {
	if pointer == "" {
		return doc, true
	}
	if !strings.HasPrefix(pointer, "/") {
		return nil, false
	}
	cur := doc
	for rest, more := pointer[1:], true; more; {
		var part string
		part, rest, more = strings.Cut(rest, "/")
		part = unescapePointer(part)
		switch t := cur.(type) {
		case map[string]any:
			next, ok := t[part]
			if !ok {
				return nil, false
			}
			cur = next
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(t) {
				return nil, false
			}
			cur = t[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

// SetPointer writes v at an RFC 6901 pointer in an object, creating intermediate objects (only
// object members are created: token locations always name members). The empty pointer, which
// names the whole value, cannot be set in place and is ignored.
func SetPointer(doc map[string]any, pointer string, v any) {
	if !strings.HasPrefix(pointer, "/") {
		return
	}
	cur := doc
	for rest := pointer[1:]; ; {
		part, tail, more := strings.Cut(rest, "/")
		part, rest = unescapePointer(part), tail
		if !more {
			cur[part] = v
			return
		}
		next, ok := cur[part].(map[string]any)
		if !ok {
			next = map[string]any{}
			cur[part] = next
		}
		cur = next
	}
}

func unescapePointer(s string) string {
	if !strings.Contains(s, "~") {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
}

// DeletePointer removes the member at an RFC 6901 pointer in an object, if it is there.
func DeletePointer(doc map[string]any, pointer string) {
	parent, last := pointer[:max(strings.LastIndex(pointer, "/"), 0)], pointer[strings.LastIndex(pointer, "/")+1:]
	obj := doc
	if parent != "" {
		v, _ := GetPointer(doc, parent)
		var ok bool
		if obj, ok = v.(map[string]any); !ok {
			return
		}
	}
	delete(obj, unescapePointer(last))
}
