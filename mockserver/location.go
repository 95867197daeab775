package mockserver

import (
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/authconform/authconform/specs"
)

// body returns the request body decoded as JSON, decoding it at most once; nil for an empty body.
// The router's validation has already checked it against the schema.
func (c *call) json() (any, error) {
	if !c.parsedOK {
		c.parsedOK = true
		switch {
		case len(c.body) == 0:
		case isForm(c.r.Header.Get("Content-Type")):
			var form url.Values
			if form, c.parseErr = url.ParseQuery(string(c.body)); c.parseErr == nil {
				obj := make(map[string]any, len(form))
				for k, vs := range form {
					obj[k] = vs[0]
				}
				c.parsed = obj
			}
		default:
			c.parseErr = json.Unmarshal(c.body, &c.parsed)
		}
	}
	return c.parsed, c.parseErr
}

// read returns the string at a request location; found is false when it is absent, and a
// failure is returned when it is there but not a string.
func (c *call) read(l specs.Location) (value string, found bool, err error) {
	switch l.In {
	case specs.InHeader:
		v := headerValue(c.r.Header, l.Name)
		return v, v != "", nil
	case specs.InQuery:
		q := c.r.URL.Query()
		if !q.Has(l.Name) {
			return "", false, nil
		}
		return q.Get(l.Name), true, nil
	case specs.InBody:
		doc, perr := c.json()
		if perr != nil {
			return "", false, failf(specs.FailInvalidRequest, perr, "body: not valid %s", bodyWord(c.r))
		}
		v, ok := specs.GetPointer(doc, l.Pointer)
		if !ok || v == nil {
			return "", false, nil
		}
		s, isString := v.(string)
		if !isString {
			return "", false, fail(specs.FailInvalidRequest, "body %s: expected a string", l.Pointer)
		}
		return s, true, nil
	}
	return "", false, nil
}

// prune drops null members from rendered objects: a template naming a value an account lacks
// leaves the member out, which an optional property allows, rather than writing null.
func prune(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			if e == nil {
				delete(t, k)
				continue
			}
			t[k] = prune(e)
		}
	case []any:
		for i, e := range t {
			t[i] = prune(e)
		}
	}
	return v
}

// headerValue reads a header whatever the case of its name (HTTP names are case-insensitive).
// net/http canonicalises what it reads from the wire; the scan covers handlers called directly
// with a hand-built header map.
func headerValue(h http.Header, name string) string {
	if v := h.Get(name); v != "" {
		return v
	}
	for k, vs := range h {
		if len(vs) > 0 && strings.EqualFold(k, name) {
			return vs[0]
		}
	}
	return ""
}

// isForm reports whether a Content-Type is application/x-www-form-urlencoded.
func isForm(contentType string) bool {
	mt, _, _ := mime.ParseMediaType(contentType)
	return mt == specs.MediaForm
}

// bodyWord names what a request's body should have been: JSON, or a form.
func bodyWord(r *http.Request) string {
	if isForm(r.Header.Get("Content-Type")) {
		return "form (application/x-www-form-urlencoded)"
	}
	return "JSON"
}
