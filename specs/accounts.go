package specs

import (
	"fmt"
	"slices"
	"strings"
)

// Accounts are generic: a spec declares which fields its accounts have (x-authconform.
// accountFields) and which of them are secret; its logins read fields by name, and its security
// schemes bind or impersonate by field name. Nothing in Go knows a vendor's field (a company id,
// a tenant): an account is its fields, its API keys, a state and a profile.

// Account is an account of the API: a demo account of the spec (x-authconform.accounts[]), an
// account of the mock's config file, or one added through the mock's admin API.
type Account struct {
	ID      string            // subject of its tokens; defaults to its first identifying field
	Fields  map[string]string // what logins read and schemes bind: username, password, a tenant...
	APIKeys []string          // API keys configured for it (field apiKey in logins and target files)
	State   AccountState
	Profile map[string]any // other values response templates may use (account.<key>)
}

// AccountField is a field the accounts of an API have.
type AccountField struct {
	Name   string
	Secret bool // a password, a PIN: never shown, echoed into a response, logged or reported
}

// Value is the value of an account field by name; "id" is the account's ID.
func (a *Account) Value(field string) string {
	if field == FieldID {
		return a.ID
	}
	return a.Fields[field]
}

// Field returns a value by the name templates use: id, an account field, or a profile key.
func (a *Account) Field(name string) (any, bool) {
	if name == FieldID {
		return a.ID, a.ID != ""
	}
	if v, ok := a.Fields[name]; ok {
		return v, v != ""
	}
	v, ok := a.Profile[name]
	return v, ok
}

// Clone is a deep copy of the account's fields, keys and profile.
func (a Account) Clone() Account {
	c := a
	c.Fields = make(map[string]string, len(a.Fields))
	for k, v := range a.Fields {
		c.Fields[k] = v
	}
	c.APIKeys = slices.Clone(a.APIKeys)
	if a.Profile != nil {
		c.Profile = make(map[string]any, len(a.Profile))
		for k, v := range a.Profile {
			c.Profile[k] = v
		}
	}
	return c
}

// Account field names with a meaning of their own.
const (
	FieldID       = "id"       // the account's ID, the subject of its tokens
	FieldUsername = "username" // HTTP Basic's user-id
	FieldPassword = "password" // HTTP Basic's password, and the secret of an undeclared account
	FieldAPIKey   = "apiKey"   // a login or target-file field that presents one of the APIKeys
)

// accountKeys are the keys of an account entry that are not fields.
var accountKeys = []string{FieldID, "apiKeys", "state", "profile"}

// AccountFields lists the fields a target file's accounts may name: the spec's account fields,
// and apiKey when a login or a scheme takes API keys.
func (s *Spec) AccountFields() []string {
	var out []string
	for _, f := range s.Fields {
		out = append(out, f.Name)
	}
	if s.takesAPIKeys() {
		out = append(out, FieldAPIKey)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Secret reports whether an account field is a secret (redacted everywhere); apiKey always is.
func (s *Spec) Secret(field string) bool {
	if field == FieldAPIKey {
		return true
	}
	for _, f := range s.Fields {
		if f.Name == field {
			return f.Secret
		}
	}
	return field == FieldPassword
}

// secretName is Secret while the spec is built: declared secrets, else a field named password.
func (s *Spec) secretName(field string) bool {
	if s.declaredFields {
		return s.Secret(field)
	}
	return field == FieldPassword
}

func (s *Spec) takesAPIKeys() bool {
	for _, sc := range s.Schemes {
		if sc.AcceptsKind(CredAPIKey) {
			return true
		}
	}
	for _, op := range s.OperationsOf(KindLogin) {
		for _, c := range op.Flow.Credentials {
			if c.Field == FieldAPIKey {
				return true
			}
		}
	}
	return false
}

// inferFields is the account fields of a spec that declares none: the fields its logins read, in
// order, then those its schemes bind or impersonate by, then username and password for HTTP Basic,
// then those its flows bind.
// Only password is secret.
func inferFields(s *Spec) []AccountField {
	var out []AccountField
	add := func(name string) {
		if name == "" || name == FieldAPIKey || name == FieldID || slices.ContainsFunc(out, func(f AccountField) bool { return f.Name == name }) {
			return
		}
		out = append(out, AccountField{Name: name, Secret: name == FieldPassword})
	}
	for _, op := range s.OperationsOf(KindLogin) {
		for _, c := range op.Flow.Credentials {
			add(c.Field)
		}
	}
	for _, name := range sortedKeys(s.Schemes) {
		sc := s.Schemes[name]
		add(sc.Binds)
		add(sc.Impersonates)
		if sc.AcceptsKind(CredPassword) {
			add(FieldUsername)
			add(FieldPassword)
		}
	}
	for _, op := range s.Operations {
		for _, b := range op.Flow.Binds {
			add(b.Field)
		}
	}
	return out
}

// AccountError is a problem with one account entry, naming the key it is about ("" for the
// entry as a whole).
type AccountError struct {
	Key     string
	Problem string
}

func (e *AccountError) Error() string {
	if e.Key == "" {
		return e.Problem
	}
	return e.Key + ": " + e.Problem
}

// ParseAccount reads one account entry (a spec's demo account, a config file's, the admin API's):
// id, apiKeys, state and profile, and the spec's account fields by name; an unknown key is an
// error naming the fields there are. The result is normalized (Normalize).
func (s *Spec) ParseAccount(raw map[string]any) (Account, error) {
	a := Account{Fields: map[string]string{}}
	for _, k := range sortedKeys(raw) {
		v := raw[k]
		switch k {
		case FieldID, "state":
			str, ok := scalarText(v)
			if !ok {
				return a, &AccountError{k, "want a value, found " + describe(v)}
			}
			if k == FieldID {
				a.ID = str
			} else {
				a.State = AccountState(str)
			}
		case "apiKeys":
			list, ok := v.([]any)
			if !ok {
				return a, &AccountError{"apiKeys", "want a list, found " + describe(v)}
			}
			for i, e := range list {
				str, ok := scalarText(e)
				if !ok || str == "" {
					return a, &AccountError{fmt.Sprintf("apiKeys[%d]", i), "want a key, found " + describe(e)}
				}
				a.APIKeys = append(a.APIKeys, str)
			}
		case "profile":
			m, ok := v.(map[string]any)
			if !ok && v != nil {
				return a, &AccountError{"profile", "want a mapping, found " + describe(v)}
			}
			a.Profile = m
		default:
			if !slices.ContainsFunc(s.Fields, func(f AccountField) bool { return f.Name == k }) {
				return a, &AccountError{k, fmt.Sprintf("unknown field %q: an account of %s has %s", k, s.Name, strings.Join(s.accountKeyNames(), ", "))}
			}
			str, ok := scalarText(v)
			if !ok {
				return a, &AccountError{k, "want a value, found " + describe(v)}
			}
			a.Fields[k] = str
		}
	}
	if err := s.Normalize(&a); err != nil {
		key := ""
		if strings.HasPrefix(err.Error(), "state ") {
			key = "state"
		}
		return a, &AccountError{key, err.Error()}
	}
	return a, nil
}

func (s *Spec) accountKeyNames() []string {
	out := slices.Clone(accountKeys)
	for _, f := range s.Fields {
		out = append(out, f.Name)
	}
	return out
}

// scalarText is a scalar as text; numbers as JSON writes them.
func scalarText(v any) (string, bool) {
	switch t := v.(type) {
	case string:
		return t, true
	case float64, bool:
		return fmt.Sprint(t), true
	}
	return "", false
}

// Normalize fills an account's defaults (its ID from its first identifying field, the enabled
// state) and reports what makes it unusable. Every account, from a spec, a config file or the
// admin API, goes through it.
func (s *Spec) Normalize(a *Account) error {
	if a.State == "" {
		a.State = StateEnabled
	}
	if a.Fields == nil {
		a.Fields = map[string]string{}
	}
	if a.ID == "" {
		for _, f := range s.Fields {
			if v := a.Fields[f.Name]; v != "" && !f.Secret {
				a.ID = v
				break
			}
		}
	}
	if a.ID == "" {
		var ids []string
		for _, f := range s.Fields {
			if !f.Secret {
				ids = append(ids, f.Name)
			}
		}
		return fmt.Errorf("an account needs an id or a value for one of %s", strings.Join(ids, ", "))
	}
	if a.State != StateEnabled && s.StateFailure(a.State) == "" {
		names := []string{string(StateEnabled), string(StateDisabled), string(StatePasswordExpired)}
		for _, st := range s.States {
			names = append(names, string(st.Name))
		}
		return fmt.Errorf("state %q is not one of %s", a.State, strings.Join(names, ", "))
	}
	for k := range a.Profile {
		if k == FieldID || k == FieldAPIKey || slices.ContainsFunc(s.Fields, func(f AccountField) bool { return f.Name == k }) {
			return fmt.Errorf("profile key %q shadows an account field; set it on the account itself", k)
		}
	}
	return nil
}
