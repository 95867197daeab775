package reports

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestSchemaFileIsVersioned(t *testing.T) {
	var s struct {
		ID         string `json:"$id"`
		Properties struct {
			SchemaVersion struct {
				Enum []int `json:"enum"`
			} `json:"schemaVersion"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(SchemaJSON(), &s); err != nil {
		t.Fatal(err)
	}
	enum := s.Properties.SchemaVersion.Enum
	if len(enum) == 0 || enum[len(enum)-1] != SchemaVersion {
		t.Errorf("schema.json accepts schemaVersion %v; the newest must be SchemaVersion %d", enum, SchemaVersion)
	}
	if !strings.HasSuffix(s.ID, "#v"+string(rune('0'+SchemaVersion))) {
		t.Errorf("schema.json $id %q does not name version %d", s.ID, SchemaVersion)
	}
}

// TestJSONReportsValidate validates what WriteJSON writes, and the golden file, against
// schema.json, and checks that the schema refuses what is not a report.
func TestJSONReportsValidate(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJSON(&b, sample()); err != nil {
		t.Fatal(err)
	}
	golden, err := os.ReadFile(filepath.Join("testdata", "report.json.golden"))
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"written": b.Bytes(), "golden": golden} {
		if err := ValidateJSON(data); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		r, err := ReadJSON(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: ReadJSON: %v", name, err)
		}
		var again bytes.Buffer
		_ = WriteJSON(&again, r)
		if !bytes.Equal(again.Bytes(), data) {
			t.Errorf("%s: reading and writing a report changes it", name)
		}
	}
	good := b.String()
	tests := []struct {
		name string
		data string
		want string
	}{
		{"unknown status", strings.Replace(good, `"status": "passed"`, `"status": "ok"`, 1), "status"},
		{"unknown member", strings.Replace(good, `"labelFilter"`, `"colour": "red", "labelFilter"`, 1), "colour"},
		{"no checks", strings.Replace(good, `"checks"`, `"cheques"`, 1), "checks"},
		{"level lower case", strings.Replace(good, `"level": "MUST"`, `"level": "must"`, 1), "level"},
		{"newer version", strings.Replace(good, `"schemaVersion": 3`, `"schemaVersion": 9`, 1), "newer than this authconform reads"},
		{"bad provenance basis", strings.Replace(good, `"basis": "practice"`, `"basis": "hearsay"`, 1), "basis"},
		{"bad reading how", strings.Replace(good, `"how": "observed"`, `"how": "guessed"`, 1), "how"},
		{"an array", "[]", "not a JSON object"},
		{"two documents", good + good, "data follows"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.data == good {
				t.Fatal("the case changes nothing")
			}
			err := ValidateJSON([]byte(tt.data))
			if err == nil {
				t.Fatal("validated")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error lacks %q: %v", tt.want, err)
			}
		})
	}
}

// FuzzReadJSON: reading a report from outside never panics, and what it accepts writes back.
func FuzzReadJSON(f *testing.F) {
	var b bytes.Buffer
	_ = WriteJSON(&b, sample())
	f.Add(b.Bytes())
	f.Add([]byte(`{"schemaVersion":2}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ReadJSON(bytes.NewReader(data))
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := WriteJSON(&out, r); err != nil {
			t.Fatal(err)
		}
	})
}

// schemaProps collects every property name of the schema, by JSON path ("checks[].lifetime.token").
func schemaProps(prefix string, s map[string]any, out map[string]bool) {
	props, _ := s["properties"].(map[string]any)
	for name, sub := range props {
		p := prefix + name
		out[p] = true
		m, _ := sub.(map[string]any)
		if items, ok := m["items"].(map[string]any); ok {
			schemaProps(p+"[].", items, out)
		}
		schemaProps(p+".", m, out)
	}
}

// structProps collects every JSON member name of a Go type the same way.
func structProps(prefix string, t reflect.Type, out map[string]bool) {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		if t.Kind() == reflect.Slice {
			prefix = strings.TrimSuffix(prefix, ".") + "[]."
		}
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || t == reflect.TypeOf(time.Time{}) {
		return
	}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		out[prefix+name] = true
		structProps(prefix+name+".", f.Type, out)
	}
}

// TestSchemaMatchesTheReportType: schema.json, the Report type and doc.go name the same members,
// so none of them drifts without the others (and without a new schemaVersion when one is renamed).
func TestSchemaMatchesTheReportType(t *testing.T) {
	var s map[string]any
	if err := json.Unmarshal(SchemaJSON(), &s); err != nil {
		t.Fatal(err)
	}
	inSchema, inType := map[string]bool{}, map[string]bool{}
	schemaProps("", s, inSchema)
	structProps("", reflect.TypeOf(Report{}), inType)
	if len(inType) < 30 || len(inSchema) < 30 {
		t.Fatalf("only %d members in the type, %d in the schema: the walk is broken", len(inType), len(inSchema))
	}
	for p := range inType {
		if !inSchema[p] {
			t.Errorf("Report has member %s; schema.json does not", p)
		}
	}
	for p := range inSchema {
		if !inType[p] {
			t.Errorf("schema.json has member %s; Report does not", p)
		}
	}
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	for p := range inSchema {
		name := p[strings.LastIndexAny(p, ".")+1:]
		if !bytes.Contains(doc, []byte(`"`+name+`"`)) {
			t.Errorf("doc.go does not document the member %s", p)
		}
	}
}

// A report written by the previous schema version (2) still reads, renders with the outcome
// words, keeps its bytes when written again, and a signed one still verifies.
func TestVersion2ReportsStillRead(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "v2.report.json"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := ReadJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if r.SchemaVersion != 2 {
		t.Fatalf("schemaVersion %d, want the fixture's 2", r.SchemaVersion)
	}
	var again bytes.Buffer
	if err := WriteJSON(&again, r); err != nil || !bytes.Equal(again.Bytes(), data) {
		t.Errorf("writing a version 2 report again changes it (err %v)", err)
	}
	outcomes := map[string]Status{}
	for _, c := range r.Checks {
		outcomes[c.ID] = c.Outcome()
	}
	for id, want := range map[string]Status{"LOG-03": Warning, "LOG-05": Failed, "LOG-14": MissingInput, "REF-01": NotApplicable, "KEY-01": NotRun} {
		if outcomes[id] != want {
			t.Errorf("%s: outcome %q, want %q", id, outcomes[id], want)
		}
	}
	var html bytes.Buffer
	if err := WriteHTML(&html, r); err != nil || !strings.Contains(html.String(), ">missing input<") {
		t.Errorf("the HTML of a version 2 report does not show its outcome words (err %v)", err)
	}
	signed, err := os.ReadFile(filepath.Join("testdata", "v2.signed.json"))
	if err != nil {
		t.Fatal(err)
	}
	_, pub := testKey(t, 1)
	if _, err := Verify(signed, pub); err != nil {
		t.Errorf("a signed version 2 report no longer verifies: %v", err)
	}
}
