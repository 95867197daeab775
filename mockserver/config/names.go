package config

import (
	"net/netip"
	"strings"
)

// Names the config file gives and the dev tools compare with: header names (cors.headers) and
// host names (admin.hosts).

// ValidHeaderName reports whether name is an HTTP field name (an RFC 9110 token) of at most 128
// bytes.
func ValidHeaderName(name string) bool {
	if name == "" || len(name) > 128 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// ForbiddenRequestHeader reports whether no page may set the header (the Fetch standard's
// forbidden request-headers): the browser sets them itself, so no preflight answer names them.
func ForbiddenRequestHeader(name string) bool {
	n := strings.ToLower(name)
	if strings.HasPrefix(n, "proxy-") || strings.HasPrefix(n, "sec-") {
		return true
	}
	switch n {
	case "accept-charset", "accept-encoding", "access-control-request-headers", "access-control-request-method",
		"access-control-request-private-network", "connection", "content-length", "cookie", "cookie2", "date", "dnt",
		"expect", "host", "keep-alive", "origin", "referer", "set-cookie", "te", "trailer", "transfer-encoding",
		"upgrade", "via":
		return true
	}
	return false
}

// CanonicalHost is the form hosts are compared in: an IP address as netip formats it (IPv6
// without brackets), a name in lower case without a final dot. False for anything that is
// neither an address nor a DNS name (letters, digits, '-' and '_' in labels of 1 to 63
// characters, at most 253 in all).
func CanonicalHost(h string) (string, bool) {
	if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		h = h[1 : len(h)-1]
	}
	if a, err := netip.ParseAddr(h); err == nil {
		if a.Zone() != "" {
			return "", false
		}
		return a.String(), true
	}
	h = strings.ToLower(strings.TrimSuffix(h, "."))
	if h == "" || len(h) > 253 {
		return "", false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return "", false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return "", false
			}
		}
	}
	return h, true
}
