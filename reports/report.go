package reports

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// SchemaVersion is the version of the JSON report's shape. Fields may be added without a new
// version; renaming or removing one, or a new value of an enumerated field, needs a new version.
// reports/schema.json is the JSON Schema of this version; doc.go describes every field.
//
// Version 2 added the status "not-run", a check's skipKind and the report's signature. Version 3
// gave every outcome one word (warning, not-applicable and missing-input in place of a failed
// SHOULD check and of skipKind), and added a check's provenance and the report's readings and
// interruption. Reports of versions 1 and 2 still read, verify and render.
const SchemaVersion = 3

// Status is the outcome of one check: one word, the same in every format.
type Status string

// Statuses.
const (
	Passed Status = "passed"
	// Failed: an expectation of the check's level MUST did not hold.
	Failed Status = "failed"
	// Warning: only expectations of level SHOULD did not hold (a SHOULD check that failed, or a
	// MUST check whose MUST expectations held but a SHOULD one, such as the exact status our
	// reading names, did not).
	Warning Status = "warning"
	// NotApplicable: the spec (or the target's token format, abilities or readings) gives the
	// rule nothing to judge. It does not forbid certification.
	NotApplicable Status = "not-applicable"
	// MissingInput: the target file lacks what the check needs (an account, a probe, an expected
	// lifetime). A MUST check of this outcome forbids certification: supply the input.
	MissingInput Status = "missing-input"
	// NotRun is a check the run did not reach: not selected by the label filter, left after
	// --fail-fast stopped the run, cut off by the deadline, an interrupt, or a target that
	// stopped answering. A MUST check that did not run forbids certification.
	NotRun Status = "not-run"

	// Skipped is a status of reports of schema versions 1 and 2, with SkipKind saying which of
	// NotApplicable and MissingInput it is. Reports of version 3 never carry it.
	Skipped Status = "skipped"
)

// Statuses lists every outcome a version-3 report writes, in the order tables show them.
var Statuses = []Status{Passed, Failed, Warning, NotApplicable, MissingInput, NotRun}

// SkipKind is how reports of schema versions 1 and 2 told a skipped check's kind.
type SkipKind string

// Skip kinds of version 1 and 2 reports.
const (
	SkipNotApplicable SkipKind = "notApplicable"
	SkipMissingInput  SkipKind = "missingInput"
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
	// Readings are the readings of the spec's documentation gaps the run held the target to:
	// declared in the target file, or observed where a request could tell. Version 3.
	Readings []Reading `json:"readings,omitempty"`
	// Interrupted says why the run ended before every check ran (an interrupt, the deadline, a
	// target that stopped answering); empty for a run that completed. Version 3.
	Interrupted string  `json:"interrupted,omitempty"`
	Checks      []Check `json:"checks"`
	// Signature is set on a certified report only (Sign); it is always the last member.
	Signature *Signature `json:"signature,omitempty"`
}

// Reading is one reading of a spec's decision the run used.
type Reading struct {
	Decision string `json:"decision"` // the decision's id, e.g. acme-authorization
	Choice   string `json:"choice"`   // the reading, e.g. bare
	How      string `json:"how"`      // "declared" (the target file) or "observed" (the run found it out)
	Means    string `json:"means,omitempty"`
}

// Readings' How.
const (
	Declared = "declared"
	Observed = "observed"
)

// Provenance is where a check's expectation comes from, which set its level.
type Provenance struct {
	Basis    string `json:"basis"`              // documented, reading, practice or target
	Cite     string `json:"cite,omitempty"`     // the spec's location, the decision, the RFC or OWASP section, the target file's field
	Quote    string `json:"quote,omitempty"`    // the vendor's own words, for a documented expectation
	Decision string `json:"decision,omitempty"` // the decision of a reading (or of the exact status of a documented refusal)
	Declared bool   `json:"declared,omitempty"` // the target file declares that reading
}

// String is the one-line form: "reading (declared by the target): decision X".
func (p *Provenance) String() string {
	if p == nil {
		return ""
	}
	s := p.Basis
	if p.Declared {
		s += " (declared by the target)"
	}
	if p.Cite != "" {
		s += ": " + p.Cite
	}
	if p.Quote != "" {
		s += fmt.Sprintf(" (%q)", p.Quote)
	}
	return s
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
	// Provenance is where the expectation comes from (version 3).
	Provenance *Provenance `json:"provenance,omitempty"`
	Status     Status      `json:"status"`
	Message    string      `json:"message,omitempty"` // failed, warning: what was expected and what came back; otherwise why
	// SkipKind is set on skipped checks of version 1 and 2 reports only.
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

// Outcome is the check's status in version-3 words, whatever the version of its report: a
// skipped check by its skip kind (none: missing input), a failed SHOULD check a warning.
func (c Check) Outcome() Status {
	switch {
	case c.Status == Skipped && c.SkipKind == SkipNotApplicable:
		return NotApplicable
	case c.Status == Skipped:
		return MissingInput
	case c.Status == Failed && c.Level == SHOULD:
		return Warning
	}
	return c.Status
}

// Passed reports whether the run completed and no MUST check failed (the exit-0 condition). A
// run cut short (Interrupted) has not passed, whatever the checks it reached say.
func (r *Report) Passed() bool {
	if r.Interrupted != "" {
		return false
	}
	for _, c := range r.Checks {
		if c.Level == MUST && c.Outcome() == Failed {
			return false
		}
	}
	return true
}

// Ran is the number of checks that ran (every outcome but not run).
func (r *Report) Ran() int {
	n := 0
	for _, c := range r.Checks {
		if c.Outcome() != NotRun {
			n++
		}
	}
	return n
}

// Counts are the number of checks by outcome.
type Counts struct {
	Passed        int `json:"passed"`
	Failed        int `json:"failed"`
	Warning       int `json:"warning"`
	NotApplicable int `json:"notApplicable"`
	MissingInput  int `json:"missingInput"`
	NotRun        int `json:"notRun"`
}

func (c *Counts) add(s Status) {
	switch s {
	case Passed:
		c.Passed++
	case Failed:
		c.Failed++
	case Warning:
		c.Warning++
	case NotApplicable:
		c.NotApplicable++
	case MissingInput:
		c.MissingInput++
	case NotRun:
		c.NotRun++
	}
}

// Of is the count of one outcome.
func (c Counts) Of(s Status) int {
	switch s {
	case Passed:
		return c.Passed
	case Failed:
		return c.Failed
	case Warning:
		return c.Warning
	case NotApplicable:
		return c.NotApplicable
	case MissingInput:
		return c.MissingInput
	case NotRun:
		return c.NotRun
	}
	return 0
}

// Total is the number of checks counted.
func (c Counts) Total() int {
	return c.Passed + c.Failed + c.Warning + c.NotApplicable + c.MissingInput + c.NotRun
}

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
			out[i].MUST.add(c.Outcome())
		} else {
			out[i].SHOULD.add(c.Outcome())
		}
	}
	slices.SortFunc(out, func(a, b FlowCounts) int { return strings.Compare(a.Flow, b.Flow) })
	return out
}

// Totals counts every check per level.
func (r *Report) Totals() (must, should Counts) {
	for _, c := range r.Checks {
		if c.Level == MUST {
			must.add(c.Outcome())
		} else {
			should.add(c.Outcome())
		}
	}
	return must, should
}
