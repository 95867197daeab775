package specs

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Readings: where a vendor's document leaves a gap that a conforming server may fill in more than
// one way, the decision lists the readings (x-authconform.decisions[].readings). The first is the
// document as written and the mock's; every other one is the same document changed at a few JSON
// pointers (its set). WithReadings builds the spec a server following other readings would have,
// so the mock can follow one (`serve --reading`) and the suites can hold a target to the one it
// declares, both from the same model.

// checkReadings reports failure decisions that name no decision, and reading pointers whose
// parent is not in the document (a misspelt pointer would otherwise change nothing).
func checkReadings(s *Spec, doc any, p *problems) {
	for _, op := range s.Operations {
		for _, f := range sortedKeys(op.Flow.FailureDecisions) {
			id := op.Flow.FailureDecisions[f]
			if _, ok := s.Decision(id); !ok {
				p.addf(flowAt(op)+".failures."+string(f)+".decision", "no decision has the id %q (x-authconform.decisions)", id)
			}
		}
	}
	for i, d := range s.Decisions {
		for j, r := range d.Readings {
			for _, ptr := range sortedKeys(r.Set) {
				parent := ptr[:max(strings.LastIndexByte(ptr, '/'), 0)]
				if v, ok := GetPointer(doc, parent); !ok || !isObject(v) {
					p.addf(fmt.Sprintf("%s.decisions[%d].readings[%d].set", extRoot, i, j), "%q: the document has no object at %q to set it in", ptr, parent)
				}
			}
		}
	}
}

func isObject(v any) bool { _, ok := v.(map[string]any); return ok }

// ReadingError is a reading asked for that the spec does not offer.
type ReadingError struct {
	Decision, Choice string
	Problem          string
}

func (e *ReadingError) Error() string {
	return fmt.Sprintf("reading %s=%s: %s", e.Decision, e.Choice, e.Problem)
}

// Unwrap makes a ReadingError an ErrInvalid.
func (e *ReadingError) Unwrap() error { return ErrInvalid }

// CheckReading reports whether decision id offers the reading choice, as a *ReadingError that
// names the choices there are.
func (s *Spec) CheckReading(id, choice string) error {
	d, ok := s.Decision(id)
	if !ok {
		var with []string
		for _, d := range s.Decisions {
			if len(d.Readings) > 0 {
				with = append(with, d.ID)
			}
		}
		return &ReadingError{id, choice, fmt.Sprintf("spec %s has no such decision; decisions with readings: %s", s.Name, orNone(with))}
	}
	if len(d.Readings) == 0 {
		return &ReadingError{id, choice, "this decision has one reading only, so there is nothing to choose"}
	}
	if _, ok := d.Reading(choice); !ok {
		return &ReadingError{id, choice, "not a reading of this decision; choose one of " + strings.Join(d.Choices(), ", ")}
	}
	return nil
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// Reading returns the reading the spec follows for decision id: the one WithReadings chose, else
// the first (the document as written). ok is false when the decision offers no choice.
func (s *Spec) Reading(id string) (choice string, ok bool) {
	d, found := s.Decision(id)
	if !found || len(d.Readings) == 0 {
		return "", false
	}
	if c, chosen := s.Readings[id]; chosen {
		return c, true
	}
	return d.Readings[0].Choice, true
}

// WithReadings returns the spec as a server following the given readings (decision id -> choice)
// documents it: the document with each chosen reading's pointers set, loaded and checked like any
// other. Choosing a decision's first reading changes nothing. The result keeps the file, raw bytes
// and SHA-256 of the document as written, and records the choices in Readings.
func (s *Spec) WithReadings(choices map[string]string) (*Spec, error) {
	var ids []string
	for id, c := range choices {
		if err := s.CheckReading(id, c); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	slices.Sort(ids)
	if len(ids) == 0 {
		return s, nil
	}
	var doc map[string]any
	if err := json.Unmarshal(s.json, &doc); err != nil {
		return nil, &Error{File: s.File, Problem: "cannot re-read the document: " + err.Error(), Err: ErrInvalid}
	}
	for _, id := range ids {
		d, _ := s.Decision(id)
		r, _ := d.Reading(choices[id])
		for _, ptr := range sortedKeys(r.Set) {
			SetPointer(doc, ptr, r.Set[ptr])
		}
	}
	js, err := json.Marshal(doc)
	if err != nil {
		return nil, &Error{File: s.File, Problem: "cannot re-write the document: " + err.Error(), Err: ErrInvalid}
	}
	out, err := parse(s.File, s.Raw, js)
	if err != nil {
		return nil, fmt.Errorf("the readings %v make the spec invalid: %w", choices, err)
	}
	out.Readings = maps.Clone(choices)
	return out, nil
}
