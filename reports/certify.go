package reports

import (
	"fmt"
	"slices"
)

// CertificationProblems lists why the report cannot be certified; none means it can. required
// is every MUST requirement ID of the catalog (suites.Requirements): each must appear in the
// report, so a report from a run that left a rule out entirely is refused too.
//
// A report is refused when any MUST check
//   - failed;
//   - was skipped for a missing input (skipKind missingInput, or no skipKind): the target file
//     lacks an account, a probe or an expected value the check needs;
//   - did not run (status not-run: not selected by the label filter, or left after --fail-fast);
//   - is absent from the report.
//
// A MUST check skipped as notApplicable (the spec documents no such flow, the token is not a
// JWT, the target offers no clock control) does not stand in the way. SHOULD checks never do.
func CertificationProblems(r *Report, required []string) []string {
	c := *r
	c.Checks = append([]Check(nil), r.Checks...)
	c.Sort()
	var out []string
	seen := map[string]bool{}
	for _, ch := range c.Checks {
		seen[ch.ID] = true
		if ch.Level != MUST {
			continue
		}
		where := ch.Flow
		if ch.Operation != "" {
			where += " " + ch.Operation
		}
		switch ch.Status {
		case Failed:
			out = append(out, fmt.Sprintf("%s (MUST, %s) failed: %s", ch.ID, where, firstLine(ch.Message)))
		case Skipped:
			if ch.SkipKind != NotApplicable {
				out = append(out, fmt.Sprintf("%s (MUST, %s) was skipped for a missing input: %s", ch.ID, where, firstLine(ch.Message)))
			}
		case NotRun:
			out = append(out, fmt.Sprintf("%s (MUST, %s) did not run: %s", ch.ID, where, firstLine(ch.Message)))
		case Passed:
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
