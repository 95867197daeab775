package suites

import "strings"

// JSON pointers (RFC 6901) are read and written with specs.GetPointer and specs.SetPointer, the
// one implementation the mock and the suites share.

// lastToken is the member name a body pointer ends in ("/a/b~1c" -> "b/c").
func lastToken(p string) string {
	tok := p[strings.LastIndex(p, "/")+1:]
	return strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
}
