package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/authconform/authconform/mockserver"
	"github.com/authconform/authconform/mockserver/defects"
	"github.com/authconform/authconform/specs"
)

// Deliberate defects and benign variants of the mock (docs/mutation.md): serve --defect,
// --variant and --list-defects.

func addMutationFlags(cmd *cobra.Command, o *serveOptions) {
	f := cmd.Flags()
	f.StringSliceVar(&o.defects, "defect", nil, "serve with deliberate defects (comma-separated or repeated; see --list-defects): the mock then breaks its specs on purpose, to prove the suites catch it")
	f.StringSliceVar(&o.variants, "variant", nil, "serve with benign variants the specs allow (comma-separated or repeated; see --list-defects)")
	f.BoolVar(&o.listDefects, "list-defects", false, "list the defects and variants, the specs each applies to and the checks expected to catch it, then exit")
}

// mutationOptions are the options that attach the chosen defects and variants, and the set (nil
// when none is chosen), whose Listener the serve command wraps its listener with.
func mutationOptions(o serveOptions) ([]mockserver.Option, *defects.Set) {
	set := defects.Choose(o.defects, o.variants)
	if set.Empty() {
		return nil, nil
	}
	return []mockserver.Option{mockserver.WithExtension(set)}, set
}

// listMutations prints the catalog for the specs that would be served.
func listMutations(w io.Writer, list []*specs.Spec) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	section := func(title string, muts []*defects.Mutation) {
		fmt.Fprintf(tw, "%s\n", title)
		for _, m := range muts {
			var on []string
			for _, sp := range list {
				if m.AppliesTo(sp) {
					on = append(on, sp.Name)
				}
			}
			where := strings.Join(on, ",")
			if where == "" {
				where = "(none served)"
			}
			caught := ""
			switch {
			case m.Variant:
			case len(m.Catches) == 0:
				caught = "no check yet (a known weakness)"
			default:
				caught = "caught by " + strings.Join(m.Catches, ",")
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", m.Name, where, caught, m.Summary)
		}
	}
	section("DEFECTS (--defect NAME): realistic bugs the suites must catch", defects.Defects())
	fmt.Fprintln(tw)
	section("VARIANTS (--variant NAME): choices the specs leave open; the suites must pass", defects.Variants())
	return tw.Flush()
}

// mutationListing is one defect or variant in 'serve --list-defects --output json'.
type mutationListing struct {
	Name    string   `json:"name"`
	Kind    string   `json:"kind"` // defect or variant
	Flow    string   `json:"flow"`
	Specs   []string `json:"specs"`   // the served specs it applies to
	Catches []string `json:"catches"` // defects: the checks expected to catch it; empty is a known weakness
	Summary string   `json:"summary"`
}

// listMutationsJSON prints the catalog for the specs that would be served, as one JSON array.
func listMutationsJSON(w io.Writer, list []*specs.Spec) error {
	out := []mutationListing{}
	for _, m := range append(defects.Defects(), defects.Variants()...) {
		l := mutationListing{Name: m.Name, Kind: "defect", Flow: m.Flow, Specs: []string{}, Catches: []string{}, Summary: m.Summary}
		if m.Variant {
			l.Kind = "variant"
		}
		for _, sp := range list {
			if m.AppliesTo(sp) {
				l.Specs = append(l.Specs, sp.Name)
			}
		}
		l.Catches = append(l.Catches, m.Catches...)
		out = append(out, l)
	}
	return writeJSON(w, out)
}

// printMutations warns, under the banner, that the mock breaks its specs on purpose.
func printMutations(w io.Writer, set *defects.Set) {
	if set == nil {
		return
	}
	if names := set.Active(); len(names) > 0 {
		fmt.Fprintf(w, "\nDELIBERATE MUTATIONS: %s (the mock does not conform to its specs on purpose; see --list-defects)\n", strings.Join(names, ", "))
	}
}
