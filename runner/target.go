package runner

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/authconform/authconform/specs"
)

// ErrConfig marks a target file or run configuration the user must fix (exit code 2).
var ErrConfig = errors.New("invalid configuration")

// maxTargetSize bounds what LoadTarget reads; a target file is a few hundred bytes.
const maxTargetSize = 1 << 20

// Roles are the account roles a target file may name, besides one per account state the spec
// declares (LOG-17). valid is required; the others enable checks that do not apply, with the
// reason, when their account is absent.
var Roles = []string{RoleValid, RoleOther, RoleDisabled, RoleExpired}

// Account roles.
const (
	RoleValid    = "valid"    // a working account
	RoleOther    = "other"    // a second working account, for isolation checks
	RoleDisabled = "disabled" // an account the target refuses to log in
	RoleExpired  = "expired"  // an account whose password has expired
)

// Clock control modes (target field clockControl).
const (
	ClockAuto = "auto" // use the mock's admin clock API when the target answers it (default)
	ClockOff  = "off"  // never touch the target's clock; clock checks are skipped
)

// Target is a parsed target file: what to test, with which accounts, and what to expect where the
// spec is silent. The file format is a contract: fields may be added, none renamed.
//
//	spec: acme                     # a bundled spec name, or a path to an OpenAPI file (relative to the target file)
//	baseURL: http://127.0.0.1:9000 # the URL the spec's paths hang under
//	accounts:                      # by role: valid (required), other, disabled, expired
//	  valid: {username: user, password: "${ACME_PASSWORD}"}
//	probe: {method: GET, path: /api/v2/customers}  # optional: a documented protected operation
//	expect: {accessTokenLifetime: 24h, refreshTokenLifetime: 360d}
//	fields: {accessToken: /token, refreshToken: /refreshToken}  # JSON pointers into token responses
//	readings: {acme-authorization: bare}      # optional: the readings of the spec's gaps it follows
//	clockControl: auto             # auto (default): use the mock's clock API if offered; off: never
//	insecureSkipVerify: false      # skip TLS verification (also --insecure-skip-verify)
//	timeout: 10s                   # per-request timeout (default 10s)
//	maxResponseBytes: 1048576      # cap on a response body (default 1 MiB)
//
// Any account value may be "${ENV_VAR}"; an unset variable is an error. Values read from the
// environment, passwords, API keys and other secret-looking fields are redacted from all output.
type Target struct {
	File     string // the path it was read from
	SpecRef  string // the spec field as written
	Spec     *specs.Spec
	BaseURL  *url.URL
	Accounts map[string]map[string]string // role -> account field -> value
	Probe    *Probe
	Expect   Expect
	Fields   Fields
	// Readings are the readings of the spec's decisions the target declares it follows (decision
	// id -> choice); Spec already follows them. The checks that depend on them are then MUST.
	Readings           map[string]string
	ClockControl       string
	InsecureSkipVerify bool
	Timeout            time.Duration
	MaxResponseBytes   int64
	Secrets            []string // values to redact everywhere
	// Client is the OAuth 2 client (client: {id, secret}) for flows that authenticate their
	// client; nil when the file names none.
	Client *specs.Client
	// AdminURL is the root of the target's authconform admin API when the run knows it (a run in
	// a sandbox: UseSandbox sets it), for the clock control; nil: found by asking the target.
	AdminURL *url.URL

	// where the spec-dependent fields stood, so checking them against the spec can name the line
	nodes targetNodes
}

// targetNodes are where the fields whose meaning depends on the spec stand in the file.
type targetNodes struct {
	accountFields map[string]map[string]specs.Pos // role -> field -> where its key stands
	roles         map[string]specs.Pos            // role -> where its key stands
	readings      map[string]specs.Pos            // decision id -> where its key stands
}

// Probe names a documented protected operation to test credentials on.
type Probe struct {
	Method string
	Path   string
}

// Expect holds what the spec leaves open; nil means unknown.
type Expect struct {
	AccessTokenLifetime  *time.Duration
	RefreshTokenLifetime *time.Duration
}

// Fields are JSON pointers into token responses, overriding the spec's.
type Fields struct {
	AccessToken  string
	RefreshToken string
}

// TargetError is a located problem in a target file.
type TargetError struct {
	File    string
	Line    int // 0 when unknown
	Column  int
	Field   string // dotted path, e.g. accounts.valid.password
	Problem string
	Err     error
}

func (e *TargetError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", e.Line, e.Column)
	}
	if e.Field != "" {
		b.WriteString(": " + e.Field)
	}
	b.WriteString(": " + e.Problem)
	return b.String()
}

// Unwrap lets errors.Is find ErrConfig and the cause.
func (e *TargetError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrConfig, e.Err}
	}
	return []error{ErrConfig}
}

// LoadTarget reads and checks a target file; getenv expands ${VAR} references (nil: os.Getenv).
// Every error is a *TargetError wrapping ErrConfig.
func LoadTarget(path string, getenv func(string) string) (*Target, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &TargetError{File: path, Problem: "cannot read the target file: " + errText(err), Err: err}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxTargetSize+1))
	if err != nil {
		return nil, &TargetError{File: path, Problem: "cannot read the target file: " + errText(err), Err: err}
	}
	if len(data) > maxTargetSize {
		return nil, &TargetError{File: path, Problem: fmt.Sprintf("is larger than %d bytes; a target file is a few lines", maxTargetSize)}
	}
	t, err := ParseTarget(path, data, getenv)
	if err != nil {
		return nil, err
	}
	if err := t.loadSpec(); err != nil {
		return nil, err
	}
	return t, nil
}

func errText(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// ParseTarget parses a target file's bytes without loading its spec (Spec stays nil); file names it
// in errors. LoadTarget is ParseTarget plus loading the spec and checking the probe against it.
func ParseTarget(file string, data []byte, getenv func(string) string) (*Target, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	doc, err := specs.ReadYAML(file, data)
	if err != nil {
		return nil, fromSpecsError(file, err)
	}
	if doc.Value == nil {
		return nil, &TargetError{File: file, Problem: "is empty; a target file needs at least spec, baseURL and accounts.valid"}
	}
	var raw rawTarget
	if err := doc.Decode(&raw); err != nil {
		return nil, fromSpecsError(file, err)
	}
	t := &Target{File: file, ClockControl: ClockAuto, Timeout: 10 * time.Second, MaxResponseBytes: 1 << 20, Accounts: map[string]map[string]string{}}
	p := &parser{doc: doc, getenv: getenv}
	if err := p.target(&raw, t); err != nil {
		return nil, err
	}
	sort.Strings(t.Secrets)
	t.Secrets = slices.Compact(t.Secrets)
	return t, nil
}

// loadSpec loads the named spec (a path is relative to the target file) and checks the probe.
func (t *Target) loadSpec() error {
	ref := t.SpecRef
	if strings.ContainsAny(ref, `/\`) || strings.HasSuffix(ref, ".yaml") || strings.HasSuffix(ref, ".yml") || strings.HasSuffix(ref, ".json") {
		if !strings.HasPrefix(ref, "/") {
			dir := t.File[:strings.LastIndexAny(t.File, `/\`)+1]
			ref = dir + ref
		}
	}
	s, err := specs.Load(ref)
	if err != nil {
		return &TargetError{File: t.File, Field: "spec", Problem: err.Error(), Err: err}
	}
	if err := t.checkAgainstSpec(s); err != nil {
		return err
	}
	if s, err = s.WithReadings(t.Readings); err != nil {
		return &TargetError{File: t.File, Field: "readings", Problem: err.Error(), Err: err}
	}
	t.Spec = s
	if t.Probe != nil {
		if _, ok := t.ProbeOperation(); !ok {
			return &TargetError{File: t.File, Field: "probe", Problem: fmt.Sprintf("%s %s is not a documented operation of spec %s", t.Probe.Method, t.Probe.Path, s.Name)}
		}
	}
	return nil
}

// ProbeOperation returns the operation the target's probe names, or the spec's own probe.
func (t *Target) ProbeOperation() (*specs.Operation, bool) {
	if t.Spec == nil {
		return nil, false
	}
	if t.Probe == nil {
		if t.Spec.Probe == "" {
			return nil, false
		}
		return t.Spec.Operation(t.Spec.Probe)
	}
	for _, op := range t.Spec.Operations {
		if op.Method == t.Probe.Method && op.Path == t.Probe.Path {
			return op, true
		}
	}
	return nil, false
}

// checkAgainstSpec refuses account fields the spec never reads (a typo such as pasword would
// otherwise turn into a dozen refused logins) and readings the spec does not offer.
func (t *Target) checkAgainstSpec(s *specs.Spec) error {
	if t.Client == nil {
		for _, op := range s.Operations {
			if op.Flow.Client != nil {
				return &TargetError{File: t.File, Field: "client",
					Problem: fmt.Sprintf("spec %s authenticates the client of %s (%s); name one: client: {id: ..., secret: ...}", s.Name, op.ID, op.Key())}
			}
		}
	}
	known := s.AccountFields()
	roles := slices.Clone(Roles)
	for _, st := range s.States {
		roles = append(roles, string(st.Name))
	}
	for _, role := range slices.Sorted(maps.Keys(t.Accounts)) {
		if !slices.Contains(roles, role) {
			pos := t.nodes.roles[role]
			return &TargetError{File: t.File, Line: pos.Line, Column: pos.Column, Field: "accounts." + role,
				Problem: fmt.Sprintf("unknown role %q: spec %s takes %s", role, s.Name, strings.Join(roles, ", "))}
		}
	}
	for _, role := range roles {
		fields := t.nodes.accountFields[role]
		for _, name := range slices.Sorted(maps.Keys(fields)) {
			if !slices.Contains(known, name) {
				pos := fields[name]
				return &TargetError{File: t.File, Line: pos.Line, Column: pos.Column, Field: "accounts." + role + "." + name,
					Problem: fmt.Sprintf("unknown field %q: spec %s reads %s from an account", name, s.Name, strings.Join(known, ", "))}
			}
		}
	}
	for _, id := range slices.Sorted(maps.Keys(t.Readings)) {
		if err := s.CheckReading(id, t.Readings[id]); err != nil {
			var re *specs.ReadingError
			errors.As(err, &re)
			pos := t.nodes.readings[id]
			return &TargetError{File: t.File, Line: pos.Line, Column: pos.Column, Field: "readings." + id, Problem: re.Problem, Err: err}
		}
	}
	return nil
}
