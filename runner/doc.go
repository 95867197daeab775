// Package runner runs the conformance suites from the binary against a target and returns a
// report value: the target file (LoadTarget), label filtering and the Ginkgo wiring (Run).
//
// Run is the only caller of ginkgo.RunSpecs. It resets Ginkgo's globals, registers the suites for
// the target, collects every check's verdict with ReportAfterEach into a reports.Report, and
// silences Ginkgo's own console reporter: the progress lines and the summary are ours, and every
// message has passed through the suites' redactor. Checks a label filter leaves out, or that
// --fail-fast or the suite timeout kept from running, are in the report as "not-run", so a
// report always lists every check registered for the spec.
//
// Plan lists the checks the suites register for a spec without running them (Ginkgo's
// PreviewSpecs): the requirement catalog (`authconform specs catalog`, docs/conformance.md) is
// built from it, and a test proves the catalog and the registered specs agree.
//
// The target file format is documented on Target; examples/targets holds one file per bundled
// spec, pointing at `authconform serve` on 127.0.0.1:8080.
package runner
