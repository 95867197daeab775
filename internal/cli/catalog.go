package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/authconform/authconform/runner"
	"github.com/authconform/authconform/specs"
	"github.com/authconform/authconform/suites"
)

// The requirement catalog: suites.Requirements (the only place a rule is spelled) joined with
// what the suites register for each spec (runner.Plan, Ginkgo's dry run). docs/conformance.md is
// this catalog in Markdown; TestConformanceDoc fails when it is stale.

func newCatalogCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "catalog [NAME|FILE] [--output text|json|markdown]",
		Short: "Print the requirement catalog: every check's ID, level, flow, rule and source",
		Long: `Print every rule the conformance checks judge: its requirement ID (the label for
'authconform test --label-filter'), level (MUST fails the run, SHOULD warns), flow, the rule in one
sentence and where it comes from. The catalog is read from the suites themselves, so it cannot
drift from what 'authconform test' runs.

With a spec (bundled NAME or FILE), every rule is listed with the operations of that spec it runs
on, or "not applicable" when the spec documents no such flow (those checks skip as not
applicable and do not stand in the way of certification). A rule that applies may still skip at
run time when the target file lacks an input it needs.

--output markdown writes docs/conformance.md (without a spec); --output json is for tools.
(--format is the old name of --output; it still works, with a deprecation notice.)`,
		Example: `  authconform specs catalog
  authconform specs catalog pixfile
  authconform specs catalog pixfile -o json
  authconform specs catalog --output markdown > docs/conformance.md`,
		Args: cobra.MaximumNArgs(1),
	}
	output := addOutputFlag(cmd, "text for people, json for tools (one JSON value on stdout), markdown for docs/conformance.md", "markdown")
	deprecatedAlias(cmd, "format", "output")
	setExitCodes(cmd, exitCode{exitOK, "printed"},
		exitCode{exitUsage, "a usage error, or the spec cannot be loaded"})
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		var sp *specs.Spec
		if len(args) == 1 {
			s, err := specs.Load(args[0])
			if err != nil {
				return err
			}
			sp = s
		}
		switch output.value {
		case "text":
			return writeCatalogText(e.stdout, sp)
		case "json":
			return writeCatalogJSON(e.stdout, sp)
		case "markdown":
			if sp != nil {
				return usageError{fmt.Errorf("--output markdown writes the whole catalog; give no spec")}
			}
			return writeCatalogMarkdown(e.stdout)
		}
		return exitWith(exitInternal, "--output %q: no writer", output.value)
	}
	return cmd
}

// catalogEntry is one rule and, for a spec, where and on what authority it runs.
type catalogEntry struct {
	ID         string         `json:"id"`
	Level      string         `json:"level"` // where the rule's basis holds: documented MUST, practice SHOULD
	Basis      string         `json:"basis"`
	Flows      []string       `json:"flows"`
	Rule       string         `json:"rule"`
	Source     string         `json:"source"`
	Applies    *bool          `json:"applies,omitempty"`   // with a spec only
	Instances  []catalogCheck `json:"instances,omitempty"` // with a spec only
	Operations []string       `json:"operations,omitempty"`
}

// catalogCheck is one registered check of a rule on a spec: its operation (and variant), level
// and provenance.
type catalogCheck struct {
	Operation  string `json:"operation,omitempty"`
	Variant    string `json:"variant,omitempty"`
	Level      string `json:"level"`
	Provenance string `json:"provenance"`
	Quote      string `json:"quote,omitempty"`
}

// catalog builds the entries, in the catalog's order. Flows come from the plans of the bundled
// specs (a rule such as GEN-03 is checked in several flows); with sp, the instances from its plan
// (readings: the ones a target would declare; nil for none).
func catalog(sp *specs.Spec, readings map[string]string) ([]catalogEntry, error) {
	flows := map[string][]string{}
	all, err := specs.LoadAll()
	if err != nil {
		return nil, err
	}
	for _, s := range all {
		plan, err := runner.Plan(s, nil)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.Name, err)
		}
		for _, p := range plan {
			if !slices.Contains(flows[p.ID], p.Flow) {
				flows[p.ID] = append(flows[p.ID], p.Flow)
			}
		}
	}
	inst := map[string][]catalogCheck{}
	ops := map[string][]string{}
	if sp != nil {
		plan, err := runner.Plan(sp, readings)
		if err != nil {
			return nil, err
		}
		// In the spec's order of operations, whatever order Ginkgo ran them in.
		rank := map[string]int{}
		for i, op := range sp.Operations {
			rank[op.Key()] = i
		}
		slices.SortStableFunc(plan, func(a, b runner.Planned) int { return rank[a.Operation] - rank[b.Operation] })
		for _, p := range plan {
			if p.Operation == "" {
				continue
			}
			base := suites.Requirements[slices.IndexFunc(suites.Requirements, func(r suites.Requirement) bool { return r.ID == p.ID })]
			variant := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(p.Rule, base.Rule), " ("), ")")
			inst[p.ID] = append(inst[p.ID], catalogCheck{Operation: p.Operation, Variant: variant, Level: string(p.Level),
				Provenance: p.Provenance.String(), Quote: p.Provenance.Quote})
			if !slices.Contains(ops[p.ID], p.Operation) {
				ops[p.ID] = append(ops[p.ID], p.Operation)
			}
		}
	}
	var out []catalogEntry
	for _, r := range suites.Requirements {
		f := slices.Sorted(slices.Values(flows[r.ID]))
		if len(f) == 0 && r.Flow != "" {
			f = []string{r.Flow}
		}
		e := catalogEntry{ID: r.ID, Level: string(r.Level()), Basis: string(r.Basis), Flows: f, Rule: r.Rule, Source: r.Source}
		if sp != nil {
			applies := len(inst[r.ID]) > 0
			e.Applies, e.Instances, e.Operations = &applies, inst[r.ID], ops[r.ID]
		}
		out = append(out, e)
	}
	return out, nil
}

func writeCatalogText(w io.Writer, sp *specs.Spec) error {
	entries, err := catalog(sp, nil)
	if err != nil {
		return exitWith(exitInternal, "%v", err)
	}
	if sp != nil {
		n := 0
		for _, e := range entries {
			if *e.Applies {
				n++
			}
		}
		fmt.Fprintf(w, "Requirement catalog for %s (%s %s, sha256 %s): %d of %d rules apply\n", sp.Name, sp.Title, sp.Version, sp.SHA256, n, len(entries))
		fmt.Fprintf(w, "Levels are those of a target file that declares no reading; a declared reading makes its checks MUST.\n\n")
	} else {
		fmt.Fprintf(w, "Requirement catalog: %d rules. LEVEL is the rule's where the vendor documents it;\nour readings and practice are SHOULD (authconform specs catalog NAME shows each check's).\n\n", len(entries))
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tLEVEL\tFLOW\tRULE")
	for _, e := range entries {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", e.ID, e.Level, strings.Join(e.Flows, ", "), e.Rule)
		fmt.Fprintf(tw, "\t\t\tsource: %s (%s)\n", e.Source, e.Basis)
		if e.Applies == nil {
			continue
		}
		if !*e.Applies {
			fmt.Fprintf(tw, "\t\t\tnot applicable: %s documents no %s flow for it\n", sp.Name, strings.Join(e.Flows, " or "))
		}
		for _, c := range e.Instances {
			what := c.Operation
			if c.Variant != "" {
				what += " (" + c.Variant + ")"
			}
			fmt.Fprintf(tw, "\t\t\t%s on %s: %s\n", c.Level, what, c.Provenance)
		}
	}
	return tw.Flush()
}

func writeCatalogJSON(w io.Writer, sp *specs.Spec) error {
	entries, err := catalog(sp, nil)
	if err != nil {
		return exitWith(exitInternal, "%v", err)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(entries)
}

// writeCatalogMarkdown writes docs/conformance.md: the rules, what the levels, provenance and
// outcomes mean, how certification decides, the readings of the bundled specs, and where and at
// which level each rule runs in every bundled spec.
func writeCatalogMarkdown(w io.Writer) error {
	entries, err := catalog(nil, nil)
	if err != nil {
		return exitWith(exitInternal, "%v", err)
	}
	all, err := specs.LoadAll()
	if err != nil {
		return exitWith(exitInternal, "%v", err)
	}
	perSpec := map[string]map[string][]catalogCheck{} // spec -> ID -> instances
	for _, s := range all {
		entries, err := catalog(s, nil)
		if err != nil {
			return exitWith(exitInternal, "%v", err)
		}
		perSpec[s.Name] = map[string][]catalogCheck{}
		for _, e := range entries {
			perSpec[s.Name][e.ID] = e.Instances
		}
	}
	var b strings.Builder
	b.WriteString(strings.ReplaceAll(conformanceIntro, "`", "`"))
	for _, e := range entries {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", e.ID, e.Level, e.Basis, strings.Join(e.Flows, ", "), mdCell(e.Rule), mdCell(e.Source))
	}
	b.WriteString(strings.ReplaceAll(readingsIntro, "`", "`"))
	for _, s := range all {
		for _, d := range s.Decisions {
			if len(d.Readings) == 0 {
				continue
			}
			var choices []string
			for i, rd := range d.Readings {
				c := "`" + rd.Choice + "`: " + rd.Means
				if i == 0 {
					c += " (the document as written; the mock's)"
				}
				choices = append(choices, c)
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", s.Name, d.ID, mdCell(d.Problem), mdCell(strings.ReplaceAll(strings.Join(choices, "; "), "`", "`")))
		}
	}
	b.WriteString("\n## Where each rule runs in the bundled specs, and at which level\n\n")
	b.WriteString("The operations each rule's checks run on, with the level of each check for a target file that\ndeclares no reading (S: SHOULD, our reading or practice; M: MUST); \"n/a\": the spec documents no\nsuch flow, so the check is not applicable. `authconform specs catalog NAME` adds each check's\nprovenance: the spec location and the vendor's words, or the decision.\n\n")
	b.WriteString("| ID |")
	for _, s := range all {
		fmt.Fprintf(&b, " %s |", s.Name)
	}
	b.WriteString("\n| --- |")
	for range all {
		b.WriteString(" --- |")
	}
	b.WriteString("\n")
	for _, e := range entries {
		fmt.Fprintf(&b, "| %s |", e.ID)
		for _, s := range all {
			var cells []string
			for _, c := range perSpec[s.Name][e.ID] {
				cell := fmt.Sprintf("%s (%s)", c.Operation, c.Level[:1])
				if c.Variant != "" {
					cell = fmt.Sprintf("%s, %s (%s)", c.Operation, c.Variant, c.Level[:1])
				}
				if !slices.Contains(cells, cell) {
					cells = append(cells, cell)
				}
			}
			cell := "n/a"
			if len(cells) > 0 {
				cell = mdCell(strings.Join(cells, "; "))
			}
			fmt.Fprintf(&b, " %s |", cell)
		}
		b.WriteString("\n")
	}
	_, err = io.WriteString(w, b.String())
	return err
}

const conformanceIntro = `# Conformance requirements

<!-- Generated from suites/requirements.go, suites/provenance.go and the suites' registered checks
     by §authconform specs catalog --output markdown§. Do not edit by hand: run
     §go test ./internal/cli -run TestConformanceDoc -update§ after changing a rule. -->

Every check §authconform test§ runs judges one rule below. A rule has a stable **ID** (a rule
may be reworded, never renumbered), a **level**, and a **provenance**: where its expectation comes
from. IDs, levels and flows are also the labels of §--label-filter§, e.g.
§--label-filter "MUST && !apikey"§. §authconform specs catalog NAME§ prints the catalog for one
spec, with the level and provenance of every check.

## Levels and provenance

A check may fail a target only for what the vendor's document states, what the target file
states, or a reading of a gap the target file declares. A red result is one a vendor cannot argue
with.

| provenance | what it means | level |
| --- | --- | --- |
| documented | the vendor's document states it (the report cites the spec location and quotes the vendor), or implies it: an operation that requires a credential refuses a forged, tampered, unsigned, expired or revoked one; a request the operation does not accept is refused with a 4xx (or a documented error status) and changes nothing | MUST |
| target | the target file states it (§expect:§ lifetimes) | MUST |
| reading | one of our decisions where the document is silent or contradicts itself (the bundled spec's §x-authconform.decisions§) | SHOULD, or MUST when the target file declares the reading |
| practice | an RFC, OWASP or similar rule the vendor did not state | SHOULD |

- **MUST**: a failure fails the run (exit 1) and forbids certification.
- **SHOULD**: a failure is a warning; the run still passes.

A refusal whose status is our reading is judged in two parts: that the request is refused at all
(a 4xx or a documented error status) is a MUST; that it gets exactly the status our reading names
is a SHOULD, reported as a warning on the check, unless the target declares that reading.

Each check in a report has one outcome, written the same way in the console, JSON, JUnit and
HTML:

| outcome | meaning |
| --- | --- |
| passed | the target did what the rule says |
| failed | a MUST expectation did not hold; the message says what was expected and what came, with the URL |
| warning | only SHOULD expectations did not hold: a SHOULD check failed, or a MUST check's exact status differs from our reading |
| not applicable | the rule has nothing to judge here: the spec documents no such flow, the token is not a JWT, the target offers no clock control, or the target follows another reading of the gap (observed) |
| missing input | the target file lacks what the check needs: an account of some role, a probe operation, an expected lifetime |
| not run | the run did not reach it: not selected by §--label-filter§, left after §--fail-fast§, cut off by §--deadline§ or an interrupt, or the target stopped answering |

JUnit writes a §<failure>§ for failed checks only; a warning goes to the test case's
§<system-out>§ and its §authconform.outcome§ property, so a CI server stays green on a passing run.

## Certification

§authconform test --certify --sign-key KEY --json FILE§ signs the JSON report only when every
MUST check the suites register for the spec (and the readings the target declares) is in the
report, and none failed, is missing input or did not run. It refuses, with exit code 1 and the
list of reasons, otherwise (a label filter and §--fail-fast§ both leave checks not run, so a
certification run uses neither). SHOULD checks and warnings never stand in the way; they are in
the signed report for the reader to weigh. Certification asks only for what the vendor documents:
a role the vendor never documents (an account whose password expired, where the vendor names no
password expiry) is not required.

## Rules

LEVEL is the rule's level where its basis holds; a check of a documented rule whose expectation is,
on some spec, our reading is a SHOULD there (see the last table).

| ID | level | basis | flow | rule | source |
| --- | --- | --- | --- | --- | --- |
`

const readingsIntro = `
## Readings

Where a vendor's document leaves a gap a conforming server may fill in more than one way, the
bundled spec lists the readings (§x-authconform.decisions[].readings§). A target file may declare
the one it follows; the checks that depend on it are then MUST:

§§§yaml
readings:
  precrime-authorization: bare        # Authorization carries the raw JWT
  efalia-refresh-rotation: refused    # a used refresh token is refused
§§§

Without a declaration the suites find out which reading the target follows where a request can
tell (a bearer token tried with and without §Bearer §, a refresh token used twice, a refresh after
logout, an auth header on the operations that may refuse it), use it for the rest of the run, and
print it in every output (§observed: precrime-authorization = bare§). A reading the document
allows never fails a MUST. §authconform serve --reading DECISION=CHOICE§ makes the mock follow
another reading.

| spec | decision | the gap | readings |
| --- | --- | --- | --- |
`

func mdCell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}
