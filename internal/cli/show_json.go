package cli

import (
	"io"
	"strconv"

	"github.com/authconform/authconform/specs"
)

// specs show --output json: what showSpec prints for people, as one JSON object for tools (a
// frontend's fixtures, a QA script that needs the demo accounts). Field names are those of the
// spec's extensions (docs/spec-extensions.md) where there is one.

type specView struct {
	Name          string          `json:"name"`
	Title         string          `json:"title"`
	Version       string          `json:"version"`
	File          string          `json:"file"`
	SHA256        string          `json:"sha256"`
	BasePath      string          `json:"basePath"`
	Probe         string          `json:"probe,omitempty"`
	Tokens        tokensView      `json:"tokens"`
	Operations    []operationView `json:"operations"`
	Schemes       []schemeView    `json:"schemes"`
	AccountFields []fieldView     `json:"accountFields"`
	Accounts      []accountView   `json:"accounts"`
	Additions     []additionView  `json:"additions"`
	Decisions     []decisionView  `json:"decisions"`
	States        []stateView     `json:"states,omitempty"`  // account states the spec declares
	Clients       []clientView    `json:"clients,omitempty"` // OAuth 2 clients the mock accepts
}

type tokensView struct {
	Algorithm string        `json:"algorithm"`
	Issuer    string        `json:"issuer"`
	Access    lifetimeView  `json:"access"`
	Refresh   *lifetimeView `json:"refresh"` // null when the API has no refresh token
}

type lifetimeView struct {
	Lifetime   string `json:"lifetime"`
	Seconds    int64  `json:"seconds"`
	Documented bool   `json:"documented"`
	Source     string `json:"source"`
	Format     string `json:"format"` // jwt or opaque
}

type operationView struct {
	ID             string            `json:"operationId"`
	Method         string            `json:"method"`
	Path           string            `json:"path"`
	Flow           string            `json:"flow,omitempty"`
	Deprecated     bool              `json:"deprecated,omitempty"`
	Added          string            `json:"added,omitempty"` // why we added it; absent for the vendor's
	Security       [][]string        `json:"security"`        // alternatives of scheme names; empty: no credential
	Statuses       []int             `json:"statuses"`
	AddedResponses map[string]string `json:"addedResponses,omitempty"` // status -> why we added it
	Reads          []locationView    `json:"reads,omitempty"`
	Writes         []locationView    `json:"writes,omitempty"`
	Rotates        bool              `json:"rotates,omitempty"`
	OnReuse        string            `json:"onReuse,omitempty"` // refresh: refuse or revokeFamily
	Fixed          []fixedView       `json:"fixed,omitempty"`
	Client         *clientAuthView   `json:"client,omitempty"`
	Binds          []locationView    `json:"binds,omitempty"` // what: the account field the value must equal
}

type locationView struct {
	What     string `json:"what"` // the account field, refreshToken, keyName, keyValue, or the token written
	In       string `json:"in"`
	Name     string `json:"name,omitempty"`
	Pointer  string `json:"pointer,omitempty"`
	Location string `json:"location"` // as the text output writes it: "header X-Auth-Token", "body /token"
}

type fixedView struct {
	locationView
	Value   string `json:"value"`
	Failure string `json:"failure"`
}

type clientAuthView struct {
	ID     locationView  `json:"id"`
	Secret *locationView `json:"secret,omitempty"`
	Basic  bool          `json:"basic"`
}

type stateView struct {
	Name    string `json:"name"`
	Failure string `json:"failure"`
}

type clientView struct {
	ID     string `json:"id"`
	Public bool   `json:"public"` // no secret
}

type schemeView struct {
	Name         string   `json:"name"`
	Type         string   `json:"type"`
	HTTPScheme   string   `json:"httpScheme,omitempty"`
	In           string   `json:"in,omitempty"`
	Header       string   `json:"header"`
	Accepts      []string `json:"accepts,omitempty"`
	Binds        string   `json:"binds,omitempty"`
	Impersonates string   `json:"impersonates,omitempty"`
	Optional     bool     `json:"optional,omitempty"`
	BearerPrefix string   `json:"bearerPrefix,omitempty"`
	Added        string   `json:"added,omitempty"`
}

type fieldView struct {
	Name   string `json:"name"`
	Secret bool   `json:"secret"`
}

type accountView struct {
	ID      string            `json:"id"`
	State   string            `json:"state"`
	Fields  map[string]string `json:"fields"`
	APIKeys []string          `json:"apiKeys,omitempty"`
}

type additionView struct {
	Kind  string `json:"kind"`
	Where string `json:"where"`
	Why   string `json:"why"`
}

type decisionView struct {
	ID       string        `json:"id"`
	Where    string        `json:"where"`
	Problem  string        `json:"problem"`
	Decision string        `json:"decision"`
	Readings []readingView `json:"readings,omitempty"`
}

type readingView struct {
	Choice   string `json:"choice"`
	Means    string `json:"means"`
	Followed bool   `json:"followed"` // the reading this model follows: the first unless --reading chose another
}

func lifetimeOf(l *specs.Lifetime) *lifetimeView {
	if l == nil {
		return nil
	}
	return &lifetimeView{Lifetime: l.Lifetime.String(), Seconds: int64(l.Lifetime.D().Seconds()), Documented: l.Documented, Source: l.Source, Format: string(l.Format)}
}

func locationOf(what string, l specs.Location) locationView {
	return locationView{What: what, In: string(l.In), Name: l.Name, Pointer: l.Pointer, Location: l.String()}
}

// showSpecJSON writes the spec as specs show --output json does.
func showSpecJSON(w io.Writer, s *specs.Spec) error {
	v := specView{
		Name: s.Name, Title: s.Title, Version: s.Version, File: s.File, SHA256: s.SHA256, BasePath: s.BasePath, Probe: s.Probe,
		Tokens:     tokensView{Algorithm: s.Tokens.Algorithm, Issuer: s.Tokens.Issuer, Access: *lifetimeOf(&s.Tokens.Access), Refresh: lifetimeOf(s.Tokens.Refresh)},
		Operations: []operationView{}, Schemes: []schemeView{}, AccountFields: []fieldView{}, Accounts: []accountView{},
		Additions: []additionView{}, Decisions: []decisionView{},
	}
	for _, op := range s.Operations {
		ov := operationView{ID: op.ID, Method: op.Method, Path: op.Path, Flow: string(op.Flow.Kind), Deprecated: op.Deprecated,
			Added: op.Added, Security: [][]string{}, Statuses: append([]int{}, op.Statuses...), Rotates: op.Flow.Rotate}
		for _, alt := range op.Security {
			names := make([]string, len(alt))
			for i, sc := range alt {
				names[i] = sc.Name
			}
			ov.Security = append(ov.Security, names)
		}
		for st, why := range op.AddedResponses {
			if ov.AddedResponses == nil {
				ov.AddedResponses = map[string]string{}
			}
			ov.AddedResponses[strconv.Itoa(st)] = why
		}
		for _, c := range op.Flow.Credentials {
			ov.Reads = append(ov.Reads, locationOf(c.Field, c.Location))
		}
		for _, r := range []struct {
			what string
			l    *specs.Location
		}{{"refreshToken", op.Flow.RefreshToken}, {"keyName", op.Flow.KeyName}, {"keyValue", op.Flow.KeyValue}} {
			if r.l != nil {
				ov.Reads = append(ov.Reads, locationOf(r.what, *r.l))
			}
		}
		for _, t := range op.Flow.Tokens {
			ov.Writes = append(ov.Writes, locationOf(string(t.Token), t.Location))
		}
		if op.Flow.Kind == specs.KindRefresh && op.Flow.Rotate {
			ov.OnReuse = string(op.Flow.OnReuse)
		}
		for _, fx := range op.Flow.Fixed {
			ov.Fixed = append(ov.Fixed, fixedView{locationView: locationOf("fixed", fx.Location), Value: fx.Value, Failure: string(fx.Failure)})
		}
		if ca := op.Flow.Client; ca != nil {
			cv := &clientAuthView{ID: locationOf("clientId", ca.ID), Basic: ca.Basic}
			if ca.Secret != nil {
				sec := locationOf("clientSecret", *ca.Secret)
				cv.Secret = &sec
			}
			ov.Client = cv
		}
		for _, b := range op.Flow.Binds {
			ov.Binds = append(ov.Binds, locationOf(b.Field, b.Location))
		}
		v.Operations = append(v.Operations, ov)
	}
	for _, name := range sortedSchemeNames(s) {
		sc := s.Schemes[name]
		sv := schemeView{Name: name, Type: sc.Type, HTTPScheme: sc.HTTPScheme, In: string(sc.In), Header: sc.Header,
			Binds: sc.Binds, Impersonates: sc.Impersonates, Optional: sc.Optional, BearerPrefix: string(sc.BearerPrefix), Added: sc.Added}
		for _, a := range sc.Accepts {
			sv.Accepts = append(sv.Accepts, string(a))
		}
		v.Schemes = append(v.Schemes, sv)
	}
	for _, f := range s.Fields {
		v.AccountFields = append(v.AccountFields, fieldView{Name: f.Name, Secret: f.Secret})
	}
	for _, a := range s.Accounts {
		av := accountView{ID: a.ID, State: string(a.State), Fields: map[string]string{}, APIKeys: a.APIKeys}
		for _, f := range s.Fields {
			if val := a.Fields[f.Name]; val != "" {
				av.Fields[f.Name] = val
			}
		}
		v.Accounts = append(v.Accounts, av)
	}
	for _, st := range s.States {
		v.States = append(v.States, stateView{Name: string(st.Name), Failure: string(st.Failure)})
	}
	for _, cl := range s.Clients {
		v.Clients = append(v.Clients, clientView{ID: cl.ID, Public: cl.Secret == ""})
	}
	for _, a := range s.Additions {
		v.Additions = append(v.Additions, additionView{Kind: a.Kind, Where: a.Where, Why: a.Why})
	}
	for _, d := range s.Decisions {
		dv := decisionView{ID: d.ID, Where: d.Where, Problem: d.Problem, Decision: d.Decision}
		chosen, chose := s.Readings[d.ID]
		for i, rd := range d.Readings {
			dv.Readings = append(dv.Readings, readingView{Choice: rd.Choice, Means: rd.Means, Followed: chose && chosen == rd.Choice || !chose && i == 0})
		}
		v.Decisions = append(v.Decisions, dv)
	}
	return writeJSON(w, v)
}
