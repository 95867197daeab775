// Package reports renders a report value (Report) and nothing else: the console summary
// (WriteSummary, CheckLine), JSON (WriteJSON) and JUnit XML (WriteJUnit). Output is deterministic
// for the same data: checks are sorted by flow, operation and ID; times are written in UTC.
// Golden files in testdata pin every format; `go test ./reports -update` rewrites them.
//
// The JSON report, schemaVersion 1 (fields may be added; none is renamed or removed without a new
// version):
//
//	{
//	  "schemaVersion": 1,
//	  "tool":   {"name": "authconform", "version": "1.2.3"},
//	  "spec":   {"name": "pixfile", "title": "...", "version": "...", "file": "bundled:pixfile.yaml",
//	             "sha256": "<hex SHA-256 of the spec file>"},
//	  "target": {"baseURL": "http://127.0.0.1:8080", "file": "examples/targets/pixfile.yaml"},
//	  "started": "<RFC 3339, UTC>", "finished": "<RFC 3339, UTC>",
//	  "labelFilter": "MUST",                       // only when one was given
//	  "checks": [{
//	    "id": "LOG-05",                            // requirement ID (suites/requirements.go)
//	    "level": "MUST",                           // MUST or SHOULD
//	    "flow": "login",                           // login, refresh, logout, apikey, resource
//	    "operation": "POST /api/v2/login",         // absent when the spec has no such flow
//	    "rule": "a wrong password is refused with the documented status and error body",
//	    "source": "the spec's login failures (badCredentials)",
//	    "status": "failed",                        // passed, failed or skipped
//	    "message": "rule: ...\nexpected ...\ngot: ..."  // failed: what was expected and what came back; skipped: why
//	  }]
//	}
//
// No secret from the target file and no token the target issued appears in a report: messages
// are redacted by the suites before they reach a Report.
package reports
