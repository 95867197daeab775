package reports

import (
	"encoding/xml"
	"fmt"
	"io"
	"time"
)

// The JUnit XML shape CI servers read (Jenkins, GitLab, GitHub test reporters): testsuites ->
// testsuite (one per flow) -> testcase, with failure or skipped children.

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Timestamp  string          `xml:"timestamp,attr"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name       string          `xml:"name,attr"`
	Classname  string          `xml:"classname,attr"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Failure    *junitFailure   `xml:"failure,omitempty"`
	Skipped    *junitSkipped   `xml:"skipped,omitempty"`
	SystemOut  string          `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

// WriteJUnit writes the report as JUnit XML: one testsuite per flow, one testcase per check whose
// name starts with the requirement ID. Only a failed check (a MUST expectation that did not hold)
// is a <failure>, so a CI server is green exactly when the run passes; a warning is written to
// the test case's <system-out> and its authconform.outcome property, not-applicable,
// missing-input and not-run checks are <skipped> with the outcome word first. Every test case
// carries its outcome, level and provenance as properties.
func WriteJUnit(w io.Writer, r *Report) error {
	c := *r
	c.Checks = append([]Check(nil), r.Checks...)
	c.Sort()
	out := junitSuites{Name: "authconform " + c.Spec.Name, Time: seconds(c.Finished.Sub(c.Started))}
	props := []junitProperty{
		{"tool.version", c.Tool.Version},
		{"spec.name", c.Spec.Name},
		{"spec.sha256", c.Spec.SHA256},
		{"target.baseURL", c.Target.BaseURL},
	}
	for _, rd := range c.Readings {
		props = append(props, junitProperty{"reading." + rd.Decision, rd.Choice + " (" + rd.How + ")"})
	}
	if c.Interrupted != "" {
		props = append(props, junitProperty{"interrupted", c.Interrupted})
	}
	idx := map[string]int{}
	for _, ch := range c.Checks {
		i, ok := idx[ch.Flow]
		if !ok {
			i = len(out.Suites)
			idx[ch.Flow] = i
			out.Suites = append(out.Suites, junitSuite{
				Name:       c.Spec.Name + "." + ch.Flow,
				Timestamp:  c.Started.UTC().Format(time.RFC3339),
				Properties: props,
			})
		}
		s := &out.Suites[i]
		o := ch.Outcome()
		tc := junitCase{Name: ch.Name(), Classname: "authconform." + c.Spec.Name + "." + ch.Flow,
			Properties: []junitProperty{{"authconform.outcome", string(o)}, {"authconform.level", string(ch.Level)}}}
		if p := ch.Provenance.String(); p != "" {
			tc.Properties = append(tc.Properties, junitProperty{"authconform.provenance", p})
		}
		s.Tests++
		out.Tests++
		switch o {
		case Failed:
			tc.Failure = &junitFailure{Message: firstLine(ch.Message), Type: string(ch.Level), Text: ch.Message}
			s.Failures++
			out.Failures++
		case Warning:
			tc.SystemOut = Word(o) + " (" + string(ch.Level) + " check, a SHOULD expectation did not hold): " + ch.Message
		case NotApplicable, MissingInput, NotRun:
			tc.Skipped = &junitSkipped{Message: Word(o) + ": " + ch.Message}
			s.Skipped++
			out.Skipped++
		}
		s.Cases = append(s.Cases, tc)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func seconds(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	return fmt.Sprintf("%.3f", d.Seconds())
}

func firstLine(s string) string {
	for i, r := range s {
		if r == '\n' {
			return s[:i]
		}
	}
	return s
}
