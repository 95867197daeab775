//go:build !indep_strict

package runner

// indepStrict is false until issue 13 lands: today's suites fail servers that follow the other
// reading of a documentation gap, so TestIndepCorrectServersPassEveryMUST only logs their failed
// MUST checks, and bugs in such configurations are logged when the reading's failures hide them.
// Run `go test -tags indep_strict -run Indep ./runner/` to see the enforced outcome.
const indepStrict = false
