package runner

import (
	"context"

	"fmt"
	"github.com/authconform/authconform/reports"
	"net/url"
	"slices"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/extensions/globals"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/authconform/authconform/specs"
	"github.com/authconform/authconform/suites"
)

// Planned is one check the suites register for a spec, as Ginkgo's dry run (PreviewSpecs) sees
// it: the rule, and the operation it runs on ("" when the spec documents no such flow, in which
// case the check skips as not applicable).
type Planned = suites.CheckInfo

// Plan lists the checks the suites register for a spec, in a fixed order, without running
// them and without a target: it registers the suites against a placeholder target and calls
// ginkgo.PreviewSpecs. It is how `authconform specs catalog NAME` knows which rules apply to a
// spec, and how a test proves the catalog and the registered specs agree.
//
// readings are the readings a target declares (they make the checks depending on them MUST);
// sp must already follow them (specs.WithReadings). nil: none declared.
func Plan(sp *specs.Spec, readings map[string]string) ([]Planned, error) {
	if sp == nil {
		return nil, fmt.Errorf("%w: no spec", ErrConfig)
	}
	return plan(&suites.Target{Spec: sp, Accounts: map[string]map[string]string{"valid": {}}, Readings: readings})
}

// plan is Plan for a suites target; its URL is replaced, so nothing is ever sent.
func plan(t *suites.Target) ([]Planned, error) {
	sp := t.Spec
	mu.Lock()
	defer mu.Unlock()
	globals.Reset()
	defer globals.Reset()
	// Nothing is sent: the URL is never dialled, the accounts never read.
	t.BaseURL, _ = url.Parse("http://authconform.invalid/")
	if err := suites.Register(context.Background(), t); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	sc := types.NewDefaultSuiteConfig()
	sc.RandomSeed = 1 // the order Run uses
	rep := ginkgo.PreviewSpecs("authconform "+sp.Name, sc)
	var out []Planned
	for _, sr := range rep.SpecReports {
		if sr.LeafNodeType != types.NodeTypeIt {
			continue
		}
		info, ok := suites.CheckOf(sr.FullText())
		if !ok {
			return nil, fmt.Errorf("spec %q has no entry in the catalog", sr.FullText())
		}
		out = append(out, info)
	}
	return out, nil
}

// RequiredIDs are the IDs of every MUST check the suites register for the target's spec and
// declared readings: what a certified report must show as passed, passed with a warning, or not
// applicable. Certification asks only for what the vendor documents, what the target file states
// and the readings it declares.
func RequiredIDs(t *Target) ([]string, error) {
	planned, err := plan(t.suiteTarget())
	if err != nil {
		return nil, err
	}
	var out []string
	for _, p := range planned {
		if p.Level == suites.MUST && !slices.Contains(out, p.ID) {
			out = append(out, p.ID)
		}
	}
	return out, nil
}

// RequiredForReport is RequiredIDs for a stored report, when it names a bundled spec whose
// SHA-256 it carries (with the readings it declared): how `report verify` sees whether the
// catalog has grown since the signing. ok is false for another spec file or an unknown one.
func RequiredForReport(rep *reports.Report) (ids []string, ok bool) {
	sp, err := specs.Load(rep.Spec.Name)
	if err != nil || sp.SHA256 != rep.Spec.SHA256 {
		return nil, false
	}
	declared := map[string]string{}
	for _, rd := range rep.Readings {
		if rd.How == reports.Declared {
			declared[rd.Decision] = rd.Choice
		}
	}
	if sp, err = sp.WithReadings(declared); err != nil {
		return nil, false
	}
	planned, err := plan(&suites.Target{Spec: sp, Accounts: map[string]map[string]string{"valid": {}}, Readings: declared})
	if err != nil {
		return nil, false
	}
	for _, p := range planned {
		if p.Level == suites.MUST && !slices.Contains(ids, p.ID) {
			ids = append(ids, p.ID)
		}
	}
	return ids, true
}
