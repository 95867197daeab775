package specs

import "github.com/getkin/kin-openapi/openapi3"

// RequestFormats are the string formats a request's values are held to, beyond the ones
// kin-openapi checks by default (date, date-time, byte): what a team writes in its schema
// (format: email, uuid, ipv4, ipv6) and its server refuses. Only requests: a response's formats
// are the vendor's schema, which the suites read as it is, so the bundled specs' verdicts do not
// change. Pass RequestFormatOption to kin-openapi's request validation and to Schema.VisitJSON.
var RequestFormats = map[string]openapi3.StringFormatValidator{
	"email": openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForEmail),
	"uuid":  openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForUUIDOfRFC9562),
	"ipv4":  openapi3.NewIPValidator(true),
	"ipv6":  openapi3.NewIPValidator(false),
}

// RequestFormatOption is RequestFormats as a kin-openapi schema validation option.
var RequestFormatOption = openapi3.WithStringFormatValidators(RequestFormats)
