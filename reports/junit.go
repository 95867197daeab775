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
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
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
// name starts with the requirement ID. A failed SHOULD check is a failure of type SHOULD, so a CI
// server shows it; the process exit code, not the JUnit file, decides the verdict.
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
		tc := junitCase{Name: ch.Name(), Classname: "authconform." + c.Spec.Name + "." + ch.Flow}
		s.Tests++
		out.Tests++
		switch ch.Status {
		case Failed:
			tc.Failure = &junitFailure{Message: firstLine(ch.Message), Type: string(ch.Level), Text: ch.Message}
			s.Failures++
			out.Failures++
		case Skipped:
			tc.Skipped = &junitSkipped{Message: ch.Message}
			s.Skipped++
			out.Skipped++
		case NotRun:
			tc.Skipped = &junitSkipped{Message: "not run: " + ch.Message}
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
