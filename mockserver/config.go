package mockserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"

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

// AccountConfig is an account as the config writes it; the fields are those of specs.Account.
type AccountConfig struct {
	ID        string
	Username  string
	Password  string
	CompanyID string
	APIKeys   []string
	State     string
	Profile   map[string]any
}

// CORSConfig lists the origins browsers may call the mock from, and request headers every
// preflight allows besides those the specs name (used by the CORS layer, cors.go).
type CORSConfig struct {
	Origins []string
	Headers []string
}

// ConfigError locates a problem in a config file.
type ConfigError struct {
	File    string
	Field   string // dotted path, e.g. specs.NAME.accounts[1].state; empty for the whole file
	Problem string
}

func (e *ConfigError) Error() string {
	file := e.File
	if file == "" {
		file = "config"
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

// ParseConfig is LoadConfig on bytes; file names them in errors.
func ParseConfig(file string, data []byte) (*Config, error) {
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, &ConfigError{File: file, Problem: "not valid YAML: " + strings.TrimPrefix(err.Error(), "error converting YAML to JSON: ")}
	}
	var raw any
	if err := json.Unmarshal(js, &raw); err != nil {
		return nil, &ConfigError{File: file, Problem: "not valid YAML: " + err.Error()}
	}
	d := &cfgDecoder{file: file}
	c := d.config(raw)
	if len(d.errs) > 0 {
		return nil, errors.Join(d.errs...)
	}
	c.File = file
	return c, nil
}

type cfgDecoder struct {
	file string
	errs []error
}

func (d *cfgDecoder) addf(field, format string, args ...any) {
	d.errs = append(d.errs, &ConfigError{File: d.file, Field: field, Problem: fmt.Sprintf(format, args...)})
}

// object checks that v is an object with only the allowed keys.
func (d *cfgDecoder) object(v any, at string, allowed ...string) map[string]any {
	if v == nil {
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		d.addf(at, "expected a mapping, found %s", kindOf(v))
		return nil
	}
	for _, k := range slices.Sorted(mapKeys(m)) {
		if allowed != nil && !slices.Contains(allowed, k) {
			d.addf(join(at, k), "unknown field; use one of %s", strings.Join(allowed, ", "))
		}
	}
	return m
}

func (d *cfgDecoder) str(v any, at string) string {
	if v == nil {
		return ""
	}
	s, ok := v.(string)
	if !ok {
		d.addf(at, "expected a string, found %s", kindOf(v))
	}
	return s
}

func (d *cfgDecoder) strings(v any, at string) []string {
	if v == nil {
		return nil
	}
	l, ok := v.([]any)
	if !ok {
		d.addf(at, "expected a list of strings, found %s", kindOf(v))
		return nil
	}
	out := make([]string, 0, len(l))
	for i, e := range l {
		out = append(out, d.str(e, fmt.Sprintf("%s[%d]", at, i)))
	}
	return out
}

func (d *cfgDecoder) duration(v any, at string) *specs.Duration {
	if v == nil {
		return nil
	}
	s := d.str(v, at)
	if s == "" {
		return nil
	}
	dur, err := specs.ParseDuration(s)
	if err != nil {
		d.addf(at, "%v; write it like 24h, 90m or 360d", err)
		return nil
	}
	if dur <= 0 {
		d.addf(at, "a lifetime must be positive")
		return nil
	}
	return &dur
}

func (d *cfgDecoder) config(raw any) *Config {
	c := &Config{Specs: map[string]*SpecConfig{}}
	root := d.object(raw, "", "specs", "cors", "admin")
	if root == nil && raw != nil {
		return c
	}
	if sp := d.object(root["specs"], "specs"); sp != nil {
		for _, name := range slices.Sorted(mapKeys(sp)) {
			c.Specs[name] = d.spec(sp[name], "specs."+name)
		}
	}
	if cors := d.object(root["cors"], "cors", "origins", "headers"); cors != nil {
		c.CORS.Origins = d.strings(cors["origins"], "cors.origins")
		for i, h := range d.strings(cors["headers"], "cors.headers") {
			switch {
			case !validHeaderName(h):
				d.addf(fmt.Sprintf("cors.headers[%d]", i), "%q is not a header name", h)
			case forbiddenRequestHeader(h):
				d.addf(fmt.Sprintf("cors.headers[%d]", i), "%s is a header no page may set (a forbidden request header of the Fetch standard)", h)
			default:
				c.CORS.Headers = append(c.CORS.Headers, h)
			}
		}
	}
	if adm := d.object(root["admin"], "admin", "token", "hosts"); adm != nil {
		if v, ok := adm["token"]; ok || len(adm) == 0 {
			c.Admin.Token = d.str(v, "admin.token")
			if len(c.Admin.Token) < 16 {
				d.addf("admin.token", "at least 16 characters, found %d", len(c.Admin.Token))
			}
		}
		for i, h := range d.strings(adm["hosts"], "admin.hosts") {
			if _, ok := canonicalHost(h); !ok {
				d.addf(fmt.Sprintf("admin.hosts[%d]", i), "%q is not a host name or an IP address; write it without scheme, port or path, e.g. mock.team.internal or 10.0.0.5", h)
				continue
			}
			c.Admin.Hosts = append(c.Admin.Hosts, h)
		}
	}
	return c
}

func (d *cfgDecoder) spec(raw any, at string) *SpecConfig {
	sc := &SpecConfig{}
	m := d.object(raw, at, "accounts", "access", "refresh", "signingKey")
	if m == nil {
		return sc
	}
	sc.Access = d.duration(m["access"], at+".access")
	sc.Refresh = d.duration(m["refresh"], at+".refresh")
	sc.SigningKey = d.str(m["signingKey"], at+".signingKey")
	if v, ok := m["signingKey"]; ok && v != nil && len(sc.SigningKey) < 16 {
		d.addf(at+".signingKey", "at least 16 characters, found %d", len(sc.SigningKey))
	}
	if v, ok := m["accounts"]; ok {
		l, isList := v.([]any)
		if !isList {
			d.addf(at+".accounts", "expected a list of accounts, found %s", kindOf(v))
			return sc
		}
		sc.Accounts = []AccountConfig{}
		ids := map[string]bool{}
		names := map[string]bool{}
		for i, e := range l {
			aat := fmt.Sprintf("%s.accounts[%d]", at, i)
			a := d.account(e, aat)
			sc.Accounts = append(sc.Accounts, a)
			acc, err := a.toAccount()
			if err != nil {
				d.addf(aat, "%v", err)
				continue
			}
			if ids[acc.ID] {
				d.addf(aat, "two accounts have the id %q", acc.ID)
			}
			ids[acc.ID] = true
			for _, k := range []string{"username:" + acc.Username, "companyId:" + acc.CompanyID} {
				if !strings.HasSuffix(k, ":") && names[k] {
					d.addf(aat, "two accounts have the same %s", strings.Replace(k, ":", " ", 1))
				}
				names[k] = true
			}
		}
	}
	return sc
}

func (d *cfgDecoder) account(raw any, at string) AccountConfig {
	m := d.object(raw, at, "id", "username", "password", "companyId", "apiKeys", "state", "profile")
	if m == nil {
		d.addf(at, "expected an account (id, username, password, companyId, apiKeys, state, profile)")
		return AccountConfig{}
	}
	a := AccountConfig{
		ID: d.str(m["id"], at+".id"), Username: d.str(m["username"], at+".username"),
		Password: d.str(m["password"], at+".password"), CompanyID: d.str(m["companyId"], at+".companyId"),
		APIKeys: d.strings(m["apiKeys"], at+".apiKeys"), State: d.str(m["state"], at+".state"),
	}
	if p := d.object(m["profile"], at+".profile"); p != nil {
		a.Profile = p
	}
	return a
}

// toAccount checks an account the way specs checks the spec's own (id default, state, profile).
func (a AccountConfig) toAccount() (specs.Account, error) {
	acc := specs.Account{ID: a.ID, Username: a.Username, Password: a.Password, CompanyID: a.CompanyID,
		APIKeys: a.APIKeys, State: specs.AccountState(a.State), Profile: a.Profile}
	err := acc.Normalize()
	return acc, err
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

func join(at, k string) string {
	if at == "" {
		return k
	}
	return at + "." + k
}

func kindOf(v any) string {
	switch v.(type) {
	case map[string]any:
		return "a mapping"
	case []any:
		return "a list"
	case string:
		return "a string"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "nothing"
	}
	return fmt.Sprintf("%T", v)
}
