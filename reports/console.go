package reports

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// CheckLine is the one-line progress form of a check: verdict, ID, level, flow, operation, rule.
// For a failed or skipped check the first line of its message follows on an indented line.
func CheckLine(c Check) string {
	verdict := map[Status]string{Passed: "PASS", Failed: "FAIL", Skipped: "SKIP", NotRun: "NRUN"}[c.Status]
	if c.Status == Failed && c.Level == SHOULD {
		verdict = "WARN"
	}
	line := fmt.Sprintf("%-4s %s", verdict, c.Name())
	if c.Status != Passed && c.Message != "" {
		line += "\n       " + strings.ReplaceAll(firstLine(c.Message), "\t", " ")
	}
	return line
}

// WriteSummary writes the console summary: a table of passed, failed, skipped and not-run checks
// per flow and level, the failed checks with their messages, and the verdict.
func WriteSummary(w io.Writer, r *Report) error {
	c := *r
	c.Checks = append([]Check(nil), r.Checks...)
	c.Sort()
	var b strings.Builder
	fmt.Fprintf(&b, "\nauthconform %s: spec %s (sha256 %s) against %s\n\n", c.Tool.Version, c.Spec.Name, short(c.Spec.SHA256), c.Target.BaseURL)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "flow\tlevel\tpassed\tfailed\tskipped\tnot run\t")
	for _, fc := range c.ByFlow() {
		for _, lv := range []struct {
			level Level
			n     Counts
		}{{MUST, fc.MUST}, {SHOULD, fc.SHOULD}} {
			if lv.n.Total() == 0 {
				continue
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t\n", fc.Flow, lv.level, lv.n.Passed, lv.n.Failed, lv.n.Skipped, lv.n.NotRun)
		}
	}
	must, should := c.Totals()
	fmt.Fprintf(tw, "total\tMUST\t%d\t%d\t%d\t%d\t\n", must.Passed, must.Failed, must.Skipped, must.NotRun)
	fmt.Fprintf(tw, "total\tSHOULD\t%d\t%d\t%d\t%d\t\n", should.Passed, should.Failed, should.Skipped, should.NotRun)
	tw.Flush()
	var failed []Check
	for _, ch := range c.Checks {
		if ch.Status == Failed {
			failed = append(failed, ch)
		}
	}
	if len(failed) > 0 {
		b.WriteString("\nFailed checks:\n")
		for _, ch := range failed {
			fmt.Fprintf(&b, "  %s\n", ch.Name())
			for _, l := range strings.Split(strings.TrimRight(ch.Message, "\n"), "\n") {
				fmt.Fprintf(&b, "      %s\n", l)
			}
		}
	}
	var missing []Check
	for _, ch := range c.Checks {
		if ch.Status == Skipped && ch.SkipKind != NotApplicable {
			missing = append(missing, ch)
		}
	}
	if len(missing) > 0 {
		b.WriteString("\nSkipped for a missing input (the target file can supply it):\n")
		for _, ch := range missing {
			fmt.Fprintf(&b, "  [%s] %s %s: %s\n", ch.ID, ch.Level, strings.TrimSpace(ch.Flow+" "+ch.Operation), firstLine(ch.Message))
		}
	}
	if n := must.NotRun + should.NotRun; n > 0 {
		fmt.Fprintf(&b, "\nNot run: %d checks (%d MUST)", n, must.NotRun)
		if c.LabelFilter != "" {
			fmt.Fprintf(&b, "; --label-filter %q selected the others", c.LabelFilter)
		}
		b.WriteString("\n")
	}
	if c.Passed() && must.NotRun > 0 {
		fmt.Fprintf(&b, "\nVerdict: PASS (%d MUST checks passed, %d skipped, %d did not run; %d SHOULD warnings)\n", must.Passed, must.Skipped, must.NotRun, should.Failed)
	} else if c.Passed() {
		fmt.Fprintf(&b, "\nVerdict: PASS (%d MUST checks passed, %d skipped; %d SHOULD warnings)\n", must.Passed, must.Skipped, should.Failed)
	} else {
		fmt.Fprintf(&b, "\nVerdict: FAIL (%d of %d MUST checks that ran failed)\n", must.Failed, must.Passed+must.Failed)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func short(sum string) string {
	if len(sum) > 12 {
		return sum[:12]
	}
	return sum
}
