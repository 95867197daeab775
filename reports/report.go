package reports

import (
	"slices"
	"strings"
	"time"
)

// SchemaVersion is the version of the JSON report's shape. Fields may be added without a new
// version; renaming or removing one, or a new value of an enumerated field, needs a new version.
// reports/schema.json is the JSON Schema of this version; doc.go describes every field.
//
// Version 2 added the status "not-run", a check's skipKind and the report's signature.
const SchemaVersion = 2

// Status is the verdict of one check.
type Status string

// Statuses.
const (
	Passed  Status = "passed"
	Failed  Status = "failed"
	Skipped Status = "skipped"
	// NotRun is a check the run did not reach: not selected by the label filter, or left after
	// --fail-fast stopped the run, or cut off by the suite timeout. A MUST check that did not run
	// forbids certification.
	NotRun Status = "not-run"
)

// SkipKind says why a check was skipped, which decides whether a skipped MUST check forbids
// certification.
type SkipKind string

// Skip kinds.
const (
	// NotApplicable: the spec (or the target's token format, or the target's lack of clock
	// control) gives the rule nothing to judge. It does not forbid certification.
	NotApplicable SkipKind = "notApplicable"
	// MissingInput: the target file lacks what the check needs (an account, a probe, an expected
	// lifetime). A skipped MUST check of this kind forbids certification: supply the input.
	MissingInput SkipKind = "missingInput"
)

// Level is how binding a rule is: MUST failures fail the run, SHOULD failures are warnings.
type Level string

// Levels.
const (
	MUST   Level = "MUST"
	SHOULD Level = "SHOULD"
)

// Report is the result of one run of the suites against one target. Renderers (console, JSON,
// JUnit, and later HTML and signed reports) read it and nothing else.
type Report struct {
	SchemaVersion int       `json:"schemaVersion"`
	Tool          Tool      `json:"tool"`
	Spec          Spec      `json:"spec"`
	Target        Target    `json:"target"`
	Started       time.Time `json:"started"`
	Finished      time.Time `json:"finished"`
	LabelFilter   string    `json:"labelFilter,omitempty"`
	Checks        []Check   `json:"checks"`
	// Signature is set on a certified report only (Sign); it is always the last member.
	Signature *Signature `json:"signature,omitempty"`
}

// Tool names the program that produced the report.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Spec identifies the document the target was judged against.
type Spec struct {
	Name    string `json:"name"`
	Title   string `json:"title,omitempty"`
	Version string `json:"version,omitempty"`
	File    string `json:"file,omitempty"`
	SHA256  string `json:"sha256"`
}

// Target identifies what was tested. No secret from the target file is ever stored here.
type Target struct {
	BaseURL string `json:"baseURL"`
	File    string `json:"file,omitempty"`
}

// Check is the verdict of one rule on one operation.
type Check struct {
	ID        string `json:"id"`                  // requirement ID, e.g. LOG-01
	Level     Level  `json:"level"`               // MUST or SHOULD
	Flow      string `json:"flow"`                // flow kind: login, refresh, logout, apikey, resource
	Operation string `json:"operation,omitempty"` // "METHOD /path" the check exercised, empty when the flow is absent
	Rule      string `json:"rule"`                // the rule in one sentence
	Source    string `json:"source,omitempty"`    // where the rule comes from
	Status    Status `json:"status"`
	Message   string `json:"message,omitempty"` // failed: what was expected and what came back; skipped, not run: why
	// SkipKind is set on skipped checks: notApplicable or missingInput. A skipped check without
	// one (a report of schema version 1) is treated as missingInput.
	SkipKind SkipKind `json:"skipKind,omitempty"`
	// Lifetime is set by token-lifetime checks: what was expected and what was measured.
	Lifetime *Lifetime `json:"lifetime,omitempty"`
}

// Lifetime is a token lifetime as documented (or expected by the target file) and as measured.
type Lifetime struct {
	Token        string  `json:"token"`            // access or refresh
	Expected     float64 `json:"expectedSeconds"`  // seconds
	Observed     float64 `json:"observedSeconds"`  // seconds: exp minus measuredFrom
	Tolerance    float64 `json:"toleranceSeconds"` // seconds
	Source       string  `json:"source,omitempty"` // where the expected value comes from
	MeasuredFrom string  `json:"measuredFrom"`     // "iat" or "the Date header"
}

// Name is how the check is named in lists and JUnit test cases.
func (c Check) Name() string {
	var b strings.Builder
	b.WriteString("[" + c.ID + "] " + string(c.Level) + " " + c.Flow)
	if c.Operation != "" {
		b.WriteString(" " + c.Operation)
	}
	b.WriteString(": " + c.Rule)
	return b.String()
}

// Sort orders the checks deterministically: by flow, operation, ID, then rule.
func (r *Report) Sort() {
	slices.SortStableFunc(r.Checks, func(a, b Check) int {
		if c := strings.Compare(a.Flow, b.Flow); c != 0 {
			return c
		}
		if c := strings.Compare(a.Operation, b.Operation); c != 0 {
			return c
		}
		if c := strings.Compare(a.ID, b.ID); c != 0 {
			return c
		}
		return strings.Compare(a.Rule, b.Rule) // variants of one rule (credential forms)
	})
}

// Passed reports whether every MUST check that ran passed (the exit-0 condition).
func (r *Report) Passed() bool {
	for _, c := range r.Checks {
		if c.Level == MUST && c.Status == Failed {
			return false
		}
	}
	return true
}

// Ran is the number of checks that ran (passed, failed or skipped by the check itself).
func (r *Report) Ran() int {
	n := 0
	for _, c := range r.Checks {
		if c.Status != NotRun {
			n++
		}
	}
	return n
}

// Counts are the number of checks by status.
type Counts struct {
	Passed  int `json:"passed"`
	Failed  int `json:"failed"`
	Skipped int `json:"skipped"`
	NotRun  int `json:"notRun"`
}

func (c *Counts) add(s Status) {
	switch s {
	case Passed:
		c.Passed++
	case Failed:
		c.Failed++
	case Skipped:
		c.Skipped++
	case NotRun:
		c.NotRun++
	}
}

// Total is the number of checks counted.
func (c Counts) Total() int { return c.Passed + c.Failed + c.Skipped + c.NotRun }

// FlowCounts are the counts of one flow, per level.
type FlowCounts struct {
	Flow   string
	MUST   Counts
	SHOULD Counts
}

// ByFlow counts the checks per flow and level, flows sorted by name.
func (r *Report) ByFlow() []FlowCounts {
	idx := map[string]int{}
	var out []FlowCounts
	for _, c := range r.Checks {
		i, ok := idx[c.Flow]
		if !ok {
			i = len(out)
			idx[c.Flow] = i
			out = append(out, FlowCounts{Flow: c.Flow})
		}
		if c.Level == MUST {
			out[i].MUST.add(c.Status)
		} else {
			out[i].SHOULD.add(c.Status)
		}
	}
	slices.SortFunc(out, func(a, b FlowCounts) int { return strings.Compare(a.Flow, b.Flow) })
	return out
}

// Totals counts every check per level.
func (r *Report) Totals() (must, should Counts) {
	for _, c := range r.Checks {
		if c.Level == MUST {
			must.add(c.Status)
		} else {
			should.add(c.Status)
		}
	}
	return must, should
}
