package runner

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/authconform/authconform/reports"
	"github.com/authconform/authconform/specs"
	"github.com/authconform/authconform/suites"
)

// TestPlanMatchesTheCatalog proves the catalog (suites.Requirements) and the registered Ginkgo
// specs agree, through Ginkgo's dry run: every registered spec's ID is in the catalog, every
// catalog ID is registered for every spec, and every rule applies to at least one bundled spec.
func TestPlanMatchesTheCatalog(t *testing.T) {
	catalog := map[string]suites.Requirement{}
	for _, r := range suites.Requirements {
		catalog[r.ID] = r
	}
	applies := map[string]bool{}
	// Rules for what no bundled vendor has (declared account states, ...) apply to the example
	// specs of other APIs.
	examples, _ := filepath.Glob("../examples/specs/*.yaml")
	for _, file := range examples {
		sp, err := specs.Load(file)
		if err != nil {
			t.Fatal(err)
		}
		plan, err := Plan(sp, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range plan {
			if p.Operation != "" {
				applies[p.ID] = true
			}
		}
	}
	for _, name := range specs.Names() {
		t.Run(name, func(t *testing.T) {
			sp, err := specs.Load(name)
			if err != nil {
				t.Fatal(err)
			}
			plan, err := Plan(sp, nil)
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]bool{}
			for _, p := range plan {
				r, ok := catalog[p.ID]
				if !ok {
					t.Errorf("registered check %s is not in the catalog", p.ID)
					continue
				}
				if p.Level != p.Provenance.Level() {
					t.Errorf("%s: registered as %s, its provenance (%s) makes it %s", p.ID, p.Level, p.Provenance, p.Provenance.Level())
				}
				// An instance may be weaker than its rule (our reading where the rule is
				// documented), never stronger.
				if p.Level == suites.MUST && r.Level() != suites.MUST {
					t.Errorf("%s: a %s rule registered as MUST", p.ID, r.Basis)
				}
				seen[p.ID] = true
				if p.Operation != "" {
					applies[p.ID] = true
				}
			}
			for id := range catalog {
				if !seen[id] {
					t.Errorf("catalog ID %s has no registered check for %s", id, name)
				}
			}
		})
	}
	for id := range catalog {
		if !applies[id] {
			t.Errorf("catalog ID %s applies to no bundled spec: no bundled spec can prove it", id)
		}
	}
}

// TestLabelFilterListsTheRestAsNotRun guards certification: checks a label filter leaves out
// are in the report as not run, not silently absent, and plain runs have none.
func TestLabelFilterListsTheRestAsNotRun(t *testing.T) {
	sp, _ := specs.Load("elyssa")
	ts := startMock(t, sp, nil)
	rep := runAgainst(t, exampleTarget(t, "elyssa", ts.URL), "LOG-01")
	plan, err := Plan(sp, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Checks) != len(plan) {
		t.Errorf("%d checks in the report, %d planned: every planned check must be listed", len(rep.Checks), len(plan))
	}
	ran := 0
	for _, c := range rep.Checks {
		switch {
		case c.ID == "LOG-01" && c.Status == reports.Passed:
			ran++
		case c.ID != "LOG-01" && c.Status != reports.NotRun:
			t.Errorf("%s: %s, want not run", c.Name(), c.Status)
		case c.ID != "LOG-01" && c.Message != `not selected by --label-filter "LOG-01"`:
			t.Errorf("%s: message %q", c.ID, c.Message)
		}
	}
	if ran == 0 || rep.Ran() != ran {
		t.Errorf("LOG-01 ran %d times, Ran() = %d", ran, rep.Ran())
	}
	must, err := RequiredIDs(exampleTarget(t, "elyssa", ts.URL))
	if err != nil {
		t.Fatal(err)
	}
	if len(reports.CertificationProblems(rep, must)) == 0 {
		t.Error("a filtered run can be certified")
	}
	if _, err := Run(context.Background(), Config{Target: exampleTarget(t, "elyssa", ts.URL), ToolVersion: "test"}); err != nil {
		t.Fatal(err)
	}
}
