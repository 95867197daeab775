package reports

import (
	"encoding/json"
	"io"
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
