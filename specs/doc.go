// Package specs holds the bundled vendor documents and turns any OpenAPI 3 document that carries
// our x-authconform extensions into a typed, validated model.
//
// Load reads, resolves and validates a document with kin-openapi, then decodes every extension
// strictly (unknown fields are errors) into Spec. This package is the only place in the module that
// reads an Extensions map; the mock, the suites and the reports see only the typed model. It imports
// no other package of ours.
//
// Every error names the file, the location inside it ("paths./auth/token.post.x-authconform-flow")
// and the problem in words a spec author understands. See docs/spec-extensions.md for the vocabulary.
package specs
