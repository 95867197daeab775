// Command bench is the load comparison behind `make bench`: it starts `authconform serve` and a
// bare net/http server that answers the very same bytes, drives both with the same closed-loop load
// on loopback, interleaved A/B over several rounds, and prints req/s, p50, p99, RSS and the ratio to
// bare for each flow, plus the mock's cold start and its memory after many live sessions.
//
// The bare server is this same program started with -bare: it answers each path with a response
// captured from the mock (status, headers, body), and it can sign an HS256 JWT per request to show
// the cost of signing alone. Everything listens on 127.0.0.1 and every phase is bounded in time.
package main
