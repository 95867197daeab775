package cli

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/authconform/authconform/runner"
	"github.com/authconform/authconform/specs"
)

// showSpec prints what a spec says about authentication, as tables a person reads.
func showSpec(w io.Writer, s *specs.Spec) {
	fmt.Fprintf(w, "%s — %s %s\n", s.Name, s.Title, s.Version)
	fmt.Fprintf(w, "file:      %s\nsha256:    %s\nbase path: %s\n", s.File, s.SHA256, orDash(s.BasePath, "/"))
	if s.Probe != "" {
		fmt.Fprintf(w, "probe:     %s\n", s.Probe)
	}

	fmt.Fprintln(w, "\nTOKENS")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "  algorithm\t%s\tissuer %s\n", s.Tokens.Algorithm, s.Tokens.Issuer)
	lt := func(name string, l *specs.Lifetime) {
		if l == nil {
			fmt.Fprintf(tw, "  %s\tnone\t\n", name)
			return
		}
		doc := "documented"
		if !l.Documented {
			doc = "not documented (mock's choice)"
		}
		format := ""
		if l.Format == specs.FormatOpaque {
			format = " (opaque: a random string the server remembers)"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s: %s%s\n", name, l.Lifetime, doc, l.Source, format)
	}
	lt("access", &s.Tokens.Access)
	lt("refresh", s.Tokens.Refresh)
	tw.Flush()

	fmt.Fprintln(w, "\nOPERATIONS (added: not in the vendor's document; 400*: a status we added; ADDITIONS says why)")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  OPERATION\tFLOW\tCREDENTIAL\tREADS / WRITES\tSTATUSES")
	for _, op := range s.Operations {
		var io []string
		for _, c := range op.Flow.Credentials {
			io = append(io, c.Field+"<-"+c.Location.String())
		}
		for _, l := range []*specs.Location{op.Flow.RefreshToken, op.Flow.KeyName, op.Flow.KeyValue} {
			if l != nil {
				io = append(io, "<-"+l.String())
			}
		}
		for _, t := range op.Flow.Tokens {
			io = append(io, string(t.Token)+"->"+t.Location.String())
		}
		if op.Flow.Rotate {
			io = append(io, "rotates")
		}
		if op.Flow.OnReuse == specs.ReuseRevokeFamily {
			io = append(io, "reuse revokes the family")
		}
		for _, fx := range op.Flow.Fixed {
			io = append(io, fx.Location.String()+"="+fx.Value)
		}
		if ca := op.Flow.Client; ca != nil {
			client := "client<-" + ca.ID.String()
			if ca.Secret != nil {
				client += "," + ca.Secret.String()
			}
			if ca.Basic {
				client += " or Basic"
			}
			io = append(io, client)
		}
		for _, b := range op.Flow.Binds {
			io = append(io, b.Location.String()+"=account's "+b.Field)
		}
		name := op.Key()
		if op.Deprecated {
			name += " (deprecated)"
		}
		if op.Added != "" {
			name += " (added)"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", name, op.Flow.Kind, securityString(op), orDash(strings.Join(io, "; "), "-"), statusString(op))
	}
	tw.Flush()

	fmt.Fprintln(w, "\nCREDENTIAL SCHEMES")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, name := range sortedSchemeNames(s) {
		sc := s.Schemes[name]
		var rule []string
		if len(sc.Accepts) > 0 {
			acc := make([]string, len(sc.Accepts))
			for i, a := range sc.Accepts {
				acc[i] = string(a)
			}
			rule = append(rule, "accepts "+strings.Join(acc, ", "))
		}
		if sc.Binds != "" {
			rule = append(rule, "must equal the account's "+sc.Binds)
		}
		if sc.Impersonates != "" {
			rule = append(rule, "acts as the account with this "+sc.Impersonates)
		}
		if sc.Optional {
			rule = append(rule, "optional")
		}
		switch sc.BearerPrefix {
		case specs.PrefixOptional:
			rule = append(rule, `"Bearer " prefix optional`)
		case specs.PrefixNone:
			rule = append(rule, `the raw token, without "Bearer "`)
		}
		where := "header " + sc.Header
		if sc.IsBasic() {
			where = "Authorization: Basic"
		} else if sc.IsBearer() {
			where = "Authorization: Bearer"
		} else if sc.In == specs.InQuery {
			where = "query " + sc.Header
		}
		if sc.Added != "" {
			name += " (added)"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", name, where, strings.Join(rule, "; "))
	}
	tw.Flush()

	var fields []string
	for _, f := range s.Fields {
		if f.Secret {
			fields = append(fields, f.Name+" (secret)")
		} else {
			fields = append(fields, f.Name)
		}
	}
	if len(s.States) > 0 {
		fmt.Fprintln(w, "\nACCOUNT STATES (besides enabled, disabled, passwordExpired)")
		for _, st := range s.States {
			fmt.Fprintf(w, "  %s: login refused as %s\n", st.Name, st.Failure)
		}
	}
	if len(s.Clients) > 0 {
		fmt.Fprintln(w, "\nCLIENTS (OAuth 2 clients the mock accepts)")
		for _, cl := range s.Clients {
			kind := "confidential, secret " + cl.Secret
			if cl.Secret == "" {
				kind = "public"
			}
			fmt.Fprintf(w, "  %s: %s\n", cl.ID, kind)
		}
	}
	fmt.Fprintf(w, "\nDEMO ACCOUNTS (fields: %s)\n", strings.Join(fields, ", "))
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, a := range s.Accounts {
		var parts []string
		for _, f := range s.Fields {
			if v := a.Fields[f.Name]; v != "" {
				parts = append(parts, f.Name+" "+v)
			}
		}
		for _, k := range a.APIKeys {
			parts = append(parts, "API key "+k)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", a.ID, a.State, strings.Join(parts, ", "))
	}
	tw.Flush()

	if plan, err := runner.Plan(s, nil); err == nil {
		count := map[string]int{}
		for _, p := range plan {
			if p.Operation != "" {
				count[string(p.Level)+" "+string(p.Provenance.Basis)]++
			}
		}
		fmt.Fprintln(w, "\nCHECKS (what a target of this spec is held to, by provenance; authconform specs catalog "+s.Name+" lists each)")
		for _, k := range slices.Sorted(maps.Keys(count)) {
			level, basis, _ := strings.Cut(k, " ")
			fmt.Fprintf(w, "  %-6s %3d  %s\n", level, count[k], map[string]string{
				"documented": "documented: the vendor's document states or implies it",
				"target":     "target: what the target file states (expect)",
				"reading":    "reading: one of the decisions below; MUST when the target file declares it",
				"practice":   "practice: an RFC or OWASP rule the vendor did not state",
			}[basis])
		}
	}

	if len(s.Additions) > 0 {
		fmt.Fprintln(w, "\nADDITIONS (not in the vendor's document; x-authconform-added says why)")
		for _, a := range s.Additions {
			fmt.Fprintf(w, "  %-9s %s\n            %s\n", a.Kind, a.Where, a.Why)
		}
	}

	if len(s.Decisions) > 0 {
		fmt.Fprintln(w, "\nDECISIONS (where the vendor's document is silent or contradicts itself)")
		for _, d := range s.Decisions {
			fmt.Fprintf(w, "  %s (%s)\n    problem:  %s\n    decision: %s\n", d.ID, d.Where, d.Problem, d.Decision)
			for i, rd := range d.Readings {
				mark := ""
				if i == 0 {
					mark = " (the document's and the mock's)"
				}
				if c, ok := s.Readings[d.ID]; ok && c == rd.Choice {
					mark = " (followed here)"
				}
				fmt.Fprintf(w, "    reading %s%s: %s\n", rd.Choice, mark, rd.Means)
			}
		}
	}
}

func securityString(op *specs.Operation) string {
	if !op.Protected() {
		return "none"
	}
	alts := make([]string, len(op.Security))
	for i, alt := range op.Security {
		names := make([]string, len(alt))
		for j, sc := range alt {
			names[j] = sc.Name
		}
		alts[i] = strings.Join(names, "+")
	}
	return strings.Join(alts, " | ")
}

func statusString(op *specs.Operation) string {
	parts := make([]string, len(op.Statuses))
	for i, st := range op.Statuses {
		parts[i] = fmt.Sprint(st)
		if op.AddedResponses[st] != "" {
			parts[i] += "*"
		}
	}
	return strings.Join(parts, " ")
}

func sortedSchemeNames(s *specs.Spec) []string {
	names := make([]string, 0, len(s.Schemes))
	for n := range s.Schemes {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func orDash(s, dash string) string {
	if s == "" {
		return dash
	}
	return s
}
