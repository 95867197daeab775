package specs

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
)

//go:embed *.yaml
var bundled embed.FS

// bundledJSON holds each bundled spec in JSON, written from its YAML by `go generate ./specs`
// (tools/genjson, in the tools module): loading a bundled spec skips the YAML parser, about a
// third of the mock's cold start. The YAML stays the source of truth and of Spec.Raw and
// Spec.SHA256; TestBundledJSONCurrent fails while the JSON is stale.
//
//go:generate go -C ../tools run ./genjson ../specs
//go:embed json/*.json
var bundledJSON embed.FS

// maxFileSize bounds what Load reads; vendor documents are kilobytes.
const maxFileSize = 8 << 20

// Names lists the bundled specs, sorted.
func Names() []string {
	entries, _ := fs.ReadDir(bundled, ".")
	var out []string
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), ".yaml"); ok {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// LoadAll loads every bundled spec, in name order. The documents are parsed and validated
// concurrently: loading is CPU-bound and most of the mock's cold start.
func LoadAll() ([]*Spec, error) {
	names := Names()
	out := make([]*Spec, len(names))
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	for i, n := range names {
		wg.Go(func() { out[i], errs[i] = Load(n) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Load loads a bundled spec by name ("pixfile") or a document from a file path. A path is anything
// with a slash or a .yaml, .yml or .json suffix; a user's own file goes through exactly the same
// checks as a bundled one.
func Load(nameOrPath string) (*Spec, error) {
	if !looksLikePath(nameOrPath) {
		data, err := bundled.ReadFile(nameOrPath + ".yaml")
		if err != nil {
			return nil, &Error{File: nameOrPath, Problem: fmt.Sprintf("no bundled spec of that name (bundled: %s); to load a file, give its path", strings.Join(Names(), ", ")), Err: ErrUnknownSpec}
		}
		js, err := bundledJSON.ReadFile("json/" + nameOrPath + ".json")
		if err != nil { // a new spec whose JSON was not generated yet: the YAML alone will do
			js = nil
		}
		return parse("bundled:"+nameOrPath+".yaml", data, js)
	}
	data, err := readFile(nameOrPath)
	if err != nil {
		return nil, err
	}
	return Parse(nameOrPath, data)
}

func looksLikePath(s string) bool {
	if strings.ContainsAny(s, `/\`) {
		return true
	}
	switch strings.ToLower(filepath.Ext(s)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, &Error{File: path, Problem: "no such file", Err: errors.Join(ErrUnknownSpec, err)}
		}
		return nil, &Error{File: path, Problem: "cannot read: " + err.Error(), Err: err}
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, &Error{File: path, Problem: "cannot read: " + err.Error(), Err: err}
	}
	if st.IsDir() {
		return nil, &Error{File: path, Problem: "is a directory, not a spec file", Err: ErrInvalid}
	}
	if st.Size() > maxFileSize {
		return nil, &Error{File: path, Problem: fmt.Sprintf("is %d bytes; a spec file may be at most %d", st.Size(), maxFileSize), Err: ErrInvalid}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{File: path, Problem: "cannot read: " + err.Error(), Err: err}
	}
	return data, nil
}

// Parse loads a document from bytes; file names it in errors and in Spec.File. External $refs
// are refused: a spec must be one self-contained file, so its SHA-256 identifies it completely.
func Parse(file string, data []byte) (*Spec, error) {
	return parse(file, data, nil)
}

// parse is Parse with the document already converted to JSON (js), or nil to convert data.
func parse(file string, data, js []byte) (s *Spec, err error) {
	defer func() {
		// kin-openapi has panicked on hostile documents before; a spec author gets an error, not a crash.
		if r := recover(); r != nil {
			s, err = nil, &Error{File: file, Problem: fmt.Sprintf("the document could not be read (%v)", r), Err: ErrInvalid}
		}
	}()
	if len(data) > maxFileSize {
		return nil, &Error{File: file, Problem: fmt.Sprintf("is %d bytes; a spec file may be at most %d", len(data), maxFileSize), Err: ErrInvalid}
	}
	// YAML is parsed once (ReadYAML, which also notes where each value stands, for located
	// errors) into JSON; the reference check and kin-openapi both read the JSON, which is several
	// times cheaper to decode than YAML and is most of a cold start. A bundled spec comes with its
	// JSON twin and skips the YAML parser.
	var d *Document
	if js == nil {
		if d, err = ReadYAML(file, data); err != nil {
			return nil, err
		}
		if js, err = d.JSON(); err != nil {
			return nil, &Error{File: file, Problem: "not a readable OpenAPI document: " + err.Error(), Err: errors.Join(ErrInvalid, err)}
		}
	} else {
		var v any
		if err := json.Unmarshal(js, &v); err != nil {
			return nil, &Error{File: file, Problem: "not a readable OpenAPI document: " + err.Error(), Err: errors.Join(ErrInvalid, err)}
		}
		d = DocumentOf(file, v)
	}
	if err := checkRefs(d); err != nil {
		return nil, err
	}
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	doc, err := loader.LoadFromDataWithPath(js, &url.URL{Path: filepath.ToSlash(file)})
	if err != nil {
		return nil, &Error{File: file, Problem: "not a readable OpenAPI document: " + cleanKinError(err), Err: errors.Join(ErrInvalid, err)}
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.0") {
		return nil, &Error{File: file, Pointer: "openapi", Problem: fmt.Sprintf("version %q is not supported; write an OpenAPI 3.0 document", doc.OpenAPI), Err: ErrInvalid}
	}
	if err := doc.Validate(context.Background(), openapi3.EnableSchemaFormatValidation()); err != nil {
		return nil, &Error{File: file, Problem: "not a valid OpenAPI 3 document: " + cleanKinError(err), Err: errors.Join(ErrInvalid, err)}
	}
	p := &problems{file: file, doc: d}
	s = build(doc, p)
	if s != nil {
		checkReadings(s, d.Value, p)
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	s.File, s.Raw, s.SHA256, s.json = file, data, hex.EncodeToString(sum[:]), js
	return s, nil
}

// cleanKinError keeps kin-openapi's message but drops the noise of wrapped prefixes.
func cleanKinError(err error) string {
	return strings.TrimSpace(strings.ReplaceAll(err.Error(), "\n", "; "))
}
