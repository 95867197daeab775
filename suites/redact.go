package suites

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// redactor removes secrets from everything the suites print or store: the target file's
// passwords and keys, and every token and API key the target hands out during the run.
type redactor struct {
	mu      sync.Mutex
	secrets []string // longest first, so a secret containing another is replaced whole
}

// minSecret is the shortest value redacted: shorter ones would mangle ordinary words and a
// two-character secret protects nothing anyway.
const minSecret = 3

func (r *redactor) add(values ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, v := range encodedForms(values) {
		if len(v) < minSecret || slices.Contains(r.secrets, v) {
			continue
		}
		r.secrets = append(r.secrets, v)
		// A JWT also leaks through its signature alone (tampering checks reuse header and payload).
		if parts := strings.Split(v, "."); len(parts) == 3 && len(parts[2]) >= 8 && !slices.Contains(r.secrets, parts[2]) {
			r.secrets = append(r.secrets, parts[2])
		}
	}
	slices.SortFunc(r.secrets, func(a, b string) int { return len(b) - len(a) })
}

// encodedForms adds to each value the forms it travels in when a target echoes a request back: a
// query or path escaped (a legacy login's password in the query string) and a JSON string's
// escapes. Without them "p+ss/word" leaks as "p%2Bss%2Fword".
func encodedForms(values []string) []string {
	out := make([]string, 0, 4*len(values))
	for _, v := range values {
		out = append(out, v, url.QueryEscape(v), url.PathEscape(v))
		for _, html := range []bool{true, false} { // Go escapes <, > and & by default; others do not
			var b strings.Builder
			enc := json.NewEncoder(&b)
			enc.SetEscapeHTML(html)
			if enc.Encode(v) == nil {
				out = append(out, strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(b.String()), `"`), `"`))
			}
		}
	}
	return out
}

// addBasic registers a user:password pair and its Basic encoding.
func (r *redactor) addBasic(user, password string) {
	r.add(password, base64.StdEncoding.EncodeToString([]byte(user+":"+password)))
}

// jwtLike matches anything shaped like a compact JWS, so a token the target returns in a place the
// suites did not expect is masked too.
var jwtLike = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*\.?[A-Za-z0-9_-]*`)

// redact replaces every known secret and JWT-shaped value by a marker with its length.
func (r *redactor) redact(s string) string {
	r.mu.Lock()
	secrets := r.secrets
	r.mu.Unlock()
	for _, v := range secrets {
		if !strings.Contains(s, v) {
			continue
		}
		if len(v) >= longSecret {
			s = strings.ReplaceAll(s, v, mask(v))
			continue
		}
		// A short secret ("pass") is masked only where it stands alone, so the word "password"
		// in a message survives; inside JSON, headers and query strings it stands alone.
		re := regexp.MustCompile(`(^|[^A-Za-z0-9])` + regexp.QuoteMeta(v) + `($|[^A-Za-z0-9])`)
		for re.MatchString(s) {
			s = re.ReplaceAllStringFunc(s, func(m string) string {
				i := strings.Index(m, v)
				return m[:i] + mask(v) + m[i+len(v):]
			})
		}
	}
	return jwtLike.ReplaceAllStringFunc(s, mask)
}

// longSecret is the length from which a secret is masked wherever it appears, even inside a word.
const longSecret = 8

func mask(v string) string { return "[redacted " + strconv.Itoa(len(v)) + " chars]" }
