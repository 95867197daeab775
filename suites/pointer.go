package suites

import (
	"strconv"
	"strings"
)

// JSON pointers (RFC 6901), enough for the bodies the specs describe.

func pointerTokens(p string) []string {
	if p == "" || p == "/" {
		return nil
	}
	parts := strings.Split(strings.TrimPrefix(p, "/"), "/")
	for i, s := range parts {
		parts[i] = strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
	}
	return parts
}

func getPointer(v any, p string) (any, bool) {
	for _, tok := range pointerTokens(p) {
		switch t := v.(type) {
		case map[string]any:
			x, ok := t[tok]
			if !ok {
				return nil, false
			}
			v = x
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(t) {
				return nil, false
			}
			v = t[i]
		default:
			return nil, false
		}
	}
	return v, true
}

func setPointer(m map[string]any, p string, val any) {
	toks := pointerTokens(p)
	for i, tok := range toks {
		if i == len(toks)-1 {
			m[tok] = val
			return
		}
		next, ok := m[tok].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[tok] = next
		}
		m = next
	}
}
