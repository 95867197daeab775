package mockserver

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	acct "github.com/authconform/authconform/mockserver/accounts"

	"github.com/authconform/authconform/specs"
)

// Config is what the serve command's --config file may change. Example:
//
//	specs:
//	  some-spec:
//	    access: 48h            # lifetime overrides, as specs.ParseDuration reads them
//	    refresh: 30d
//	    signingKey: a-fixed-key # tokens then survive a restart
//	    accounts:              # replace the spec's demo accounts
//	      - {username: user, password: pass, profile: {userId: 5}}
//	      - {username: dave, password: dave-password, state: disabled}
//	cors:
//	  origins: [http://localhost:3000]   # "*" for any; default: any localhost origin
//	  headers: [traceparent, X-Request-Id] # request headers every preflight allows, besides the specs'
//	                                     # (an allowed origin's preflight gets what it asks for anyway)
//	admin:
//	  token: a-long-admin-token          # admin API calls then need Authorization: Bearer <token>
//	  hosts: [mock.team.internal]        # Host names the admin API answers besides loopback ones
type Config struct {
	Specs map[string]*SpecConfig
	CORS  CORSConfig
	Admin AdminConfig
	File  string // where it was read from; "" when built in code

	doc *specs.Document // the file as read, to locate problems found when the mock is built
}

// AdminConfig protects the admin API: with a Token, every admin call but the dashboard's own
// files and the admin API's OpenAPI document needs Authorization: Bearer <Token>. The admin API
// answers only requests whose Host is a loopback name or address or one of Hosts (host names or
// IP addresses, without a port; adminguard.go).
type AdminConfig struct {
	Token string
	Hosts []string
}

// SpecConfig changes one spec.
type SpecConfig struct {
	Accounts   []AccountConfig // nil keeps the spec's demo accounts
	Access     *specs.Duration
	Refresh    *specs.Duration
	SigningKey string
}

// AccountConfig is an account as the config writes it: id, apiKeys, state, profile and the
// spec's account fields by name. It is read against its spec when the mock is built
// (specs.Spec.ParseAccount), so a field the spec's accounts do not have is an error there, with
// the file, line and field.
type AccountConfig map[string]any

// CORSConfig lists the origins browsers may call the mock from, and request headers every
// preflight allows besides those the specs name (used by the CORS layer, cors.go).
type CORSConfig struct {
	Origins []string
	Headers []string
}

// ConfigError locates a problem in a config file.
type ConfigError struct {
	File         string
	Line, Column int    // where the problem stands; 0 when unknown
	Field        string // dotted path, e.g. specs.NAME.accounts[1].state; empty for the whole file
	Problem      string
}

func (e *ConfigError) Error() string {
	file := e.File
	if file == "" {
		file = "config"
	}
	if e.Line > 0 {
		file += fmt.Sprintf(":%d:%d", e.Line, e.Column)
	}
	if e.Field == "" {
		return file + ": " + e.Problem
	}
	return file + ": " + e.Field + ": " + e.Problem
}

// maxConfigSize bounds what LoadConfig reads.
const maxConfigSize = 1 << 20

// LoadConfig reads a YAML config file strictly: an unknown field, a wrong type, a bad duration or
// an impossible account is an error naming the file and the field. All problems are reported at once.
func LoadConfig(path string) (*Config, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, &ConfigError{File: path, Problem: "cannot read: " + err.Error()}
	}
	if st.Size() > maxConfigSize {
		return nil, &ConfigError{File: path, Problem: fmt.Sprintf("is %d bytes; a config file may be at most %d", st.Size(), maxConfigSize)}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &ConfigError{File: path, Problem: "cannot read: " + err.Error()}
	}
	return ParseConfig(path, data)
}

// ParseConfig is LoadConfig on bytes; file names them in errors. It reads the file as every user
// file is read (specs.ReadYAML and the strict decoder): every problem at once, each with the
// file, line, column and field.
func ParseConfig(file string, data []byte) (*Config, error) {
	doc, err := specs.ReadYAML(file, data)
	if err != nil {
		return nil, configErrors(file, err)
	}
	var raw rawConfig
	if err := doc.Decode(&raw); err != nil {
		return nil, configErrors(file, err)
	}
	c := &Config{Specs: map[string]*SpecConfig{}, File: file, doc: doc}
	var errs []error
	addf := func(pointer, field, format string, args ...any) {
		e := &ConfigError{File: file, Field: field, Problem: fmt.Sprintf(format, args...)}
		if pos, ok := doc.At(pointer); ok {
			e.Line, e.Column = pos.Line, pos.Column
		}
		errs = append(errs, e)
	}
	for _, name := range slices.Sorted(mapKeys(raw.Specs)) {
		rs, at, ptr := raw.Specs[name], "specs."+name, "/specs/"+name
		sc := &SpecConfig{}
		if rs != nil {
			sc.Access, sc.Refresh, sc.SigningKey = rs.Access, rs.Refresh, rs.SigningKey
			for _, l := range []struct {
				name string
				d    *specs.Duration
			}{{"access", rs.Access}, {"refresh", rs.Refresh}} {
				if l.d != nil && *l.d <= 0 {
					addf(ptr+"/"+l.name, at+"."+l.name, "a lifetime must be positive")
				}
			}
			if rs.SigningKey != "" && len(rs.SigningKey) < 16 {
				addf(ptr+"/signingKey", at+".signingKey", "at least 16 characters, found %d", len(rs.SigningKey))
			}
			if rs.Accounts != nil {
				sc.Accounts = make([]AccountConfig, len(rs.Accounts))
				for i, a := range rs.Accounts {
					sc.Accounts[i] = AccountConfig(a)
				}
			}
		}
		c.Specs[name] = sc
	}
	if cors := raw.CORS; cors != nil {
		c.CORS.Origins = cors.Origins
		for i, h := range cors.Headers {
			at, ptr := fmt.Sprintf("cors.headers[%d]", i), fmt.Sprintf("/cors/headers/%d", i)
			switch {
			case !validHeaderName(h):
				addf(ptr, at, "%q is not a header name", h)
			case forbiddenRequestHeader(h):
				addf(ptr, at, "%s is a header no page may set (a forbidden request header of the Fetch standard)", h)
			default:
				c.CORS.Headers = append(c.CORS.Headers, h)
			}
		}
	}
	if adm := raw.Admin; adm != nil {
		c.Admin.Token = adm.Token
		if adm.Token != "" && len(adm.Token) < 16 || adm.Token == "" && len(adm.Hosts) == 0 {
			addf("/admin/token", "admin.token", "at least 16 characters, found %d", len(adm.Token))
		}
		for i, h := range adm.Hosts {
			if _, ok := canonicalHost(h); !ok {
				addf(fmt.Sprintf("/admin/hosts/%d", i), fmt.Sprintf("admin.hosts[%d]", i), "%q is not a host name or an IP address; write it without scheme, port or path, e.g. mock.team.internal or 10.0.0.5", h)
				continue
			}
			c.Admin.Hosts = append(c.Admin.Hosts, h)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return c, nil
}

// The shapes of a config file, decoded strictly.
type rawConfig struct {
	Specs map[string]*rawSpecConfig `yaml:"specs"`
	CORS  *rawCORS                  `yaml:"cors"`
	Admin *rawAdmin                 `yaml:"admin"`
}

type rawSpecConfig struct {
	Accounts   []map[string]any `yaml:"accounts"`
	Access     *specs.Duration  `yaml:"access"`
	Refresh    *specs.Duration  `yaml:"refresh"`
	SigningKey string           `yaml:"signingKey"`
}

type rawCORS struct {
	Origins []string `yaml:"origins"`
	Headers []string `yaml:"headers"`
}

type rawAdmin struct {
	Token string   `yaml:"token"`
	Hosts []string `yaml:"hosts"`
}

// configErrors turns the reader's and decoder's located errors into ConfigErrors, all of them.
func configErrors(file string, err error) error {
	var list specs.Errors
	if !errors.As(err, &list) {
		var one *specs.Error
		if !errors.As(err, &one) {
			return &ConfigError{File: file, Problem: err.Error()}
		}
		list = specs.Errors{one}
	}
	out := make([]error, len(list))
	for i, e := range list {
		out[i] = &ConfigError{File: file, Line: e.Line, Column: e.Column, Field: e.Pointer, Problem: e.Problem}
	}
	return errors.Join(out...)
}

// accounts reads the config's accounts of sp against the spec: its fields, states and
// identifiers, each problem located in the file.
func (c *Config) accounts(sp *specs.Spec, list []AccountConfig) ([]specs.Account, error) {
	out := make([]specs.Account, 0, len(list))
	idx := newAccounts(sp, nil)
	for i, a := range list {
		at, ptr := fmt.Sprintf("specs.%s.accounts[%d]", sp.Name, i), fmt.Sprintf("/specs/%s/accounts/%d", sp.Name, i)
		fail := func(key, format string, args ...any) error {
			field, p := at, ptr
			if key != "" {
				field, p = at+"."+key, ptr+"/"+strings.SplitN(key, "[", 2)[0]
			}
			e := &ConfigError{File: c.File, Field: field, Problem: fmt.Sprintf(format, args...)}
			if c.doc != nil {
				if pos, ok := c.doc.At(p); ok {
					e.Line, e.Column = pos.Line, pos.Column
				} else if pos, ok := c.doc.At(ptr); ok {
					e.Line, e.Column = pos.Line, pos.Column
				}
			}
			return e
		}
		acc, err := sp.ParseAccount(a)
		var ae *specs.AccountError
		if errors.As(err, &ae) {
			return nil, fail(ae.Key, "%s", ae.Problem)
		}
		if err := acct.StateAllowed(sp, acc.State); err != nil {
			return nil, fail("state", "%v", err)
		}
		if field, v, taken := idx.Taken(out, acc); taken {
			return nil, fail("", "two accounts have the same %s (%q)", field, v)
		}
		out = append(out, acc)
	}
	return out, nil
}

func (c *Config) specNames() []string {
	if c == nil {
		return nil
	}
	return slices.Sorted(mapKeys(c.Specs))
}

func (c *Config) where() string {
	if c == nil || c.File == "" {
		return "config"
	}
	return c.File
}
