package runner

import (
	"fmt"
	"net/url"

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
func Plan(sp *specs.Spec) ([]Planned, error) {
	if sp == nil {
		return nil, fmt.Errorf("%w: no spec", ErrConfig)
	}
	mu.Lock()
	defer mu.Unlock()
	globals.Reset()
	defer globals.Reset()
	// Nothing is sent: the URL is never dialled, the accounts never read.
	base, _ := url.Parse("http://authconform.invalid/")
	t := &suites.Target{Spec: sp, BaseURL: base, Accounts: map[string]map[string]string{"valid": {}}}
	if err := suites.Register(t); err != nil {
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

// RequiredIDs are the IDs of every MUST rule of the catalog: what a certified report must show
// as passed (or skipped as not applicable).
func RequiredIDs() []string {
	var out []string
	for _, r := range suites.Requirements {
		if r.Level == suites.MUST {
			out = append(out, r.ID)
		}
	}
	return out
}
