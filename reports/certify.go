package reports

import (
	"fmt"
	"slices"
)

// CertificationProblems lists why the report cannot be certified; none means it can. required
// is the requirement ID of every MUST check the suites register for the spec and the target's
// declared readings (runner.RequiredIDs): each must appear in the report as a MUST check, so a
// report from a run that left a rule out entirely is refused too.
//
// A report is refused when any MUST check
//   - failed;
//   - is missing input: the target file lacks an account, a probe or an expected value the check
//     needs (and the vendor documents what it would judge);
//   - did not run (not selected by the label filter, left after --fail-fast, the deadline, an
//     interrupt or a target that stopped answering);
//   - is absent from the report.
//
// A MUST check that is not applicable (the spec documents no such flow, the token is not a JWT,
// the target offers no clock control or follows another reading) does not stand in the way, nor
// does a warning. SHOULD checks never do: certification asks only for what the vendor documents
// and the readings the target declares.
func CertificationProblems(r *Report, required []string) []string {
	c := *r
	c.Checks = append([]Check(nil), r.Checks...)
	c.Sort()
	var out []string
	seen := map[string]bool{}
	for _, ch := range c.Checks {
		if ch.Level != MUST {
			continue
		}
		seen[ch.ID] = true
		where := ch.Flow
		if ch.Operation != "" {
			where += " " + ch.Operation
		}
		switch ch.Outcome() {
		case Failed:
			out = append(out, fmt.Sprintf("%s (MUST, %s) failed: %s", ch.ID, where, firstLine(ch.Message)))
		case MissingInput:
			out = append(out, fmt.Sprintf("%s (MUST, %s) is missing input: %s", ch.ID, where, firstLine(ch.Message)))
		case NotRun:
			out = append(out, fmt.Sprintf("%s (MUST, %s) did not run: %s", ch.ID, where, firstLine(ch.Message)))
		case Passed, Warning, NotApplicable:
		default:
			out = append(out, fmt.Sprintf("%s (MUST, %s) has the unknown status %q", ch.ID, where, ch.Status))
		}
	}
	req := slices.Clone(required)
	slices.Sort(req)
	for _, id := range slices.Compact(req) {
		if !seen[id] {
			out = append(out, fmt.Sprintf("%s (MUST) did not run: it is not in the report", id))
		}
	}
	return out
}
