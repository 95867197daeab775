// Package config reads the mock's config file (serve --config): accounts, token lifetimes and
// signing keys per spec, CORS origins and headers, the admin API's token and hosts, and the
// store. It reads
// the file strictly, as every user file is read (specs.ReadYAML and the strict decoder), and
// reports every problem at once, each with the file, line, column and field. The mock's core
// reads accounts and lifetimes from it, the dev tools the rest.
package config

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

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
//	store:
//	  url: redis://:password@redis.team.internal:6379/0  # memory (the default), redis:// or rediss://
//	  prefix: "team-mock:"               # every Redis key starts with it (default authconform:)
type Config struct {
	Specs map[string]*Spec
	CORS  CORS
	Admin Admin
	Store Store
	File  string // where it was read from; "" when built in code

	doc *specs.Document // the file as read, to locate problems found when the mock is built
}

// Admin protects the admin API: with a Token, every admin call but the dashboard's own
// files and the admin API's OpenAPI document needs Authorization: Bearer <Token>. The admin API
// answers only requests whose Host is a loopback name or address or one of Hosts (host names or
// IP addresses, without a port; adminguard.go).
type Admin struct {
	Token string
	Hosts []string
}

// Store is where the mock keeps its run-time state (serve --store and --store-prefix, which win
// over it): URL "memory" or empty for the process's memory, redis://[user:pass@]host:port/db or
// rediss://... for a Redis shared by replicas; Prefix starts every key (empty: the default).
type Store struct {
	URL    string
	Prefix string
}

// StoreURLOK reports whether a store URL is one serve takes: empty, "memory", or a redis:// or
// rediss:// URL (parsed in full when the store is opened). It never quotes the value, which may
// hold a password.
func StoreURLOK(u string) bool {
	if u == "" || u == "memory" {
		return true
	}
	scheme, rest, ok := strings.Cut(u, "://")
	return ok && rest != "" && (strings.EqualFold(scheme, "redis") || strings.EqualFold(scheme, "rediss"))
}

// PrefixOK reports whether a store key prefix is one serve takes: no space or control character.
func PrefixOK(p string) bool {
	return !strings.ContainsFunc(p, func(r rune) bool { return r <= ' ' || r == 0x7f })
}

// Spec changes one spec.
type Spec struct {
	Accounts   []Account // nil keeps the spec's demo accounts
	Access     *specs.Duration
	Refresh    *specs.Duration
	SigningKey string
}

// Account is an account as the config writes it: id, apiKeys, state, profile and the
// spec's account fields by name. It is read against its spec when the mock is built
// (specs.Spec.ParseAccount), so a field the spec's accounts do not have is an error there, with
// the file, line and field.
type Account map[string]any

// CORS lists the origins browsers may call the mock from, and request headers every
// preflight allows besides those the specs name (used by the CORS layer, cors.go).
type CORS struct {
	Origins []string
	Headers []string
}

// Error locates a problem in a config file.
type Error struct {
	File         string
	Line, Column int    // where the problem stands; 0 when unknown
	Field        string // dotted path, e.g. specs.NAME.accounts[1].state; empty for the whole file
	Problem      string
}

func (e *Error) Error() string {
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

// maxConfigSize bounds what Load reads.
const maxConfigSize = 1 << 20

// Load reads a YAML config file strictly: an unknown field, a wrong type, a bad duration or
// an impossible account is an error naming the file and the field. All problems are reported at once.
func Load(path string) (*Config, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, &Error{File: path, Problem: "cannot read: " + err.Error()}
	}
	if st.Size() > maxConfigSize {
		return nil, &Error{File: path, Problem: fmt.Sprintf("is %d bytes; a config file may be at most %d", st.Size(), maxConfigSize)}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{File: path, Problem: "cannot read: " + err.Error()}
	}
	return Parse(path, data)
}

// Parse is Load on bytes; file names them in errors. It reads the file as every user
// file is read (specs.ReadYAML and the strict decoder): every problem at once, each with the
// file, line, column and field.
func Parse(file string, data []byte) (*Config, error) {
	doc, err := specs.ReadYAML(file, data)
	if err != nil {
		return nil, configErrors(file, err)
	}
	var raw rawConfig
	if err := doc.Decode(&raw); err != nil {
		return nil, configErrors(file, err)
	}
	c := &Config{Specs: map[string]*Spec{}, File: file, doc: doc}
	var errs []error
	addf := func(pointer, field, format string, args ...any) {
		e := &Error{File: file, Field: field, Problem: fmt.Sprintf(format, args...)}
		if pos, ok := doc.At(pointer); ok {
			e.Line, e.Column = pos.Line, pos.Column
		}
		errs = append(errs, e)
	}
	for _, name := range slices.Sorted(maps.Keys(raw.Specs)) {
		rs, at, ptr := raw.Specs[name], "specs."+name, "/specs/"+name
		sc := &Spec{}
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
				sc.Accounts = make([]Account, len(rs.Accounts))
				for i, a := range rs.Accounts {
					sc.Accounts[i] = Account(a)
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
			case !ValidHeaderName(h):
				addf(ptr, at, "%q is not a header name", h)
			case ForbiddenRequestHeader(h):
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
			if _, ok := CanonicalHost(h); !ok {
				addf(fmt.Sprintf("/admin/hosts/%d", i), fmt.Sprintf("admin.hosts[%d]", i), "%q is not a host name or an IP address; write it without scheme, port or path, e.g. mock.team.internal or 10.0.0.5", h)
				continue
			}
			c.Admin.Hosts = append(c.Admin.Hosts, h)
		}
	}
	if st := raw.Store; st != nil {
		c.Store.URL, c.Store.Prefix = st.URL, st.Prefix
		if !StoreURLOK(st.URL) {
			addf("/store/url", "store.url", "not a store: write memory, redis://[user:password@]host:port/db or rediss://... (the value is not repeated here, as it may hold a password)")
		}
		if !PrefixOK(st.Prefix) {
			addf("/store/prefix", "store.prefix", "%q: a key prefix without spaces or control characters, e.g. team-mock:", st.Prefix)
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
	Store *rawStore                 `yaml:"store"`
}

type rawStore struct {
	URL    string `yaml:"url"`
	Prefix string `yaml:"prefix"`
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
			return &Error{File: file, Problem: err.Error()}
		}
		list = specs.Errors{one}
	}
	out := make([]error, len(list))
	for i, e := range list {
		out[i] = &Error{File: file, Line: e.Line, Column: e.Column, Field: e.Pointer, Problem: e.Problem}
	}
	return errors.Join(out...)
}

// SpecNames are the names of the specs the config changes, sorted.
func (c *Config) SpecNames() []string {
	if c == nil {
		return nil
	}
	return slices.Sorted(maps.Keys(c.Specs))
}

// Where names the config in messages: its file, or "config".
func (c *Config) Where() string {
	if c == nil || c.File == "" {
		return "config"
	}
	return c.File
}

// At is where the value at a JSON pointer stands in the file; false when the config was not read
// from one or the pointer is not there.
func (c *Config) At(pointer string) (line, column int, ok bool) {
	if c == nil || c.doc == nil {
		return 0, 0, false
	}
	pos, ok := c.doc.At(pointer)
	return pos.Line, pos.Column, ok
}
