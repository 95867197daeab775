package reports

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// CheckLine is the one-line progress form of a check: outcome, ID, level, flow, operation, rule.
// For a check that did not pass, the first line of its message (what was expected and what came,
// or why it did not apply) follows on an indented line.
func CheckLine(c Check) string {
	line := fmt.Sprintf("%-14s %s", Word(c.Outcome()), c.Name())
	if c.Outcome() != Passed && c.Message != "" {
		line += "\n               " + strings.ReplaceAll(firstLine(c.Message), "\t", " ")
	}
	return line
}

// Word is how the console and JUnit write an outcome: the JSON status in capitals.
func Word(s Status) string { return strings.ToUpper(string(s)) }

// WriteSummary writes the console summary: a table of outcomes per flow and level, the readings
// the run used, the failed checks and warnings with their messages, the checks missing input,
// and the verdict.
func WriteSummary(w io.Writer, r *Report) error {
	c := *r
	c.Checks = append([]Check(nil), r.Checks...)
	c.Sort()
	var b strings.Builder
	fmt.Fprintf(&b, "\nauthconform %s: spec %s (sha256 %s) against %s\n\n", c.Tool.Version, c.Spec.Name, short(c.Spec.SHA256), c.Target.BaseURL)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprint(tw, "flow\tlevel")
	for _, st := range Statuses {
		fmt.Fprintf(tw, "\t%s", strings.ReplaceAll(string(st), "-", " "))
	}
	fmt.Fprintln(tw, "\t")
	row := func(flow string, level Level, n Counts) {
		fmt.Fprintf(tw, "%s\t%s", flow, level)
		for _, st := range Statuses {
			fmt.Fprintf(tw, "\t%d", n.Of(st))
		}
		fmt.Fprintln(tw, "\t")
	}
	for _, fc := range c.ByFlow() {
		for _, lv := range []struct {
			level Level
			n     Counts
		}{{MUST, fc.MUST}, {SHOULD, fc.SHOULD}} {
			if lv.n.Total() > 0 {
				row(fc.Flow, lv.level, lv.n)
			}
		}
	}
	must, should := c.Totals()
	row("total", MUST, must)
	row("total", SHOULD, should)
	tw.Flush()
	if len(c.Readings) > 0 {
		b.WriteString("\nReadings of the spec's gaps (docs/conformance.md, \"Readings\"):\n")
		for _, rd := range c.Readings {
			fmt.Fprintf(&b, "  %s: %s = %s", rd.How, rd.Decision, rd.Choice)
			if rd.Means != "" {
				fmt.Fprintf(&b, " (%s)", rd.Means)
			}
			b.WriteString("\n")
		}
	}
	section := func(title string, want Status) {
		first := true
		for _, ch := range c.Checks {
			if ch.Outcome() != want {
				continue
			}
			if first {
				b.WriteString("\n" + title + "\n")
				first = false
			}
			fmt.Fprintf(&b, "  %s\n", ch.Name())
			if p := ch.Provenance.String(); p != "" {
				fmt.Fprintf(&b, "      source: %s\n", p)
			}
			for _, l := range strings.Split(strings.TrimRight(ch.Message, "\n"), "\n") {
				fmt.Fprintf(&b, "      %s\n", l)
			}
		}
	}
	section("Failed checks:", Failed)
	section("Warnings (SHOULD: our readings and practice, never a failure):", Warning)
	first := true
	for _, ch := range c.Checks {
		if ch.Outcome() != MissingInput {
			continue
		}
		if first {
			b.WriteString("\nMissing input (the target file can supply it):\n")
			first = false
		}
		fmt.Fprintf(&b, "  [%s] %s %s: %s\n", ch.ID, ch.Level, strings.TrimSpace(ch.Flow+" "+ch.Operation), firstLine(ch.Message))
	}
	if n := must.NotRun + should.NotRun; n > 0 {
		fmt.Fprintf(&b, "\nNot run: %d checks (%d MUST)", n, must.NotRun)
		switch {
		case c.Interrupted != "":
			fmt.Fprintf(&b, "; %s", c.Interrupted)
		case c.LabelFilter != "":
			fmt.Fprintf(&b, "; --label-filter %q selected the others", c.LabelFilter)
		}
		b.WriteString("\n")
	}
	verdict := "PASS"
	if !c.Passed() {
		verdict = "FAIL"
	}
	fmt.Fprintf(&b, "\nVerdict: %s (MUST: %d passed, %d failed, %d not applicable, %d missing input, %d not run; %d warnings)\n",
		verdict, must.Passed+must.Warning, must.Failed, must.NotApplicable, must.MissingInput, must.NotRun, must.Warning+should.Warning)
	if c.Interrupted != "" {
		fmt.Fprintf(&b, "The run was cut short, so it cannot pass: %s.\n", c.Interrupted)
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
