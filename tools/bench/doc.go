// Command bench is the load comparison behind `make bench`: it starts `authconform serve` and a
// bare net/http server that answers the very same bytes, drives both with the same closed-loop load
// on loopback, interleaved A/B over several rounds, and prints req/s, p50, p99, RSS and the ratio to
// bare for each flow, plus the mock's cold start and its memory after many live sessions. It then
// times a full conformance run (`authconform test` for all four specs against the mock, conform.go),
// soaks a steady population of login/refresh/logout cycles while the mock's clock moves and judges
// RSS growth (soak.go), optionally runs Stoplight Prism beside the mock on the login flow
// (prism.go), and ends with a verdict per target of issue 9 (targets.go).
//
// The bare server is this same program started with -bare: it answers each path with a response
// captured from the mock (status, headers, body) and does nothing else. Everything listens on
// 127.0.0.1 and every phase is bounded in time.
//
// It lives in the tools module (tools/go.mod), so that `go install ./...` at the repository root
// builds authconform alone; make builds it as bin/bench and runs it from the root, where its
// default paths (bin/authconform, examples/targets, specs/pixfile.yaml) are.
package main
