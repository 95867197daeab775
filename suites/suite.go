package suites

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/authconform/authconform/specs"
)

// Target is everything the suites know about the implementation under test. The runner builds it
// from a target file; the suites read nothing else (and never the mock's code).
type Target struct {
	Spec     *specs.Spec
	BaseURL  *url.URL                     // the URL the spec's paths hang under
	Accounts map[string]map[string]string // role (valid, other, disabled, expired) -> account field -> value
	Probe    *specs.Operation             // a protected operation to test credentials on; nil: none

	AccessLifetime  *time.Duration // from the target's expect; overrides the spec's documented lifetime
	RefreshLifetime *time.Duration

	AccessTokenPointer  string // JSON pointers overriding the spec's token body locations
	RefreshTokenPointer string

	// Readings are the readings the target file declares (decision id -> choice). Spec already
	// follows them (specs.WithReadings); the checks that depend on them are MUST. A reading not
	// declared is found out where a request can tell, and its checks are SHOULD.
	Readings map[string]string

	ClockControl       bool // use the mock's admin clock API when the target answers it
	InsecureSkipVerify bool
	Timeout            time.Duration // per request
	MaxResponseBytes   int64
	Secrets            []string // values from the target file to redact everywhere
	// Client is the OAuth 2 client the target file names, for flows that authenticate their
	// client; nil when it names none.
	Client *specs.Client
	// AdminURL is the root of the target's authconform admin API (ending in /) when the runner
	// knows it, as in a sandbox; nil: the clock control is looked for at the target's origin.
	AdminURL *url.URL
}

// Account roles the suites use.
const (
	roleValid    = "valid"
	roleOther    = "other"
	roleDisabled = "disabled"
	roleExpired  = "expired"
)

// CheckInfo says which rule a registered spec checks, on which operation, at which level and on
// what authority.
type CheckInfo struct {
	Requirement
	Operation  string // "METHOD /path", empty when the flow is absent from the spec
	Level      Level  // of this instance: its Provenance's
	Provenance Provenance
}

// run is the state of one registered suite: the runner registers, runs, then reads CheckOf.
type run struct {
	t      *Target
	spec   *specs.Spec
	c      *client
	red    *redactor
	checks map[string]CheckInfo
	clk    *clockProbe
	// observed are the readings found out during the run (decision id -> choice), for the ones
	// the target file does not declare.
	observed map[string]string
	raw      map[string]bool // bearer schemes the target takes the raw token in (observed)
	settled  bool            // the bearer form was looked for
}

var cur *run

// Timeouts of one check (SpecTimeout): ordinary checks make a handful of requests, clock checks a
// few more.
const (
	checkTimeout = 60 * time.Second
	clockTimeout = 120 * time.Second
)

// Register defines every check for the target in Ginkgo's global suite. The runner calls it once
// per run, after resetting Ginkgo's globals and before RunSpecs. ctx is the run's: when it ends
// (an interrupt, the deadline), requests in flight are cancelled and the checks not yet run say
// so instead of running.
func Register(ctx context.Context, t *Target) error {
	if t == nil || t.Spec == nil || t.BaseURL == nil {
		return errors.New("suites: a target needs a spec and a base URL")
	}
	if _, ok := t.Accounts[roleValid]; !ok {
		return errors.New("suites: the target has no valid account")
	}
	if len(t.Spec.OperationsOf(specs.KindLogin)) == 0 {
		return fmt.Errorf("suites: spec %s documents no login flow; there is nothing to check", t.Spec.Name)
	}
	if t.Timeout <= 0 {
		t.Timeout = 10 * time.Second
	}
	if t.MaxResponseBytes <= 0 {
		t.MaxResponseBytes = 1 << 20
	}
	red := &redactor{}
	red.add(t.Secrets...)
	if t.Client != nil {
		red.add(t.Client.Secret)
	}
	// Every value a login reads is a credential (an identifier included), and every secret field
	// of the spec's accounts is secret: none of them appears in a message or a report.
	loginFields := map[string]bool{}
	for _, op := range t.Spec.OperationsOf(specs.KindLogin) {
		for _, c := range op.Flow.Credentials {
			loginFields[c.Field] = true
		}
	}
	for _, acc := range t.Accounts {
		for k, v := range acc {
			if loginFields[k] || t.Spec.Secret(k) {
				red.add(v)
			}
		}
		if u, p := acc[specs.FieldUsername], acc[specs.FieldPassword]; p != "" {
			red.addBasic(u, p)
		}
	}
	r := &run{t: t, spec: t.Spec, red: red, checks: map[string]CheckInfo{}, clk: &clockProbe{}, observed: map[string]string{}, raw: map[string]bool{}}
	r.c = newClient(t.BaseURL, t.Timeout, t.MaxResponseBytes, t.InsecureSkipVerify, red, t.Spec)
	r.c.runCtx = ctx
	cur = r

	for _, op := range r.spec.OperationsOf(specs.KindLogin) {
		r.describe(FlowLogin, op, func(g *group) {
			loginChecks(g)
			contractChecks(g)
			schemaChecks(g)
			lifetimeChecks(g)
			queryCredentialCheck(g)
		})
	}
	// Every other protected operation refuses a call without credentials too; logout has OUT-05.
	for _, op := range r.spec.Operations {
		if op.Protected() && op != r.probeOp() && op.Flow.Kind != specs.KindLogout {
			r.describe(flowOf(op.Flow.Kind), op, missingCredentialCheck)
		}
		if op != r.probeOp() && len(op.Flow.Binds) > 0 {
			r.describe(flowOf(op.Flow.Kind), op, boundChecks)
		}
	}
	if len(r.spec.States) == 0 {
		// A rule with nothing to judge is still listed, so a report shows every rule.
		r.describe(FlowLogin, nil, func(g *group) {
			g.it("LOG-17", func(SpecContext) {})
		})
	}
	r.describeAll(FlowRefresh, specs.KindRefresh, refreshChecks)
	r.describeAll(FlowLogout, specs.KindLogout, logoutChecks)
	r.describeAll(FlowAPIKey, specs.KindAPIKeyCreate, apiKeyChecks)
	if p := r.probeOp(); p != nil {
		r.describe(FlowResource, p, func(g *group) {
			schemaChecks(g)
			headerChecks(g)
			securityChecks(g)
		})
	} else {
		r.describe(FlowResource, nil, func(g *group) {
			headerChecks(g)
			securityChecks(g)
		})
	}
	return nil
}

// flowOf is the flow label of a flow kind.
func flowOf(k specs.FlowKind) string {
	switch k {
	case specs.KindAPIKeyCreate, specs.KindAPIKeyList, specs.KindAPIKeyDelete:
		return FlowAPIKey
	case specs.KindLogin, specs.KindRefresh, specs.KindLogout:
		return string(k)
	}
	return FlowResource
}

// describeAll opens one Describe per operation of kind k, or one whose checks skip when the spec
// documents none (a check whose inputs are absent is skipped, never passed).
func (r *run) describeAll(flow string, k specs.FlowKind, body func(*group)) {
	ops := r.spec.OperationsOf(k)
	if len(ops) == 0 {
		r.describe(flow, nil, body)
		return
	}
	for _, op := range ops {
		r.describe(flow, op, body)
	}
}

// group is one Describe: a flow on one operation.
type group struct {
	r    *run
	flow string
	op   *specs.Operation // nil when the spec documents no such flow
	text string
}

func (r *run) describe(flow string, op *specs.Operation, body func(*group)) {
	g := &group{r: r, flow: flow, op: op}
	if op != nil {
		g.text = flow + " " + op.Key()
	} else {
		g.text = flow + " (not documented by the spec)"
	}
	Describe(g.text, func() { body(g) })
}

// it registers one check: one It per rule, its requirement ID and level as labels.
func (g *group) it(id string, body func(SpecContext)) {
	g.itp(id, "", g.provenance(id), checkTimeout, body)
}

// itv registers a variant of a rule (one documented credential form, say) with its own timeout.
func (g *group) itv(id, variant string, timeout time.Duration, body func(SpecContext)) {
	g.itp(id, variant, g.provenance(id), timeout, body)
}

// itp registers a variant with a provenance of its own, which sets its level.
func (g *group) itp(id, variant string, prov Provenance, timeout time.Duration, body func(SpecContext)) {
	rq := req(id)
	rq.Flow = g.flow
	text := id + " " + rq.Rule
	if variant != "" {
		text += " (" + variant + ")"
		rq.Rule += " (" + variant + ")"
	}
	info := CheckInfo{Requirement: rq, Level: prov.Level(), Provenance: prov}
	if g.op != nil {
		info.Operation = g.op.Key()
	}
	g.r.checks[g.text+" "+text] = info
	It(text, labels(id, info.Level, g.flow), SpecTimeout(timeout), func(ctx SpecContext) {
		if why := g.r.c.stopped(); why != "" {
			notRunf("%s", why)
		}
		if g.op == nil {
			switch {
			case g.flow == FlowResource:
				needInputf("neither the spec nor the target file names a protected operation to probe (target field probe)")
			case id == "LOG-17":
				skipf("the spec declares no account states of its own")
			}
			skipf("the spec documents no %s flow", g.flow)
		}
		body(ctx)
	})
}

// CheckOf returns the rule and operation of a spec by its full text (Ginkgo's
// SpecReport.FullText()).
func CheckOf(fullText string) (CheckInfo, bool) {
	if cur == nil {
		return CheckInfo{}, false
	}
	c, ok := cur.checks[fullText]
	return c, ok
}

// Redact masks every secret known to the current run (target secrets and tokens seen).
func Redact(s string) string {
	if cur == nil {
		return s
	}
	return cur.red.redact(s)
}

// FailHandler is the Gomega fail handler for the suites: it redacts the message before Ginkgo
// records it, so no matcher's output can carry a secret into a report.
func FailHandler(message string, callerSkip ...int) {
	skip := 1
	if len(callerSkip) > 0 {
		skip += callerSkip[0]
	}
	Fail(Redact(message), skip)
}

// SkipKindEntryName names the report entry a skipped check attaches: SkipNotApplicable or
// SkipMissingInput. The runner copies it into the report, where it decides whether a skipped
// MUST check forbids certification.
const SkipKindEntryName = "authconform.skip"

// Skip kinds: the outcome a skipped check reports (reports.NotApplicable, MissingInput, NotRun).
const (
	SkipNotApplicable = "not-applicable"
	SkipMissingInput  = "missing-input"
	SkipNotRun        = "not-run"
)

// skipf skips the current check because the rule does not apply: the spec documents nothing for
// it to judge, or the target's tokens or abilities make it moot.
func skipf(format string, args ...any) {
	AddReportEntry(SkipKindEntryName, SkipNotApplicable, ReportEntryVisibilityNever)
	Skip(Redact(fmt.Sprintf(format, args...)))
}

// needInputf skips the current check because the target file lacks what it needs (an account, a
// field of one, a probe, an expected value). Unlike skipf, this forbids certification when the
// check is a MUST: the vendor can supply the input.
func needInputf(format string, args ...any) {
	AddReportEntry(SkipKindEntryName, SkipMissingInput, ReportEntryVisibilityNever)
	Skip(Redact(fmt.Sprintf(format, args...)))
}

// notRunf marks the current check as not run: the run was cut short before it.
func notRunf(format string, args ...any) {
	AddReportEntry(SkipKindEntryName, SkipNotRun, ReportEntryVisibilityNever)
	Skip(Redact(fmt.Sprintf(format, args...)))
}

// Stopped says why the current run stopped sending requests ("" while it goes on): the run's
// context ended, or the target stopped answering.
func Stopped() string {
	if cur == nil {
		return ""
	}
	return cur.c.stopped()
}

// Ended says why the current run's context ended (an interrupt, the deadline), "" otherwise. A
// check failing then was cut off, not judged.
func Ended() string {
	if cur == nil {
		return ""
	}
	return cur.c.ended()
}

// failf fails the current check with a message built from the rule and what came back. The
// first line is what the console streams, so it says what was expected and what came: a message
// written rule first has its rule moved after that line.
func failf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if rest, ok := strings.CutPrefix(msg, "rule: "); ok {
		if rule, finding, found := strings.Cut(rest, "\n"); found {
			head, tail, _ := strings.Cut(finding, "\n")
			msg = strings.TrimRight(head+"\nrule: "+rule+"\n"+tail, "\n")
		}
	}
	Fail(Redact(msg), 1)
}

func lines(parts ...string) string { return strings.Join(parts, "\n") }

// WarningEntryName names the report entries a check attaches for each expectation of SHOULD level
// that did not hold while its MUST expectations did (a refusal with a 4xx, but not the status our
// reading names). The runner reports such a check as a warning.
const WarningEntryName = "authconform.warning"

// warnf records a SHOULD-level finding in the current check and lets it go on.
func warnf(format string, args ...any) {
	AddReportEntry(WarningEntryName, Redact(fmt.Sprintf(format, args...)), ReportEntryVisibilityNever)
}

// Observed returns the readings the current run found out (decision id -> choice), for the ones
// the target file did not declare.
func Observed() map[string]string {
	if cur == nil {
		return nil
	}
	return maps.Clone(cur.observed)
}

// observe records that the target follows the reading of the decision at pointer under which the
// document's value there is value (matchesDocument: the document as written, the first reading).
// It returns the reading, or "" when no reading has that value (the target follows none).
func (r *run) observe(pointer string, matchesDocument bool, value any) string {
	d, declared := r.decisionAt(pointer)
	if d == nil || declared {
		return ""
	}
	choice := ""
	if matchesDocument {
		choice = d.Readings[0].Choice
	} else {
		for _, rd := range d.Readings[1:] {
			if v, ok := rd.Set[pointer]; ok && sameJSON(v, value) {
				choice = rd.Choice
				break
			}
		}
	}
	if choice != "" {
		if _, seen := r.observed[d.ID]; !seen {
			r.observed[d.ID] = choice
			GinkgoWriter.Printf("observed: %s = %s\n", d.ID, choice)
		}
	}
	return choice
}

// sameJSON compares two decoded JSON values by their encoding ([]string and []any alike).
func sameJSON(a, b any) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(ja) == string(jb)
}
