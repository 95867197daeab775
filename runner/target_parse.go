package runner

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/authconform/authconform/specs"
)

// The target file is decoded from yaml.v3 nodes by hand, so every error names the file, line,
// column and field, and unknown fields are refused by name.

type parser struct {
	file   string
	getenv func(string) string
}

func (p *parser) errf(n *yaml.Node, field, format string, args ...any) error {
	e := &TargetError{File: p.file, Field: field, Problem: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	return e
}

// mapping returns the key/value pairs of a mapping node, refusing unknown and duplicate keys when
// known is not nil.
func (p *parser) mapping(n *yaml.Node, field string, known []string) ([][2]*yaml.Node, error) {
	if n.Kind == yaml.AliasNode {
		return nil, p.errf(n, field, "YAML aliases are not supported in a target file")
	}
	if n.Kind != yaml.MappingNode {
		return nil, p.errf(n, field, "want a mapping, found %s", kindName(n))
	}
	seen := map[string]bool{}
	var out [][2]*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return nil, p.errf(k, field, "keys must be plain names")
		}
		at := join(field, k.Value)
		if known != nil && !slices.Contains(known, k.Value) {
			return nil, p.errf(k, at, "unknown field %q (known fields: %s)", k.Value, strings.Join(known, ", "))
		}
		if seen[k.Value] {
			return nil, p.errf(k, at, "appears twice")
		}
		seen[k.Value] = true
		out = append(out, [2]*yaml.Node{k, v})
	}
	return out, nil
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "." + b
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing"
		}
		return fmt.Sprintf("%q", n.Value)
	case yaml.AliasNode:
		return "an alias"
	}
	return "nothing"
}

func (p *parser) scalar(n *yaml.Node, field string) (string, error) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return "", p.errf(n, field, "want a value, found %s", kindName(n))
	}
	return n.Value, nil
}

func (p *parser) str(n *yaml.Node, field string) (string, error) {
	s, err := p.scalar(n, field)
	if err != nil {
		return "", err
	}
	if strings.TrimSpace(s) == "" {
		return "", p.errf(n, field, "is empty")
	}
	return s, nil
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// expand replaces ${VAR} references; fromEnv reports whether any was used.
func (p *parser) expand(n *yaml.Node, field, s string) (out string, fromEnv bool, err error) {
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
		return "", false, p.errf(n, field, "environment variable %s is not set (or empty)", missing)
	}
	if strings.Contains(out, "${") && !fromEnv {
		return "", false, p.errf(n, field, "%q: write an environment reference as ${NAME}", s)
	}
	return out, fromEnv, nil
}

var topFields = []string{"spec", "baseURL", "accounts", "probe", "expect", "fields", "readings", "clockControl", "insecureSkipVerify", "timeout", "maxResponseBytes"}

func (p *parser) target(root *yaml.Node, t *Target) error {
	pairs, err := p.mapping(root, "", topFields)
	if err != nil {
		return err
	}
	got := map[string]bool{}
	for _, kv := range pairs {
		k, v := kv[0].Value, kv[1]
		got[k] = true
		switch k {
		case "spec":
			if t.SpecRef, err = p.str(v, k); err != nil {
				return err
			}
		case "baseURL":
			s, err := p.str(v, k)
			if err != nil {
				return err
			}
			if s, _, err = p.expand(v, k, s); err != nil {
				return err
			}
			u, err := url.Parse(s)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return p.errf(v, k, "%q is not an http or https URL", s)
			}
			if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
				return p.errf(v, k, "a base URL has no user info, query or fragment; put accounts under accounts")
			}
			u.Path = strings.TrimRight(u.Path, "/")
			u.RawPath = ""
			t.BaseURL = u
		case "accounts":
			if err := p.accounts(v, t); err != nil {
				return err
			}
		case "probe":
			if err := p.probe(v, t); err != nil {
				return err
			}
		case "expect":
			if err := p.expect(v, t); err != nil {
				return err
			}
		case "fields":
			if err := p.fields(v, t); err != nil {
				return err
			}
		case "readings":
			if err := p.readings(v, t); err != nil {
				return err
			}
		case "clockControl":
			s, err := p.str(v, k)
			if err != nil {
				return err
			}
			if s != ClockAuto && s != ClockOff {
				return p.errf(v, k, "%q: want %s or %s", s, ClockAuto, ClockOff)
			}
			t.ClockControl = s
		case "insecureSkipVerify":
			if v.Kind != yaml.ScalarNode || v.Tag != "!!bool" {
				return p.errf(v, k, "want true or false, found %s", kindName(v))
			}
			t.InsecureSkipVerify = v.Value == "true"
		case "timeout":
			d, err := p.duration(v, k)
			if err != nil {
				return err
			}
			if d <= 0 || d > 10*time.Minute {
				return p.errf(v, k, "want a timeout between 1ms and 10m")
			}
			t.Timeout = d
		case "maxResponseBytes":
			var n int64
			if v.Kind != yaml.ScalarNode || v.Tag != "!!int" || v.Decode(&n) != nil || n < 1024 || n > 1<<30 {
				return p.errf(v, k, "want a whole number of bytes between 1024 and 1073741824")
			}
			t.MaxResponseBytes = n
		}
	}
	for _, req := range []string{"spec", "baseURL", "accounts"} {
		if !got[req] {
			return p.errf(root, req, "missing required field")
		}
	}
	return nil
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

func (p *parser) accounts(n *yaml.Node, t *Target) error {
	pairs, err := p.mapping(n, "accounts", Roles)
	if err != nil {
		return err
	}
	for _, kv := range pairs {
		role := kv[0].Value
		at := "accounts." + role
		fields, err := p.mapping(kv[1], at, nil)
		if err != nil {
			return err
		}
		if len(fields) == 0 {
			return p.errf(kv[1], at, "an account needs at least one field (username, password, companyId, apiKey, ...)")
		}
		acc := map[string]string{}
		if t.nodes.accountFields == nil {
			t.nodes.accountFields = map[string][]*yaml.Node{}
		}
		for _, f := range fields {
			t.nodes.accountFields[role] = append(t.nodes.accountFields[role], f[0])
			fat := at + "." + f[0].Value
			s, err := p.scalar(f[1], fat)
			if err != nil {
				return err
			}
			s, fromEnv, err := p.expand(f[1], fat, s)
			if err != nil {
				return err
			}
			acc[f[0].Value] = s
			if (fromEnv || secretField(f[0].Value)) && s != "" {
				t.Secrets = append(t.Secrets, s)
			}
		}
		t.Accounts[role] = acc
	}
	if _, ok := t.Accounts[RoleValid]; !ok {
		return p.errf(n, "accounts.valid", "missing required account: the checks need one working account")
	}
	return nil
}

func (p *parser) probe(n *yaml.Node, t *Target) error {
	pairs, err := p.mapping(n, "probe", []string{"method", "path"})
	if err != nil {
		return err
	}
	pr := &Probe{}
	for _, kv := range pairs {
		at := "probe." + kv[0].Value
		s, err := p.str(kv[1], at)
		if err != nil {
			return err
		}
		if kv[0].Value == "method" {
			pr.Method = strings.ToUpper(s)
		} else {
			if !strings.HasPrefix(s, "/") {
				return p.errf(kv[1], at, "%q: a path starts with / (relative to baseURL)", s)
			}
			pr.Path = s
		}
	}
	if pr.Method == "" || pr.Path == "" {
		return p.errf(n, "probe", "needs both method and path")
	}
	t.Probe = pr
	return nil
}

func (p *parser) duration(n *yaml.Node, field string) (time.Duration, error) {
	s, err := p.str(n, field)
	if err != nil {
		return 0, err
	}
	d, err := specs.ParseDuration(s)
	if err != nil {
		return 0, p.errf(n, field, "%q is not a duration; write it like 24h, 90m or 360d", s)
	}
	return d.D(), nil
}

func (p *parser) expect(n *yaml.Node, t *Target) error {
	pairs, err := p.mapping(n, "expect", []string{"accessTokenLifetime", "refreshTokenLifetime"})
	if err != nil {
		return err
	}
	for _, kv := range pairs {
		at := "expect." + kv[0].Value
		d, err := p.duration(kv[1], at)
		if err != nil {
			return err
		}
		if d <= 0 {
			return p.errf(kv[1], at, "a lifetime must be positive")
		}
		if kv[0].Value == "accessTokenLifetime" {
			t.Expect.AccessTokenLifetime = &d
		} else {
			t.Expect.RefreshTokenLifetime = &d
		}
	}
	return nil
}

func (p *parser) fields(n *yaml.Node, t *Target) error {
	pairs, err := p.mapping(n, "fields", []string{"accessToken", "refreshToken"})
	if err != nil {
		return err
	}
	for _, kv := range pairs {
		at := "fields." + kv[0].Value
		s, err := p.str(kv[1], at)
		if err != nil {
			return err
		}
		if !strings.HasPrefix(s, "/") {
			return p.errf(kv[1], at, "%q is not a JSON pointer; write it like /token", s)
		}
		if kv[0].Value == "accessToken" {
			t.Fields.AccessToken = s
		} else {
			t.Fields.RefreshToken = s
		}
	}
	return nil
}

// readings reads decision id -> reading; they are checked against the spec once it is loaded.
func (p *parser) readings(n *yaml.Node, t *Target) error {
	pairs, err := p.mapping(n, "readings", nil)
	if err != nil {
		return err
	}
	t.Readings = map[string]string{}
	t.nodes.readings = map[string]*yaml.Node{}
	for _, kv := range pairs {
		at := "readings." + kv[0].Value
		s, err := p.str(kv[1], at)
		if err != nil {
			return err
		}
		t.Readings[kv[0].Value] = s
		t.nodes.readings[kv[0].Value] = kv[0]
	}
	return nil
}
