package suites

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/authconform/authconform/specs"
)

// Provenance is where one check instance's expectation comes from, which decides its level: a
// check may fail a target only for what the vendor's document states (or implies), what the
// target file states, or a reading the target declares. Our readings of the document's gaps and
// practice the vendor did not state are SHOULDs: warnings that cite their source.
type Provenance struct {
	Basis Basis
	// Cite says where: the spec's location for a documented expectation, the decision for a
	// reading, the RFC or OWASP section for practice, the target file's field for a target one.
	Cite string
	// Quote is the vendor's own words for a documented expectation, when the spec carries them.
	Quote string
	// Decision is the decision id of a reading, also set on a documented refusal whose exact
	// status is our reading (the refusal is MUST, the exact status a warning).
	Decision string
	Declared bool // the target file declares the reading Decision names
}

// Level is MUST or SHOULD for this provenance.
func (p Provenance) Level() Level { return p.Basis.Level(p.Declared) }

// String is the one-line form reports print: "documented: paths./login.post (\"Incorrect credentials\")".
func (p Provenance) String() string {
	s := string(p.Basis)
	if p.Basis == Reading && p.Declared {
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

// specAt names an operation's place in the document as specs errors do: paths./login.post.
func specAt(op *specs.Operation) string { return "paths." + op.Path + "." + strings.ToLower(op.Method) }

// responseQuote is the vendor's description of a documented response, or "" for one we added.
func responseQuote(op *specs.Operation, status int) string {
	if op == nil || op.Op.Responses == nil || op.AddedResponses[status] != "" {
		return ""
	}
	r := op.Op.Responses.Status(status)
	if r == nil || r.Value == nil || r.Value.Description == nil {
		return ""
	}
	return strings.TrimSpace(*r.Value.Description)
}

// decisionAt is the decision whose readings change the document at pointer, and whether the
// target declares it.
func (r *run) decisionAt(pointer string) (*specs.Decision, bool) {
	d, ok := r.spec.DecisionAt(pointer)
	if !ok {
		return nil, false
	}
	_, declared := r.t.Readings[d.ID]
	return d, declared
}

// reading is the provenance of an expectation a decision's readings change.
func (r *run) reading(d *specs.Decision) Provenance {
	_, declared := r.t.Readings[d.ID]
	return Provenance{Basis: Reading, Cite: "decision " + d.ID, Decision: d.ID, Declared: declared}
}

// failureProvenance is the provenance of a refusal: the refusal itself is documented (a request
// the operation does not accept is refused); the exact status is the vendor's, or our reading.
func (r *run) failureProvenance(op *specs.Operation, f specs.Failure) Provenance {
	fs, ok := op.Flow.FailureOf(f)
	p := Provenance{Basis: Documented, Cite: specAt(op)}
	switch {
	case !ok:
		p.Cite += " documents no status for " + string(f) + "; any 4xx refuses (the general rule for refusals, docs/conformance.md)"
	case fs.Decision != "":
		_, declared := r.t.Readings[fs.Decision]
		p.Decision, p.Declared = fs.Decision, declared
		p.Cite += fmt.Sprintf(" refuses %s; its status %d is decision %s", f, fs.Status, fs.Decision)
	default:
		p.Cite += ".responses." + strconv.Itoa(fs.Status) + " (" + string(fs.Name) + ")"
		p.Quote = responseQuote(op, fs.Status)
	}
	return p
}

// provenance is the provenance of requirement id on the group's operation. Rules whose
// expectation a decision can change look at the spec; the rest keep their catalogued basis.
func (g *group) provenance(id string) Provenance {
	rq, r, op := req(id), g.r, g.op
	p := Provenance{Basis: rq.Basis, Cite: rq.Source}
	if op == nil {
		return p
	}
	switch id {
	case "LOG-05":
		return r.failureProvenance(op, specs.FailBadCredentials)
	case "LOG-13":
		return r.failureProvenance(op, specs.FailUnknownAccount)
	case "LOG-14":
		return r.failureProvenance(op, specs.FailAccountDisabled)
	case "LOG-15":
		return r.failureProvenance(op, specs.FailPasswordExpired)
	case "LOG-16", "KEY-09":
		f := specs.FailInvalidRequest
		if id == "KEY-09" {
			f = specs.FailNotFound
		}
		if fs, ok := op.Flow.FailureOf(f); ok && fs.Decision != "" {
			return r.reading(mustDecision(r.spec, fs.Decision))
		}
		fp := r.failureProvenance(op, f)
		fp.Decision = ""
		return fp
	case "REF-02":
		return r.failureProvenance(op, specs.FailInvalidCredential)
	case "OUT-05", "HDR-02":
		return r.failureProvenance(op, specs.FailMissingCredential)
	case "HDR-05":
		fp := r.failureProvenance(op, specs.FailBoundMissing)
		fp.Cite = rq.Source + "; " + fp.Cite
		return fp
	case "GRT-01":
		if len(op.Flow.Fixed) > 0 {
			fp := r.failureProvenance(op, op.Flow.Fixed[0].Failure)
			fp.Cite = specAt(op) + ".x-authconform-flow.fixed; " + fp.Cite
			return fp
		}
	case "GRT-02":
		fp := r.failureProvenance(op, specs.FailInvalidRequest)
		fp.Cite = specAt(op) + ".x-authconform-flow.fixed; " + fp.Cite
		return fp
	case "CLI-01", "CLI-02":
		fp := r.failureProvenance(op, specs.FailInvalidClient)
		fp.Cite = specAt(op) + ".x-authconform-flow.client; " + fp.Cite
		return fp
	case "CLI-03":
		p.Cite = specAt(op) + ".x-authconform-flow.client.basic"
	case "REF-04":
		p.Cite = specAt(op) + ".x-authconform-flow.onReuse"
	case "JWT-05":
		if op := r.jwksOp(); op != nil {
			p.Cite = specAt(op) + ".x-authconform-flow (kind: jwks)"
		}
	case "HDR-03", "JWT-02", "JWT-03", "JWT-04", "JWT-06", "JWT-07", "OUT-02", "LIF-08":
		fp := r.failureProvenance(op, specs.FailInvalidCredential)
		fp.Cite = rq.Source + "; " + fp.Cite
		return fp
	case "HDR-13":
		for _, alt := range op.Security {
			for _, sc := range alt {
				if sc.Impersonates != "" && sc.Added != "" {
					if d := r.decisionUnder(sc.Pointer); d != nil {
						return r.reading(d)
					}
					return Provenance{Basis: Reading, Cite: "components.securitySchemes." + sc.Name + ": " + sc.Added}
				}
			}
		}
	case "LIF-12":
		if d, _ := r.decisionAt(op.Flow.Pointer + "/rotate"); d != nil {
			return r.reading(d)
		}
		p.Cite = specAt(op) + ".x-authconform-flow.rotate"
	case "OUT-03":
		if d, _ := r.decisionAt(op.Flow.Pointer + "/endsRefresh"); d != nil {
			return r.reading(d)
		}
		p.Cite = specAt(op) + ".x-authconform-flow (endsRefresh)"
	case "KEY-07":
		for _, sc := range r.keySchemes() {
			if d, _ := r.decisionAt(sc.Pointer + "/accepts"); d != nil {
				return r.reading(d)
			}
		}
	case "LOG-01", "GEN-03", "OUT-01", "KEY-01", "REF-01":
		p.Cite = specAt(op) + ".responses." + strconv.Itoa(op.Flow.Status)
		p.Quote = responseQuote(op, op.Flow.Status)
	case "LIF-02":
		return r.lifetimeProvenance(specs.TokenAccess)
	case "LIF-16":
		return r.lifetimeProvenance(specs.TokenRefresh)
	}
	return p
}

// decisionUnder is a decision one of whose readings changes the document at or below pointer.
func (r *run) decisionUnder(pointer string) *specs.Decision {
	for i := range r.spec.Decisions {
		for _, rd := range r.spec.Decisions[i].Readings {
			for p := range rd.Set {
				if p == pointer || strings.HasPrefix(p, pointer+"/") {
					return &r.spec.Decisions[i]
				}
			}
		}
	}
	return nil
}

// lifetimeProvenance: the target file's expect, else the vendor's stated lifetime.
func (r *run) lifetimeProvenance(kind specs.TokenKind) Provenance {
	if kind == specs.TokenAccess && r.t.AccessLifetime != nil {
		return Provenance{Basis: TargetStated, Cite: "the target file's expect.accessTokenLifetime"}
	}
	if kind == specs.TokenRefresh && r.t.RefreshLifetime != nil {
		return Provenance{Basis: TargetStated, Cite: "the target file's expect.refreshTokenLifetime"}
	}
	l := &r.spec.Tokens.Access
	if kind == specs.TokenRefresh {
		l = r.spec.Tokens.Refresh
	}
	if l != nil && l.Documented {
		return Provenance{Basis: Documented, Cite: "x-authconform.tokens." + string(kind), Quote: strings.Trim(l.Source, `"`)}
	}
	// Nothing states it: the check skips for a missing input (not needed for certification), and
	// a target that states one in expect gets a MUST.
	return Provenance{Basis: Practice, Cite: "neither the vendor nor the target file (expect) states the " + string(kind) + "-token lifetime"}
}

// keySchemes are the schemes, on any operation, that accept API keys.
func (r *run) keySchemes() []*specs.Scheme {
	var out []*specs.Scheme
	for _, name := range sortedSchemeNames(r.spec) {
		if sc := r.spec.Schemes[name]; sc.AcceptsKind(specs.CredAPIKey) {
			out = append(out, sc)
		}
	}
	return out
}

func sortedSchemeNames(s *specs.Spec) []string {
	out := make([]string, 0, len(s.Schemes))
	for n := range s.Schemes {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

func mustDecision(s *specs.Spec, id string) *specs.Decision {
	d, ok := s.Decision(id)
	if !ok {
		panic("suites: spec " + s.Name + " has no decision " + id + " (the loader checks this)")
	}
	return d
}
