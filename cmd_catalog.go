package main

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
	var format string
	cmd := &cobra.Command{
		Use:   "catalog [NAME|FILE] [--format text|markdown|json]",
		Short: "Print the requirement catalog: every check's ID, level, flow, rule and source",
		Long: `Print every rule the conformance checks judge: its requirement ID (the label for
'authconform test --label-filter'), level (MUST fails the run, SHOULD warns), flow, the rule in one
sentence and where it comes from. The catalog is read from the suites themselves, so it cannot
drift from what 'authconform test' runs.

With a spec (bundled NAME or FILE), every rule is listed with the operations of that spec it runs
on, or "not applicable" when the spec documents no such flow (those checks skip as not
applicable and do not stand in the way of certification). A rule that applies may still skip at
run time when the target file lacks an input it needs.

--format markdown writes docs/conformance.md (without a spec); --format json is for tools.`,
		Example: `  authconform specs catalog
  authconform specs catalog pixfile
  authconform specs catalog --format markdown > docs/conformance.md`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var sp *specs.Spec
			if len(args) == 1 {
				s, err := specs.Load(args[0])
				if err != nil {
					return err
				}
				sp = s
			}
			switch format {
			case "text":
				return writeCatalogText(e.stdout, sp)
			case "json":
				return writeCatalogJSON(e.stdout, sp)
			case "markdown":
				if sp != nil {
					return usageError{fmt.Errorf("--format markdown writes the whole catalog; give no spec")}
				}
				return writeCatalogMarkdown(e.stdout)
			}
			return usageError{fmt.Errorf("--format %q: want text, markdown or json", format)}
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "text, markdown or json")
	return cmd
}

// catalogEntry is one rule and, for a spec, the operations it runs on.
type catalogEntry struct {
	ID         string   `json:"id"`
	Level      string   `json:"level"`
	Flows      []string `json:"flows"`
	Rule       string   `json:"rule"`
	Source     string   `json:"source"`
	Applies    *bool    `json:"applies,omitempty"`    // with a spec only
	Operations []string `json:"operations,omitempty"` // with a spec only
}

// catalog builds the entries, in the catalog's order. Flows come from the plans of the bundled
// specs (a rule such as GEN-03 is checked in several flows); with sp, operations from its plan.
func catalog(sp *specs.Spec) ([]catalogEntry, error) {
	flows := map[string][]string{}
	all, err := specs.LoadAll()
	if err != nil {
		return nil, err
	}
	for _, s := range all {
		plan, err := runner.Plan(s)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.Name, err)
		}
		for _, p := range plan {
			if !slices.Contains(flows[p.ID], p.Flow) {
				flows[p.ID] = append(flows[p.ID], p.Flow)
			}
		}
	}
	ops := map[string][]string{}
	if sp != nil {
		plan, err := runner.Plan(sp)
		if err != nil {
			return nil, err
		}
		for _, p := range plan {
			if p.Operation != "" && !slices.Contains(ops[p.ID], p.Operation) {
				ops[p.ID] = append(ops[p.ID], p.Operation)
			}
		}
		// In the spec's order of operations, whatever order Ginkgo ran them in.
		rank := map[string]int{}
		for i, op := range sp.Operations {
			rank[op.Key()] = i
		}
		for _, list := range ops {
			slices.SortStableFunc(list, func(a, b string) int { return rank[a] - rank[b] })
		}
	}
	var out []catalogEntry
	for _, r := range suites.Requirements {
		f := slices.Sorted(slices.Values(flows[r.ID]))
		if len(f) == 0 && r.Flow != "" {
			f = []string{r.Flow}
		}
		e := catalogEntry{ID: r.ID, Level: string(r.Level), Flows: f, Rule: r.Rule, Source: r.Source}
		if sp != nil {
			applies := len(ops[r.ID]) > 0
			e.Applies, e.Operations = &applies, ops[r.ID]
		}
		out = append(out, e)
	}
	return out, nil
}

func writeCatalogText(w io.Writer, sp *specs.Spec) error {
	entries, err := catalog(sp)
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
		fmt.Fprintf(w, "Requirement catalog for %s (%s %s, sha256 %s): %d of %d rules apply\n\n", sp.Name, sp.Title, sp.Version, sp.SHA256, n, len(entries))
	} else {
		fmt.Fprintf(w, "Requirement catalog: %d rules\n\n", len(entries))
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tLEVEL\tFLOW\tRULE")
	for _, e := range entries {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", e.ID, e.Level, strings.Join(e.Flows, ", "), e.Rule)
		fmt.Fprintf(tw, "\t\t\tsource: %s\n", e.Source)
		if e.Applies != nil {
			if *e.Applies {
				fmt.Fprintf(tw, "\t\t\truns on: %s\n", strings.Join(e.Operations, ", "))
			} else {
				fmt.Fprintf(tw, "\t\t\tnot applicable: %s documents no %s flow for it\n", sp.Name, strings.Join(e.Flows, " or "))
			}
		}
	}
	return tw.Flush()
}

func writeCatalogJSON(w io.Writer, sp *specs.Spec) error {
	entries, err := catalog(sp)
	if err != nil {
		return exitWith(exitInternal, "%v", err)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(entries)
}

// writeCatalogMarkdown writes docs/conformance.md: the rules, what the levels and statuses mean,
// how certification decides, and where each rule applies in every bundled spec.
func writeCatalogMarkdown(w io.Writer) error {
	entries, err := catalog(nil)
	if err != nil {
		return exitWith(exitInternal, "%v", err)
	}
	all, err := specs.LoadAll()
	if err != nil {
		return exitWith(exitInternal, "%v", err)
	}
	perSpec := map[string]map[string][]string{} // spec -> ID -> operations
	for _, s := range all {
		entries, err := catalog(s)
		if err != nil {
			return exitWith(exitInternal, "%v", err)
		}
		perSpec[s.Name] = map[string][]string{}
		for _, e := range entries {
			perSpec[s.Name][e.ID] = e.Operations
		}
	}
	var b strings.Builder
	b.WriteString(strings.ReplaceAll(`# Conformance requirements

<!-- Generated from suites/requirements.go and the suites' registered checks by
     §authconform specs catalog --format markdown§. Do not edit by hand: run
     §go test . -run TestConformanceDoc -update§ after changing a rule. -->

Every check §authconform test§ runs judges one rule below. A rule has a stable **ID** (a rule
may be reworded, never renumbered), a **level** and a **source**: the vendor's document (through
the bundled spec) or the RFC or OWASP section it comes from. IDs, levels and flows are also the
labels of §--label-filter§, e.g. §--label-filter "MUST && !apikey"§.
§authconform specs catalog NAME§ prints the same catalog for one spec.

- **MUST**: a failure fails the run (exit 1) and forbids certification.
- **SHOULD**: a failure is a warning; the run still passes.

Each check in a report has one status:

| status | meaning |
| --- | --- |
| passed | the target did what the rule says |
| failed | it did not; the message quotes the rule, what was expected and what came back |
| skipped (notApplicable) | the rule has nothing to judge here: the spec documents no such flow, the token is not a JWT, the target offers no clock control |
| skipped (missingInput) | the target file lacks what the check needs: an account of some role, a probe operation, an expected lifetime |
| not-run | the run did not reach it: not selected by §--label-filter§, or left after §--fail-fast§ stopped the run |

## Certification

§authconform test --certify --sign-key KEY --json FILE§ signs the JSON report only when every
MUST rule of this catalog is in the report and each of its checks passed or was skipped as not
applicable. It refuses, with exit code 1 and the list of reasons, when any MUST check failed, was
skipped for a missing input, or did not run (a label filter and §--fail-fast§ both leave checks
not run, so a certification run uses neither). SHOULD checks never stand in the way; their
warnings are in the signed report for the reader to weigh.

## Rules

| ID | level | flow | rule | source |
| --- | --- | --- | --- | --- |
`, "§", "`"))
	for _, e := range entries {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", e.ID, e.Level, strings.Join(e.Flows, ", "), mdCell(e.Rule), mdCell(e.Source))
	}
	b.WriteString("\n## Where each rule runs in the bundled specs\n\n")
	b.WriteString("The operations each rule's checks run on; \"n/a\": the spec documents no such flow, so the\ncheck skips as not applicable.\n\n")
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
			ops := perSpec[s.Name][e.ID]
			cell := "n/a"
			if len(ops) > 0 {
				cell = mdCell(strings.Join(ops, ", "))
			}
			fmt.Fprintf(&b, " %s |", cell)
		}
		b.WriteString("\n")
	}
	_, err = io.WriteString(w, b.String())
	return err
}

func mdCell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}
