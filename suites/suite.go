package suites

import (
	"errors"
	"fmt"
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

	ClockControl       bool // use the mock's admin clock API when the target answers it
	InsecureSkipVerify bool
	Timeout            time.Duration // per request
	MaxResponseBytes   int64
	Secrets            []string // values from the target file to redact everywhere
}

// Account roles the suites use.
const (
	roleValid    = "valid"
	roleOther    = "other"
	roleDisabled = "disabled"
	roleExpired  = "expired"
)

// CheckInfo says which rule a registered spec checks and on which operation.
type CheckInfo struct {
	Requirement
	Operation string // "METHOD /path", empty when the flow is absent from the spec
}

// run is the state of one registered suite: the runner registers, runs, then reads CheckOf.
type run struct {
	t      *Target
	spec   *specs.Spec
	c      *client
	red    *redactor
	checks map[string]CheckInfo
	clk    *clockProbe
}

var cur *run

// Timeouts of one check (SpecTimeout): ordinary checks make a handful of requests, clock checks a
// few more.
const (
	checkTimeout = 60 * time.Second
	clockTimeout = 120 * time.Second
)

// Register defines every check for the target in Ginkgo's global suite. The runner calls it once
// per run, after resetting Ginkgo's globals and before RunSpecs.
func Register(t *Target) error {
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
	// Every value a login reads is a credential (a username or company id included): none of them
	// appears in a message or a report.
	loginFields := map[string]bool{specs.FieldPassword: true, specs.FieldAPIKey: true}
	for _, op := range t.Spec.OperationsOf(specs.KindLogin) {
		for _, c := range op.Flow.Credentials {
			loginFields[c.Field] = true
		}
	}
	for _, acc := range t.Accounts {
		for k, v := range acc {
			if loginFields[k] {
				red.add(v)
			}
		}
		if u, p := acc[specs.FieldUsername], acc[specs.FieldPassword]; p != "" {
			red.addBasic(u, p)
		}
	}
	r := &run{t: t, spec: t.Spec, red: red, checks: map[string]CheckInfo{}, clk: &clockProbe{}}
	r.c = newClient(t.BaseURL, t.Timeout, t.MaxResponseBytes, t.InsecureSkipVerify, red, t.Spec)
	cur = r

	for _, op := range r.spec.OperationsOf(specs.KindLogin) {
		r.describe(FlowLogin, op, func(g *group) {
			loginChecks(g)
			schemaChecks(g)
			lifetimeChecks(g)
			queryCredentialCheck(g)
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
func (g *group) it(id string, body func(SpecContext)) { g.itv(id, "", checkTimeout, body) }

// itv registers a variant of a rule (one documented credential form, say) with its own timeout.
func (g *group) itv(id, variant string, timeout time.Duration, body func(SpecContext)) {
	rq := req(id)
	rq.Flow = g.flow
	text := id + " " + rq.Rule
	if variant != "" {
		text += " (" + variant + ")"
		rq.Rule += " (" + variant + ")"
	}
	info := CheckInfo{Requirement: rq}
	if g.op != nil {
		info.Operation = g.op.Key()
	}
	g.r.checks[g.text+" "+text] = info
	It(text, rq.labels(g.flow), SpecTimeout(timeout), func(ctx SpecContext) {
		if g.op == nil {
			if g.flow == FlowResource {
				needInputf("neither the spec nor the target file names a protected operation to probe (target field probe)")
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

// Skip kinds (reports.NotApplicable and reports.MissingInput).
const (
	SkipNotApplicable = "notApplicable"
	SkipMissingInput  = "missingInput"
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

// failf fails the current check with a message built from the rule and what came back.
func failf(format string, args ...any) {
	Fail(Redact(fmt.Sprintf(format, args...)), 1)
}

func lines(parts ...string) string { return strings.Join(parts, "\n") }
