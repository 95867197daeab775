package cli

import (
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/authconform/authconform/specs"
)

func newSpecsCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "specs",
		Short: "List, show and validate spec documents; print the requirement catalog",
		Long: `Work with spec documents: OpenAPI 3.0 files with authconform's x-authconform extensions.

A spec is named either by a bundled name (see 'authconform specs list') or by a file path.
The extension vocabulary is documented in docs/spec-extensions.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return usageError{errors.New("specs needs a subcommand: list, show, validate or catalog")}
		},
	}
	cmd.AddCommand(
		newCatalogCmd(e),
		&cobra.Command{
			Use:   "list",
			Short: "List the bundled specs: name, title, version, operations",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, args []string) error {
				all, err := specs.LoadAll()
				if err != nil {
					return exitWith(exitInternal, "a bundled spec does not load: %w", err)
				}
				tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "NAME\tTITLE\tVERSION\tOPERATIONS")
				for _, s := range all {
					ops := make([]string, len(s.Operations))
					for i, op := range s.Operations {
						ops[i] = op.Key()
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Name, s.Title, s.Version, strings.Join(ops, ", "))
				}
				return tw.Flush()
			},
		},
		&cobra.Command{
			Use:   "show NAME|FILE",
			Short: "Show a spec's flows, token lifetimes, credential rules, demo accounts and decisions",
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				s, err := specs.Load(args[0])
				if err != nil {
					return err
				}
				showSpec(e.stdout, s)
				return nil
			},
		},
		&cobra.Command{
			Use:   "validate FILE...",
			Short: "Validate spec files; exit 0 when all are valid, 2 with located errors otherwise",
			Long: `Validate spec files: each must be an OpenAPI 3.0 document that kin-openapi loads and validates,
with x-authconform extensions that are complete and consistent. Every problem is printed as
FILE: LOCATION: PROBLEM. Exit 0 when all files are valid, 2 otherwise.`,
			Args: cobra.MinimumNArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				bad := 0
				for _, f := range args {
					s, err := specs.Load(f)
					if err != nil {
						bad++
						fmt.Fprintln(e.stderr, err)
						continue
					}
					fmt.Fprintf(e.stdout, "%s: valid (%s, %d operations)\n", f, s.Name, len(s.Operations))
				}
				if bad > 0 {
					return exitWith(exitUsage, "%d of %d files are not valid", bad, len(args))
				}
				return nil
			},
		},
	)
	return cmd
}
