package main

// knownSurvivors are defect/spec pairs the suites cannot catch yet, and variant/spec pairs the
// suites wrongly fail, each with the reason: a weakness of the suites (or of a spec) written down
// rather than hidden. They do not fail the gate; an entry that stops being true does, so the list
// stays true.
var knownSurvivors = map[string]string{
	// The error schema of these documents ({message}) marks no member required, so a generic
	// {"error": ..., "status": ...} body validates; the suites judge a refusal's body only
	// against that schema. Closing it needs a check that the body carries the members of the
	// spec's x-authconform error body (a suites change, issue 5's report).
	"error-body-generic/elyssa":   weakErrorSchema,
	"error-body-generic/pixfile":  weakErrorSchema,
	"error-body-generic/precrime": weakErrorSchema,

	// No check sends an access token in the query string of a protected call; RFC 6750 5.3 says
	// it SHOULD NOT be accepted there. A SHOULD check like LOG-11, for protected calls, closes it.
	"token-in-query-accepted/efalia":   noQueryTokenCheck,
	"token-in-query-accepted/elyssa":   noQueryTokenCheck,
	"token-in-query-accepted/pixfile":  noQueryTokenCheck,
	"token-in-query-accepted/precrime": noQueryTokenCheck,

	// LIF-08 and LIF-11 expect a refusal 2 minutes after exp; JWT libraries commonly judge exp
	// with 5 minutes of clock-skew leeway (ASP.NET's JwtBearer ClockSkew default, for one), which
	// RFC 7519 4.1.4 allows ("usually no more than a few minutes"). Decide: widen the margin to
	// past 5 minutes, or state the leeway as a rule and keep the variant as a defect.
	"expiry-leeway-5m/efalia":   leewayMargin,
	"expiry-leeway-5m/elyssa":   leewayMargin,
	"expiry-leeway-5m/pixfile":  leewayMargin,
	"expiry-leeway-5m/precrime": leewayMargin,
}

const noQueryTokenCheck = "no check offers a protected call its access token in the query string"

const leewayMargin = "LIF-08/LIF-11 refuse a 5-minute clock-skew leeway (the suites probe 2 minutes after exp)"

const weakErrorSchema = "the error schema requires no member, so any JSON object conforms"
