package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/authconform/authconform/mockserver/defects"
	"github.com/authconform/authconform/specs"
	"github.com/authconform/authconform/suites"
)

var update = flag.Bool("update", false, "rewrite the catalog tables of docs/mutation.md")

const docPath = "../../docs/mutation.md"

// TestMutationDoc fails when docs/mutation.md's tables are not what the catalog generates;
// -update rewrites them.
func TestMutationDoc(t *testing.T) {
	page, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalogMarkdown()
	if err != nil {
		t.Fatal(err)
	}
	next, ok := spliceCatalog(string(page), cat)
	if !ok {
		t.Fatalf("%s lacks the catalog markers %q ... %q", docPath, catalogBegin, catalogEnd)
	}
	if *update {
		if err := os.WriteFile(docPath, []byte(next), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if next != string(page) {
		t.Errorf("%s is stale: the catalog changed; run make docs", docPath)
	}
}

// TestCatalogIsSound: names unique and kebab-case, every expected check ID known to the suites,
// every defect and variant applicable to at least one bundled spec, every known survivor real.
func TestCatalogIsSound(t *testing.T) {
	ids := map[string]bool{}
	for _, r := range suites.Requirements {
		ids[r.ID] = true
	}
	var loaded []*specs.Spec
	srcs := specs.Names()
	for _, n := range exampleNames("../../examples/specs") {
		srcs = append(srcs, "../../examples/specs/"+n+".yaml")
	}
	for _, n := range srcs {
		sp, err := specs.Load(n)
		if err != nil {
			t.Fatal(err)
		}
		loaded = append(loaded, sp)
	}
	kebab := regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	seen := map[string]bool{}
	all := append(defects.Defects(), defects.Variants()...)
	if n := len(defects.Defects()); n < 30 {
		t.Errorf("%d defects; the catalog promises at least 30", n)
	}
	for _, m := range all {
		if seen[m.Name] {
			t.Errorf("%s is listed twice", m.Name)
		}
		seen[m.Name] = true
		if !kebab.MatchString(m.Name) || m.Summary == "" || m.Needs == "" || m.Flow == "" {
			t.Errorf("%s: name not kebab-case or summary, needs or flow empty", m.Name)
		}
		if !m.Variant && len(m.Catches) == 0 {
			// Only a known weakness may lack an expected check: every spec it applies to lists it.
			for _, sp := range loaded {
				if _, known := knownSurvivors[m.Name+"/"+sp.Name]; m.AppliesTo(sp) && !known {
					t.Errorf("defect %s names no check expected to catch it, and %s does not list it as a known survivor", m.Name, sp.Name)
				}
			}
		}
		for _, id := range m.Catches {
			if !ids[id] {
				t.Errorf("%s: expected check %s is not in suites.Requirements", m.Name, id)
			}
		}
		applies := false
		for _, sp := range loaded {
			applies = applies || m.AppliesTo(sp)
		}
		if !applies {
			t.Errorf("%s applies to no bundled or example spec", m.Name)
		}
	}
	for k := range knownSurvivors {
		name, spec, _ := strings.Cut(k, "/")
		m, ok := defects.Lookup(name)
		sp, err := specs.Load(spec)
		if !ok || err != nil || !m.AppliesTo(sp) {
			t.Errorf("known survivor %s names no defect applying to that spec", k)
		}
	}
}

// TestKillMatrix runs the whole matrix: every defect caught by an expected check on every spec it
// applies to (known survivors aside), every variant passing, every requirement killed by some
// defect. With -short or -race, one spec (the one with the most flows); `make mutation` runs all.
func TestKillMatrix(t *testing.T) {
	p := Plan{TargetsDir: "../../examples/targets"}
	short := testing.Short() || raceEnabled
	if short {
		p.Specs = []string{"efalia"}
	}
	results, err := Execute(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	WriteMatrix(&out, results)
	for _, r := range results {
		if r.Bad() {
			t.Errorf("%s on %s: %s %s %v", orClean(r.Mutation), r.Spec, r.Verdict(), r.Error, r.Failed)
		}
	}
	if !short {
		if un := Unkilled(results); len(un) > 0 {
			t.Errorf("no defect makes these checks fail: %v", un)
		}
	}
	if t.Failed() || testing.Verbose() {
		t.Log("\n" + out.String())
	}
}

func TestRunExitCodes(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"-only", "no-such-defect"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "no-such-defect") {
		t.Errorf("unknown name: exit %d, stderr %q; want 2", code, errb.String())
	}
	errb.Reset()
	if code := run(context.Background(), []string{"stray"}, &out, &errb); code != 2 {
		t.Errorf("stray argument: exit %d; want 2", code)
	}
	out.Reset()
	code := run(context.Background(), []string{"-spec", "efalia", "-only", "logout-not-revoking,chunked", "-targets", "../../examples/targets", "-json", "-"}, &out, &errb)
	var doc struct {
		Results []Result `json:"results"`
	}
	if code != 0 || json.Unmarshal(out.Bytes(), &doc) != nil || len(doc.Results) != 3 || !strings.Contains(errb.String(), "KILL MATRIX") {
		t.Errorf("exit %d, stdout %s, stderr %s", code, out.String(), errb.String())
	}
}
