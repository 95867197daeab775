// Command genjson writes specs/json/NAME.json, the JSON form of each bundled specs/NAME.yaml, for
// the specs package to embed: loading a bundled spec then skips the YAML parser, which was about
// a third of the mock's cold start. The YAML stays the source; `go generate ./specs` (make
// generate) rewrites the JSON, and the specs tests fail while it is stale.
//
//	genjson [DIR]    DIR: the specs directory (default: the working directory)
//
// It lives in the tools module (tools/go.mod), so that `go install ./...` at the repository root
// builds authconform alone; specs/load.go's go:generate line runs it from there on ../specs.
package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/authconform/authconform/specs"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "genjson:", err)
		os.Exit(1)
	}
}

func run() error {
	if len(os.Args) > 2 {
		return fmt.Errorf("usage: genjson [DIR]")
	}
	if len(os.Args) == 2 {
		if err := os.Chdir(os.Args[1]); err != nil {
			return err
		}
	}
	sources, err := filepath.Glob("*.yaml")
	if err != nil {
		return err
	}
	if len(sources) == 0 {
		return fmt.Errorf("no *.yaml in the directory; give the specs directory (go generate ./specs does)")
	}
	want := map[string]bool{}
	for _, src := range sources {
		data, err := os.ReadFile(src)
		if err != nil {
			return err
		}
		doc, err := specs.ReadYAML(src, data)
		if err != nil {
			return err
		}
		js, err := doc.JSON()
		if err != nil {
			return fmt.Errorf("%s: %w", src, err)
		}
		dst := filepath.Join("json", strings.TrimSuffix(src, ".yaml")+".json")
		want[dst] = true
		if old, err := os.ReadFile(dst); err == nil && bytes.Equal(old, js) {
			continue
		}
		if err := os.WriteFile(dst, js, 0o644); err != nil {
			return err
		}
		fmt.Println("wrote", filepath.Join("specs", dst))
	}
	stale, _ := filepath.Glob(filepath.Join("json", "*.json"))
	for _, f := range stale {
		if !want[f] {
			if err := os.Remove(f); err != nil {
				return err
			}
			fmt.Println("removed", filepath.Join("specs", f))
		}
	}
	return nil
}
