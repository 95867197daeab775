package runner

import "github.com/authconform/authconform/suites"

func allRequirementIDs() []string {
	var out []string
	for _, r := range suites.Requirements {
		out = append(out, r.ID)
	}
	return out
}
