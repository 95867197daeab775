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
	setExitCodes(cmd, codeHelp, codeNoSub)
	show := &cobra.Command{
		Use:   "show NAME|FILE [--output text|json]",
		Short: "Show a spec's flows, token lifetimes, credential rules, demo accounts and decisions",
		Long: `Show what a spec says about authentication: token lifetimes, each operation's flow, credentials
and statuses, the credential schemes, the demo accounts, the checks a target is held to, what we
added to the vendor's document and why, and the decisions on its gaps with their readings.
--output json prints the same as one JSON object (name, tokens, operations, schemes,
accountFields, accounts, additions, decisions), e.g. for a frontend's test fixtures.`,
		Example: `  authconform specs show pixfile
  authconform specs show elyssa -o json | jq '.accounts[] | select(.state == "enabled") | .fields'`,
		Args: cobra.ExactArgs(1),
	}
	showOutput := addOutputFlag(show, "")
	show.RunE = func(cmd *cobra.Command, args []string) error {
		s, err := specs.Load(args[0])
		if err != nil {
			return err
		}
		if showOutput.value == "json" {
			return showSpecJSON(e.stdout, s)
		}
		showSpec(e.stdout, s)
		return nil
	}
	setExitCodes(show, exitCode{exitOK, "shown"},
		exitCode{exitUsage, "a usage error, or the spec cannot be loaded: no bundled spec of that name, a file that is missing or not a valid spec"})
	validate := &cobra.Command{
		Use:   "validate FILE...",
		Short: "Validate spec files; exit 0 when all are valid, 2 with located errors otherwise",
		Long: `Validate spec files: each must be an OpenAPI 3.0 document that kin-openapi loads and validates,
with x-authconform extensions that are complete and consistent. Every problem is printed as
FILE: LOCATION: PROBLEM.`,
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
	}
	setExitCodes(validate, exitCode{exitOK, "all files are valid"},
		exitCode{exitUsage, "a file is not valid (each problem is printed), or a usage error"})
	cmd.AddCommand(newCatalogCmd(e), newSpecsListCmd(e), show, validate)
	return cmd
}

// specListing is one spec in 'specs list --output json'.
type specListing struct {
	Name       string             `json:"name"`
	Title      string             `json:"title"`
	Version    string             `json:"version"`
	File       string             `json:"file"`
	BasePath   string             `json:"basePath"`
	Operations []operationListing `json:"operations"`
}

type operationListing struct {
	ID     string `json:"operationId"`
	Method string `json:"method"`
	Path   string `json:"path"`
	Flow   string `json:"flow,omitempty"`
}

func newSpecsListCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "list [--output text|json]",
		Short: "List the bundled specs: name, title, version, operations",
		Long: `List the bundled specs: name, title, version and operations (METHOD PATH, the path without
the spec's base path). --output json prints an array with, for each spec, its name, title,
version, file, base path and operations (operationId, method, path, flow).`,
		Example: `  authconform specs list
  authconform specs list -o json | jq -r '.[].name'`,
		Args: cobra.NoArgs,
	}
	output := addOutputFlag(cmd, "")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		all, err := specs.LoadAll()
		if err != nil {
			return exitWith(exitInternal, "a bundled spec does not load: %w", err)
		}
		if output.value == "json" {
			list := make([]specListing, 0, len(all))
			for _, s := range all {
				l := specListing{Name: s.Name, Title: s.Title, Version: s.Version, File: s.File, BasePath: s.BasePath, Operations: []operationListing{}}
				for _, op := range s.Operations {
					l.Operations = append(l.Operations, operationListing{ID: op.ID, Method: op.Method, Path: op.Path, Flow: string(op.Flow.Kind)})
				}
				list = append(list, l)
			}
			return writeJSON(e.stdout, list)
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
	}
	setExitCodes(cmd, exitCode{exitOK, "listed"}, codeUsage)
	return cmd
}
