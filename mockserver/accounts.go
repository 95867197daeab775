package mockserver

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"

	acct "github.com/authconform/authconform/mockserver/accounts"
	"github.com/authconform/authconform/mockserver/config"

	"github.com/authconform/authconform/specs"
)

// accounts are the accounts of one mounted spec (package accounts: indexed once, changed by the
// admin API copy on write), under the names the flows call.
type accounts struct{ *acct.Set }

func newAccounts(sp *specs.Spec, list []specs.Account) *accounts {
	return &accounts{acct.New(sp, list)}
}

// find returns the account whose field equals value.
func (a *accounts) find(field, value string) *specs.Account { return a.Find(field, value) }

// byKey returns the owner of the configured API key whose SHA-256 is sum.
func (a *accounts) byKey(sum [sha256.Size]byte) *specs.Account { return a.ByKey(sum) }

// secretEqual compares two secrets in constant time, whatever their lengths.
func secretEqual(a, b string) bool {
	x, y := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(x[:], y[:]) == 1
}

// fieldString is an account field as text, for comparing with a header or a credential: a field
// or the id, else a profile value.
func fieldString(acc *specs.Account, field string) (string, bool) {
	v, ok := acc.Field(field)
	if !ok || v == nil {
		return "", false
	}
	if s, isString := v.(string); isString {
		return s, true
	}
	return fmt.Sprint(v), true
}

// tokenResolver also answers the token lifetimes a login's or refresh's body may show
// (tokens.access.lifetime.seconds), as the issuer has them (a config may change them).
func tokenResolver(next specs.Resolver, iss TokenIssuer) specs.Resolver {
	return func(ref string) (any, bool) {
		switch ref {
		case "tokens.access.lifetime.seconds":
			return int64(iss.Lifetime(specs.TokenAccess).Seconds()), true
		case "tokens.refresh.lifetime.seconds":
			if d := iss.Lifetime(specs.TokenRefresh); d > 0 {
				return int64(d.Seconds()), true
			}
			return nil, false
		}
		return next(ref)
	}
}

// accountResolver answers account.<field> and now for response templates.
func accountResolver(acc *specs.Account, now string) specs.Resolver {
	return func(ref string) (any, bool) {
		if ref == "now" {
			return now, true
		}
		if field, ok := strings.CutPrefix(ref, "account."); ok && acc != nil {
			return acc.Field(field)
		}
		return nil, false
	}
}

// configAccounts reads the config's accounts of sp against the spec: its fields, states and
// identifiers, each problem located in the file.
func configAccounts(c *Config, sp *specs.Spec, list []AccountConfig) ([]specs.Account, error) {
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
			if line, col, ok := c.At(p); ok {
				e.Line, e.Column = line, col
			} else if line, col, ok := c.At(ptr); ok {
				e.Line, e.Column = line, col
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

// Config is what the serve command's --config file may change (package config).
type Config = config.Config

// The parts of a Config (package config).
type (
	SpecConfig    = config.Spec
	AccountConfig = config.Account
	AdminConfig   = config.Admin
	CORSConfig    = config.CORS
	ConfigError   = config.Error
)

// LoadConfig reads a config file strictly (config.Load).
func LoadConfig(path string) (*Config, error) { return config.Load(path) }

// ParseConfig is LoadConfig on bytes; file names them in errors (config.Parse).
func ParseConfig(file string, data []byte) (*Config, error) { return config.Parse(file, data) }
