// Package validation words kin-openapi's request and response validation errors for a developer:
// which parameter, header or body member, and what was expected, never the offending value
// (which may be a password or a token).
package validation

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// DescribeRequest turns a kin-openapi validation error into a message for a developer: which
// parameter, header or body field, and what was expected. It uses the errors' reasons only, never
// the offending value, which may be a password.
func DescribeRequest(err error) string {
	var re *openapi3filter.RequestError
	if !errors.As(err, &re) {
		var se *openapi3filter.SecurityRequirementsError
		if errors.As(err, &se) {
			return "the request lacks a credential the operation requires"
		}
		return "the request does not match the API document"
	}
	switch {
	case re.Parameter != nil:
		where := fmt.Sprintf("%s parameter %q", re.Parameter.In, re.Parameter.Name)
		if re.Parameter.In == openapi3.ParameterInHeader {
			where = fmt.Sprintf("header %q", re.Parameter.Name)
		}
		return where + ": " + reasonOf(re, "a "+typeName(re.Parameter.Schema))
	case re.RequestBody != nil:
		if errors.Is(re.Err, openapi3filter.ErrInvalidRequired) {
			return "body: a JSON body is required"
		}
		if strings.HasPrefix(re.Reason, "header Content-Type") {
			return fmt.Sprintf("header Content-Type: expected %s, got %q", strings.Join(slices.Sorted(maps.Keys(re.RequestBody.Content)), " or "), re.Input.Request.Header.Get("Content-Type"))
		}
		var pe *openapi3filter.ParseError
		if errors.As(re.Err, &pe) {
			return "body: not valid JSON"
		}
		var se *openapi3.SchemaError
		if errors.As(re.Err, &se) {
			return "body " + pointerOf(se) + ": " + se.Reason
		}
		var me openapi3.MultiError
		if errors.As(re.Err, &me) && len(me) > 0 {
			if errors.As(me[0], &se) {
				return "body " + pointerOf(se) + ": " + se.Reason
			}
		}
		return "body: does not match the documented schema"
	}
	if re.Reason != "" {
		return re.Reason
	}
	return "the request does not match the API document"
}

func reasonOf(re *openapi3filter.RequestError, want string) string {
	if errors.Is(re.Err, openapi3filter.ErrInvalidRequired) {
		return "required, expected " + want
	}
	if errors.Is(re.Err, openapi3filter.ErrInvalidEmptyValue) {
		return "must not be empty, expected " + want
	}
	var se *openapi3.SchemaError
	if errors.As(re.Err, &se) {
		return se.Reason
	}
	var pe *openapi3filter.ParseError
	if errors.As(re.Err, &pe) {
		return "cannot be read as " + want
	}
	if re.Reason != "" {
		return re.Reason
	}
	return "expected " + want
}

func typeName(ref *openapi3.SchemaRef) string {
	if ref == nil || ref.Value == nil || ref.Value.Type == nil || len(*ref.Value.Type) == 0 {
		return "value"
	}
	return (*ref.Value.Type)[0]
}

func pointerOf(se *openapi3.SchemaError) string {
	p := se.JSONPointer()
	if len(p) == 0 {
		return "/"
	}
	return "/" + strings.Join(p, "/")
}

// DescribeResponse says where a response broke the spec without quoting the offending value,
// which may be a token.
func DescribeResponse(err error) string {
	var se *openapi3.SchemaError
	if errors.As(err, &se) {
		return "body " + pointerOf(se) + ": " + se.Reason
	}
	var re *openapi3filter.ResponseError
	if errors.As(err, &re) && re.Reason != "" {
		return re.Reason
	}
	return "does not match the documented response"
}

// ErrTrailingData: a JSON body with data after its value.
var ErrTrailingData = errors.New("data after the JSON value")

// JSONBody reports whether an operation's request body is JSON only: kin-openapi then
// decodes it for the validation, and the flow reads that value (Options.KeepValidatedValue).
func JSONBody(op *openapi3.Operation) bool {
	if op.RequestBody == nil || op.RequestBody.Value == nil || len(op.RequestBody.Value.Content) == 0 {
		return false
	}
	for key := range op.RequestBody.Value.Content {
		for _, r := range strings.Split(key, ",") {
			r = strings.ToLower(strings.TrimSpace(r))
			if r != "application/json" && !(strings.HasPrefix(r, "application/") && strings.HasSuffix(r, "+json")) {
				return false
			}
		}
	}
	return true
}

// BodyDecoded reports whether kin-openapi's validation got as far as decoding the body: it passed,
// or refused the decoded value against the schema.
func BodyDecoded(err error) bool {
	if err == nil {
		return true
	}
	var re *openapi3filter.RequestError
	return errors.As(err, &re) && re.RequestBody != nil && strings.HasPrefix(re.Reason, "doesn't match schema")
}
