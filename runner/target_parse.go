package runner

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/authconform/authconform/specs"
)

// The target file is read like every file a user writes: specs.ReadYAML, then the strict decoder
// into rawTarget (unknown and duplicate fields, wrong types and missing required fields are
// errors with the file, line, column and field), then the checks below, located the same way.

type rawTarget struct {
	Spec               specs.Text                       `yaml:"spec,required"`
	BaseURL            specs.Text                       `yaml:"baseURL,required"`
	Accounts           map[string]map[string]specs.Text `yaml:"accounts,required"`
	Probe              *rawProbe                        `yaml:"probe"`
	Expect             *rawExpect                       `yaml:"expect"`
	Fields             *rawFields                       `yaml:"fields"`
	Readings           map[string]specs.Text            `yaml:"readings"`
	ClockControl       specs.Text                       `yaml:"clockControl"`
	InsecureSkipVerify *bool                            `yaml:"insecureSkipVerify"`
	Timeout            *specs.Duration                  `yaml:"timeout"`
	MaxResponseBytes   *int64                           `yaml:"maxResponseBytes"`
	Client             *rawClient                       `yaml:"client"`
}

type rawClient struct {
	ID     specs.Text `yaml:"id,required"`
	Secret specs.Text `yaml:"secret"`
}

type rawProbe struct {
	Method specs.Text `yaml:"method"`
	Path   specs.Text `yaml:"path"`
}

type rawExpect struct {
	AccessTokenLifetime  *specs.Duration `yaml:"accessTokenLifetime"`
	RefreshTokenLifetime *specs.Duration `yaml:"refreshTokenLifetime"`
}

type rawFields struct {
	AccessToken  specs.Text `yaml:"accessToken"`
	RefreshToken specs.Text `yaml:"refreshToken"`
}

// parser checks a decoded target file, locating each problem through the document.
type parser struct {
	doc    *specs.Document
	getenv func(string) string
}

// errf is a TargetError at the field whose value sits at pointer.
func (p *parser) errf(pointer, field, format string, args ...any) error {
	e := &TargetError{File: p.doc.File, Field: field, Problem: fmt.Sprintf(format, args...)}
	if pos, ok := p.doc.At(pointer); ok {
		e.Line, e.Column = pos.Line, pos.Column
	}
	return e
}

// fromSpecsError turns the reader's and decoder's located errors into the first TargetError.
func fromSpecsError(file string, err error) error {
	var es specs.Errors
	var e *specs.Error
	switch {
	case errors.As(err, &es) && len(es) > 0:
		e = es[0]
	case errors.As(err, &e):
	default:
		return &TargetError{File: file, Problem: err.Error(), Err: err}
	}
	problem := e.Problem
	if strings.HasPrefix(problem, "want a mapping") && e.Pointer == "" {
		problem = "want a mapping of fields (spec, baseURL, accounts, ...), found " + strings.TrimPrefix(problem, "want a mapping, found ")
	}
	return &TargetError{File: file, Line: e.Line, Column: e.Column, Field: e.Pointer, Problem: problem}
}

var rolePattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]{0,39}$`)

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// expand replaces ${VAR} references; fromEnv reports whether any was used.
func (p *parser) expand(pointer, field, s string) (out string, fromEnv bool, err error) {
	var missing string
	out = envRef.ReplaceAllStringFunc(s, func(m string) string {
		name := envRef.FindStringSubmatch(m)[1]
		v := p.getenv(name)
		if v == "" && missing == "" {
			missing = name
		}
		fromEnv = true
		return v
	})
	if missing != "" {
		return "", false, p.errf(pointer, field, "environment variable %s is not set (or empty)", missing)
	}
	if strings.Contains(out, "${") && !fromEnv {
		return "", false, p.errf(pointer, field, "%q: write an environment reference as ${NAME}", s)
	}
	return out, fromEnv, nil
}

// secretField reports whether an account field holds a secret by its name.
func secretField(name string) bool {
	l := strings.ToLower(name)
	for _, s := range []string{"password", "secret", "key", "token", "pin", "passphrase"} {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

func (p *parser) target(raw *rawTarget, t *Target) error {
	t.SpecRef = strings.TrimSpace(string(raw.Spec))
	if t.SpecRef == "" {
		return p.errf("/spec", "spec", "is empty")
	}
	base, _, err := p.expand("/baseURL", "baseURL", strings.TrimSpace(string(raw.BaseURL)))
	if err != nil {
		return err
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return p.errf("/baseURL", "baseURL", "%q is not an http or https URL", base)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return p.errf("/baseURL", "baseURL", "a base URL has no user info, query or fragment; put accounts under accounts")
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	t.BaseURL = u
	if raw.Client != nil {
		id, _, err := p.expand("/client/id", "client.id", strings.TrimSpace(string(raw.Client.ID)))
		if err != nil {
			return err
		}
		if id == "" {
			return p.errf("/client/id", "client.id", "is empty")
		}
		secret, _, err := p.expand("/client/secret", "client.secret", string(raw.Client.Secret))
		if err != nil {
			return err
		}
		t.Client = &specs.Client{ID: id, Secret: secret}
		if secret != "" {
			t.Secrets = append(t.Secrets, secret)
		}
	}
	if err := p.accounts(raw.Accounts, t); err != nil {
		return err
	}
	if raw.Probe != nil {
		pr := &Probe{Method: strings.ToUpper(string(raw.Probe.Method)), Path: string(raw.Probe.Path)}
		if pr.Method == "" || pr.Path == "" {
			return p.errf("/probe", "probe", "needs both method and path")
		}
		if !strings.HasPrefix(pr.Path, "/") {
			return p.errf("/probe/path", "probe.path", "%q: a path starts with / (relative to baseURL)", pr.Path)
		}
		t.Probe = pr
	}
	if e := raw.Expect; e != nil {
		for _, l := range []struct {
			name string
			d    *specs.Duration
			to   **time.Duration
		}{{"accessTokenLifetime", e.AccessTokenLifetime, &t.Expect.AccessTokenLifetime}, {"refreshTokenLifetime", e.RefreshTokenLifetime, &t.Expect.RefreshTokenLifetime}} {
			if l.d == nil {
				continue
			}
			if *l.d <= 0 {
				return p.errf("/expect/"+l.name, "expect."+l.name, "a lifetime must be positive")
			}
			d := l.d.D()
			*l.to = &d
		}
	}
	if f := raw.Fields; f != nil {
		for _, fp := range []struct {
			name, value string
			to          *string
		}{{"accessToken", string(f.AccessToken), &t.Fields.AccessToken}, {"refreshToken", string(f.RefreshToken), &t.Fields.RefreshToken}} {
			if fp.value == "" {
				continue
			}
			if !strings.HasPrefix(fp.value, "/") {
				return p.errf("/fields/"+fp.name, "fields."+fp.name, "%q is not a JSON pointer; write it like /token", fp.value)
			}
			*fp.to = fp.value
		}
	}
	if raw.Readings != nil {
		t.Readings = map[string]string{}
		t.nodes.readings = map[string]specs.Pos{}
		for id, choice := range raw.Readings {
			if strings.TrimSpace(string(choice)) == "" {
				return p.errf("/readings/"+escape(id), "readings."+id, "is empty")
			}
			t.Readings[id] = string(choice)
			t.nodes.readings[id], _ = p.doc.At("/readings/" + escape(id))
		}
	}
	switch c := string(raw.ClockControl); c {
	case "":
	case ClockAuto, ClockOff:
		t.ClockControl = c
	default:
		return p.errf("/clockControl", "clockControl", "%q: want %s or %s", c, ClockAuto, ClockOff)
	}
	if raw.InsecureSkipVerify != nil {
		t.InsecureSkipVerify = *raw.InsecureSkipVerify
	}
	if raw.Timeout != nil {
		if d := raw.Timeout.D(); d <= 0 || d > 10*time.Minute {
			return p.errf("/timeout", "timeout", "want a timeout between 1ms and 10m")
		}
		t.Timeout = raw.Timeout.D()
	}
	if raw.MaxResponseBytes != nil {
		if n := *raw.MaxResponseBytes; n < 1024 || n > 1<<30 {
			return p.errf("/maxResponseBytes", "maxResponseBytes", "want a whole number of bytes between 1024 and 1073741824")
		}
		t.MaxResponseBytes = *raw.MaxResponseBytes
	}
	return nil
}

func escape(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1") }

func (p *parser) accounts(raw map[string]map[string]specs.Text, t *Target) error {
	roles := make([]string, 0, len(raw))
	for role := range raw {
		roles = append(roles, role)
	}
	slices.Sort(roles)
	for _, role := range roles {
		at, ptr := "accounts."+role, "/accounts/"+escape(role)
		if !rolePattern.MatchString(role) {
			return p.errf(ptr, at, "%q is not a role; use valid, other, disabled, expired or a state the spec declares", role)
		}
		if t.nodes.roles == nil {
			t.nodes.roles = map[string]specs.Pos{}
		}
		t.nodes.roles[role], _ = p.doc.At(ptr)
		fields := raw[role]
		if len(fields) == 0 {
			return p.errf(ptr, at, "an account needs at least one field (the ones the spec's logins read, apiKey, ...)")
		}
		acc := map[string]string{}
		names := make([]string, 0, len(fields))
		for name := range fields {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			fptr := ptr + "/" + escape(name)
			s, fromEnv, err := p.expand(fptr, at+"."+name, string(fields[name]))
			if err != nil {
				return err
			}
			acc[name] = s
			if (fromEnv || secretField(name)) && s != "" {
				t.Secrets = append(t.Secrets, s)
			}
			pos, _ := p.doc.At(fptr)
			if t.nodes.accountFields == nil {
				t.nodes.accountFields = map[string]map[string]specs.Pos{}
			}
			if t.nodes.accountFields[role] == nil {
				t.nodes.accountFields[role] = map[string]specs.Pos{}
			}
			t.nodes.accountFields[role][name] = pos
		}
		t.Accounts[role] = acc
	}
	if _, ok := t.Accounts[RoleValid]; !ok {
		return p.errf("/accounts", "accounts.valid", "missing required account: the checks need one working account")
	}
	return nil
}
