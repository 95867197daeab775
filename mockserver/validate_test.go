package mockserver

import (
	"bytes"
	"context"

	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3filter"
)

// bodyOp is one bundled operation whose JSON body the mock validates itself (bodyCheck).
type bodyOp struct {
	name string
	op   *operation
}

func bodyOps(t testing.TB) []bodyOp {
	t.Helper()
	h := newHarness(t)
	var out []bodyOp
	for _, m := range h.s.mounts {
		for _, o := range m.ops {
			if o.body != nil {
				out = append(out, bodyOp{m.spec.Name + " " + o.op.ID, o})
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("no bundled operation has a JSON request body checked by bodyCheck")
	}
	return out
}

// compareWithKin runs the mock's body check and kin-openapi's ValidateRequestBody on the same
// request and reports how they differ: both must accept or refuse alike, with the same message
// for the client. The one intended difference: data after the JSON value, which kin-openapi
// ignores (it validates the first value) and the mock refuses as not valid JSON, whatever the
// first value holds.
func compareWithKin(t *testing.T, bo bodyOp, contentType string, body []byte) {
	t.Helper()
	req := httptest.NewRequest("POST", "/x", bytes.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	in := &openapi3filter.RequestValidationInput{Request: req, Options: bo.op.m.validate}
	_, ours := bo.op.body.check(in, body)
	theirs := openapi3filter.ValidateRequestBody(context.Background(), in, bo.op.op.Op.RequestBody.Value)
	switch {
	case ours != nil && theirs != nil && describeRequestError(ours) == describeRequestError(theirs):
	case trailingData(body):
		if ours == nil || describeRequestError(ours) != "body: not valid JSON" {
			t.Errorf("%s %q %q: data after the JSON value: the mock says %v, want body: not valid JSON", bo.name, contentType, body, ours)
		}
	case ours == nil && theirs == nil:
	case ours != nil && theirs != nil:
		if a, b := describeRequestError(ours), describeRequestError(theirs); a != b {
			t.Errorf("%s %q %q: the mock says %q, kin-openapi %q", bo.name, contentType, body, a, b)
		}
	default:
		t.Errorf("%s %q %q: the mock says %v, kin-openapi %v", bo.name, contentType, body, ours, theirs)
	}
}

// trailingData reports whether body holds a JSON value followed by more than white space.
func trailingData(body []byte) bool {
	_, err := decodeJSONBody(body)
	return err != nil && strings.Contains(err.Error(), "after the top-level")
}

var bodyCases = []struct{ contentType, body string }{
	{"application/json", `{"username":"u","password":"p"}`},
	{"application/json; charset=utf-8", `{"username":"u","password":"p","companyId":"c","name":"n","text":"t"}`},
	{"APPLICATION/JSON", `{"username":"u"}`},
	{"application/json", ``},
	{"application/json", `   `},
	{"application/json", `{}`},
	{"application/json", `[]`},
	{"application/json", `null`},
	{"application/json", `"string"`},
	{"application/json", `12`},
	{"application/json", `{"username":12,"password":true}`},
	{"application/json", `{"username":"u","password":"p"} trailing`},
	{"application/json", `{"username":"u","password":"p"}{}`},
	{"application/json", `{"username":"u","password":"p"}  `},
	{"application/json", `{"username":"u",`},
	{"application/json", `{"username":"\ud800"}`},
	{"application/json", "{\"username\":\"\xff\"}"},
	{"application/json", `{"username":"u","username":"v","password":"p"}`},
	{"application/json", `{"a":{"b":[1,2,{"c":null}]}}`},
	{"text/plain", `{"username":"u","password":"p"}`},
	{"", `{"username":"u","password":"p"}`},
	{"application/xml", `<a/>`},
	{"application/problem+json", `{}`},
	{"application", `{}`},
}

// TestBodyCheckMatchesKin: the mock's own body validation answers as kin-openapi's would, for
// every bundled operation with a JSON body.
func TestBodyCheckMatchesKin(t *testing.T) {
	for _, bo := range bodyOps(t) {
		for _, tc := range bodyCases {
			compareWithKin(t, bo, tc.contentType, []byte(tc.body))
		}
	}
}

// TestDecodeJSONBody: one JSON value, numbers kept as written, nothing after it but white space.
func TestDecodeJSONBody(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{`{"a":1}`, true}, {" {\"a\":1}\n\t ", true}, {`1.50`, true}, {`{"a":1} x`, false},
		{`{"a":1}{}`, false}, {`{"a":1}]`, false}, {``, false}, {`{`, false},
	} {
		v, err := decodeJSONBody([]byte(tc.in))
		if (err == nil) != tc.ok {
			t.Errorf("decodeJSONBody(%q) = %v, %v; want ok %v", tc.in, v, err, tc.ok)
		}
	}
	v, _ := decodeJSONBody([]byte(`1.50`))
	if s, ok := v.(interface{ String() string }); !ok || s.String() != "1.50" {
		t.Errorf("decodeJSONBody(1.50) = %#v, want json.Number 1.50", v)
	}
}

// FuzzBodyCheck holds the mock's body validation to kin-openapi's on arbitrary bodies and
// content types (the mock replaced kin-openapi's for JSON bodies to decode them once).
func FuzzBodyCheck(f *testing.F) {
	for _, tc := range bodyCases {
		f.Add(tc.contentType, []byte(tc.body))
	}
	ops := bodyOps(f)
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		if strings.ContainsAny(contentType, "\r\n\x00") {
			return // not a header value net/http would deliver
		}
		for _, bo := range ops {
			compareWithKin(t, bo, contentType, body)
		}
	})
}
