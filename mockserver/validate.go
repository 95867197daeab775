package mockserver

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// describeRequestError turns a kin-openapi validation error into a message for a developer: which
// parameter, header or body field, and what was expected. It uses the errors' reasons only, never
// the offending value, which may be a password.
func describeRequestError(err error) string {
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
			return fmt.Sprintf("header Content-Type: expected %s, got %q", strings.Join(slices.Sorted(mapKeys(re.RequestBody.Content)), " or "), re.Input.Request.Header.Get("Content-Type"))
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

// describeResponseError says where a response broke the spec without quoting the offending value,
// which may be a token.
func describeResponseError(err error) string {
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

// bodyCheck validates an operation's JSON request body in serveOp, in place of kin-openapi's
// ValidateRequestBody, so the body is decoded once for both the validation and the flow (which
// reads credentials from it). It is prepared in New for operations whose request body is JSON
// only; any other media type is left to kin-openapi (bodyCheck is nil then).
type bodyCheck struct {
	rb   *openapi3.RequestBody
	opts []openapi3.SchemaValidationOption
}

// newBodyCheck returns the check for op's request body, or nil when kin-openapi must validate it
// (no body, or a media type other than JSON).
func newBodyCheck(op *openapi3.Operation, doc *openapi3.T) *bodyCheck {
	if op.RequestBody == nil || op.RequestBody.Value == nil {
		return nil
	}
	rb := op.RequestBody.Value
	for key, mt := range rb.Content {
		for _, r := range strings.Split(key, ",") {
			r = strings.ToLower(strings.TrimSpace(r))
			if r != "application/json" && !(strings.HasPrefix(r, "application/") && strings.HasSuffix(r, "+json")) {
				return nil
			}
		}
		if mt != nil && (len(mt.Encoding) > 0 || mt.Schema != nil && mt.Schema.Value != nil && mt.Schema.Value.Type.Is("string") && mt.Schema.Value.Format == "binary") {
			return nil
		}
	}
	// The options kin-openapi's ValidateRequestBody passes for the mount's validation Options
	// (defaults are not set: the flows read the body as sent).
	opts := []openapi3.SchemaValidationOption{openapi3.VisitAsRequest()}
	if doc.IsOpenAPI31OrLater() {
		opts = append(opts, openapi3.EnableJSONSchema2020())
	}
	return &bodyCheck{rb: rb, opts: opts}
}

// check validates body as kin-openapi's ValidateRequestBody does, with the same errors
// (describeRequestError reads them), and returns the decoded value (nil when it did not decode
// the body). One difference: a body with data after its JSON value is refused here as not valid
// JSON, where kin-openapi reads the first value only (the flow refused it afterwards anyway).
func (bc *bodyCheck) check(in *openapi3filter.RequestValidationInput, body []byte) (any, error) {
	fail := func(reason string, err error) error {
		return &openapi3filter.RequestError{Input: in, RequestBody: bc.rb, Reason: reason, Err: err}
	}
	if len(body) == 0 {
		if bc.rb.Required {
			return nil, fail("", openapi3filter.ErrInvalidRequired)
		}
		return nil, nil
	}
	if len(bc.rb.Content) == 0 {
		return nil, nil // nothing to validate; the flow decodes what it reads
	}
	mime := in.Request.Header.Get("Content-Type")
	ct := bc.rb.Content.Get(mime)
	if ct == nil {
		return nil, fail(fmt.Sprintf("header Content-Type has unexpected value %q", mime), nil)
	}
	value, err := decodeJSONBody(body)
	if err != nil {
		return nil, fail("failed to decode request body", &openapi3filter.ParseError{Kind: openapi3filter.KindInvalidFormat, Cause: err})
	}
	if ct.Schema == nil || ct.Schema.Value == nil {
		return value, nil
	}
	if err := ct.Schema.Value.VisitJSON(value, bc.opts...); err != nil {
		id := strings.TrimSpace(ct.Schema.Ref)
		if id == "" {
			id = strings.TrimSpace(ct.Schema.Value.Title)
		}
		if id != "" {
			id = " " + id
		}
		return nil, fail("doesn't match schema"+id, err)
	}
	return value, nil
}
