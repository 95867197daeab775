// Command mutation proves that the suites can fail: it runs every check against the clean mock,
// against the mock with each benign variant (every check must still pass) and with each
// deliberate defect (some check must fail that passes on the clean mock), for every bundled spec,
// and prints the kill matrix. It exits 1 when a defect survives or a variant fails, 2 on a usage
// error. See docs/mutation.md.
//
//	make mutation MUTATIONFLAGS="[-spec NAME,...] [-only NAME,...] [-json FILE] [-v]"
//
// It lives in the tools module (tools/go.mod), so that `go install ./...` at the repository root
// builds authconform alone; make builds it as bin/mutation and runs it from the root.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mutation", flag.ContinueOnError)
	fs.SetOutput(stderr)
	specList := fs.String("spec", "", "comma-separated spec names (default: every bundled spec)")
	only := fs.String("only", "", "comma-separated defect or variant names (default: all)")
	jsonOut := fs.String("json", "", "also write the results as JSON to this file (- for stdout; the matrix then goes to stderr)")
	targets := fs.String("targets", "", "directory of the target files NAME.yaml (default: examples/targets)")
	verbose := fs.Bool("v", false, "print one line per run as it finishes")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "mutation: unexpected arguments %q\n", fs.Args())
		return 2
	}
	p := Plan{Specs: split(*specList), Only: split(*only), TargetsDir: *targets}
	if p.TargetsDir == "" {
		p.TargetsDir = findTargets()
	}
	if *verbose {
		p.Progress = stderr
	}
	results, err := Execute(ctx, p)
	if err != nil {
		fmt.Fprintf(stderr, "mutation: %v\n", err)
		return 2
	}
	matrix := stdout
	if *jsonOut == "-" {
		matrix = stderr // stdout carries the JSON
	}
	WriteMatrix(matrix, results)
	if *jsonOut != "" {
		b, _ := json.MarshalIndent(map[string]any{"results": results, "unkilled": Unkilled(results), "summary": Summarize(results)}, "", "  ")
		b = append(b, '\n')
		if *jsonOut == "-" {
			_, _ = stdout.Write(b)
		} else if err := os.WriteFile(*jsonOut, b, 0o644); err != nil {
			fmt.Fprintf(stderr, "mutation: %v\n", err)
			return 2
		}
	}
	if Summarize(results).Bad > 0 {
		return 1
	}
	// A full run (every spec, every mutation) also proves every check can fail.
	if *only == "" && *specList == "" {
		if un := Unkilled(results); len(un) > 0 {
			fmt.Fprintf(stderr, "mutation: no defect makes these checks fail: %s; add a defect to mockserver/defects that each catches\n", strings.Join(un, " "))
			return 1
		}
	}
	return 0
}

func split(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
