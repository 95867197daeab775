// Package reports renders a report value (Report) and nothing else: the console summary
// (WriteSummary, CheckLine), JSON (WriteJSON, read back by ReadJSON), JUnit XML (WriteJUnit), a
// self-contained HTML page (WriteHTML) and the signed report of a certification (Sign,
// WriteSigned, Verify). Output is deterministic for the same data: checks are sorted by flow,
// operation, ID and rule; times are written in UTC. Golden files in testdata pin every format;
// `go test ./reports -update` rewrites them.
//
// # The JSON report
//
// schemaVersion 3. reports/schema.json is its JSON Schema (draft 2020-12, embedded in the binary:
// SchemaJSON); ReadJSON and ValidateJSON check a document against it, and the tests validate
// every report they write. Fields may be added within a version; renaming or removing one, or a
// new value of an enumerated field, makes a new version. Version 2 added the status "not-run",
// skipKind and signature; version 3 gave every outcome one word (status warning, not-applicable
// and missing-input in place of a failed SHOULD check and skipKind) and added provenance,
// readings and interrupted. Reports of versions 1 and 2 still read, render and verify
// (Check.Outcome maps their statuses).
//
//	{
//	  "schemaVersion": 3,
//	  "tool":   {"name": "authconform", "version": "1.2.3"},
//	  "spec":   {"name": "...", "title": "...", "version": "...", "file": "bundled:NAME.yaml",
//	             "sha256": "<hex SHA-256 of the spec file>"},
//	  "target": {"baseURL": "http://127.0.0.1:8080", "file": "examples/targets/NAME.yaml"},
//	  "started": "<RFC 3339, UTC>", "finished": "<RFC 3339, UTC>",
//	  "labelFilter": "MUST",                       // only when one was given
//	  "readings": [{                               // the readings of the spec's gaps the run used
//	    "decision": "acme-authorization",          // a decision of the spec with readings
//	    "choice": "bare",                          // the reading
//	    "how": "observed",                         // declared (target file) or observed (found out)
//	    "means": "Authorization: <jwt> ..."        // the reading in a sentence
//	  }],
//	  "interrupted": "the target stopped answering", // only when the run ended early
//	  "checks": [{
//	    "id": "LOG-05",                            // requirement ID (docs/conformance.md)
//	    "level": "MUST",                           // MUST or SHOULD, of this instance
//	    "flow": "login",                           // login, refresh, logout, apikey, resource
//	    "operation": "POST /api/v2/login",         // absent when the spec has no such flow
//	    "rule": "a wrong password is refused, with the documented status and error body",
//	    "source": "the spec's login failures (badCredentials)",
//	    "provenance": {                            // where the expectation comes from
//	      "basis": "documented",                   // documented, reading, practice or target
//	      "cite": "paths./user/login.post.responses.401 (badCredentials)",
//	      "quote": "Incorrect credentials",        // the vendor's words, for documented
//	      "decision": "...",                       // a reading's decision
//	      "declared": true                         // the target file declares that reading
//	    },
//	    "status": "failed",                        // passed, failed, warning, not-applicable,
//	                                               // missing-input or not-run
//	    "message": "expected ...; got ...\nrule: ...", // what was expected and what came; or why
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
// A version 1 or 2 check may carry "skipKind" (notApplicable or missingInput) with status
// "skipped".
//
// A check that a label filter left out, or that --fail-fast or a suite timeout kept from running,
// is listed with status "not-run": the report names every check the suites registered for the
// spec, so a reader (and a certification) sees what was not judged.
//
// # Certification and the signature
//
// CertificationProblems decides: a report is certified only when every MUST check the suites
// register for the spec (and the target's declared readings) is in it, and none failed, is
// missing input or did not run. The canonical
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
