// Package reports renders a report value (Report) and nothing else: the console summary
// (WriteSummary, CheckLine), JSON (WriteJSON, read back by ReadJSON), JUnit XML (WriteJUnit), a
// self-contained HTML page (WriteHTML) and the signed report of a certification (Sign,
// WriteSigned, Verify). Output is deterministic for the same data: checks are sorted by flow,
// operation, ID and rule; times are written in UTC. Golden files in testdata pin every format;
// `go test ./reports -update` rewrites them.
//
// # The JSON report
//
// schemaVersion 2. reports/schema.json is its JSON Schema (draft 2020-12, embedded in the binary:
// SchemaJSON); ReadJSON and ValidateJSON check a document against it, and the tests validate
// every report they write. Fields may be added within a version; renaming or removing one, or a
// new value of an enumerated field, makes a new version. Version 2 added the status "not-run",
// skipKind and signature; a version 1 report still reads.
//
//	{
//	  "schemaVersion": 2,
//	  "tool":   {"name": "authconform", "version": "1.2.3"},
//	  "spec":   {"name": "...", "title": "...", "version": "...", "file": "bundled:NAME.yaml",
//	             "sha256": "<hex SHA-256 of the spec file>"},
//	  "target": {"baseURL": "http://127.0.0.1:8080", "file": "examples/targets/NAME.yaml"},
//	  "started": "<RFC 3339, UTC>", "finished": "<RFC 3339, UTC>",
//	  "labelFilter": "MUST",                       // only when one was given
//	  "checks": [{
//	    "id": "LOG-05",                            // requirement ID (docs/conformance.md)
//	    "level": "MUST",                           // MUST or SHOULD
//	    "flow": "login",                           // login, refresh, logout, apikey, resource
//	    "operation": "POST /api/v2/login",         // absent when the spec has no such flow
//	    "rule": "a wrong password is refused with the documented status and error body",
//	    "source": "the spec's login failures (badCredentials)",
//	    "status": "failed",                        // passed, failed, skipped or not-run
//	    "message": "rule: ...\nexpected ...\ngot: ...", // failed: expected and got; skipped, not-run: why
//	    "skipKind": "missingInput",                // skipped only: notApplicable or missingInput
//	    "lifetime": {                              // token-lifetime checks only
//	      "token": "access", "expectedSeconds": 86400, "observedSeconds": 86400,
//	      "toleranceSeconds": 60, "source": "...", "measuredFrom": "iat"   // or "the Date header"
//	    }
//	  }],
//	  "signature": {                               // certified reports only; always the last member
//	    "alg": "EdDSA", "keyId": "<Fingerprint of the public key>", "jws": "<compact JWS>"
//	  }
//	}
//
// A check that a label filter left out, or that --fail-fast or a suite timeout kept from running,
// is listed with status "not-run": the report names every check the suites registered for the
// spec, so a reader (and a certification) sees what was not judged.
//
// # Certification and the signature
//
// CertificationProblems decides: a report is certified only when every MUST requirement of the
// catalog is in it and each of its checks passed or was skipped as notApplicable. The canonical
// form of a report is WriteJSON's bytes without the signature (see Signature); the JWS (golang-jwt,
// EdDSA over Ed25519) signs a payload holding the canonical form's SHA-256 and the canonical
// report, so Verify can name each field that changed after signing. A signed file must equal,
// byte for byte, WriteJSON's output for its own content: any edited byte is detected.
//
// # Secrets
//
// No secret from the target file and no token the target issued appears in a report: messages
// are redacted by the suites before they reach a Report, and the renderers add nothing but the
// report's own fields.
package reports
