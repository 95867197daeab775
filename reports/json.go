package reports

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
)

// WriteJSON writes the report as indented JSON, checks in their deterministic order. Times are
// written in UTC so the same run data gives the same bytes wherever it is rendered.
func WriteJSON(w io.Writer, r *Report) error {
	c := *r
	c.Checks = append([]Check(nil), r.Checks...)
	c.Sort()
	c.Started, c.Finished = c.Started.UTC(), c.Finished.UTC()
	if c.Checks == nil {
		c.Checks = []Check{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(&c)
}

//go:embed schema.json
var schemaJSON []byte

// SchemaJSON returns the JSON Schema of the report (reports/schema.json).
func SchemaJSON() []byte { return bytes.Clone(schemaJSON) }

var reportSchema = sync.OnceValues(func() (*openapi3.Schema, error) {
	var s openapi3.Schema
	if err := json.Unmarshal(schemaJSON, &s); err != nil {
		return nil, fmt.Errorf("reports/schema.json: %w", err)
	}
	return &s, nil
})

// ValidateJSON checks a JSON document against the report's schema (reports/schema.json).
func ValidateJSON(data []byte) error {
	var v any
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&v); err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("not one JSON document: data follows the report")
	}
	m, ok := v.(map[string]any)
	if !ok {
		return errors.New("not a report: the document is not a JSON object")
	}
	if sv, ok := m["schemaVersion"].(float64); ok && sv > SchemaVersion {
		return fmt.Errorf("schemaVersion %v is newer than this authconform reads (%d); use a newer authconform", sv, SchemaVersion)
	}
	s, err := reportSchema()
	if err != nil {
		return err
	}
	if err := s.VisitJSON(v, openapi3.MultiErrors()); err != nil {
		return fmt.Errorf("not a valid report (schema version %d): %w", SchemaVersion, err)
	}
	return nil
}

// ReadJSON reads a JSON report: it validates it against the schema, then decodes it strictly
// (no unknown member, nothing after the report).
func ReadJSON(rd io.Reader) (*Report, error) {
	data, err := io.ReadAll(io.LimitReader(rd, 64<<20))
	if err != nil {
		return nil, err
	}
	if err := ValidateJSON(data); err != nil {
		return nil, err
	}
	var r Report
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("not a valid report: %w", err)
	}
	return &r, nil
}
