package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/authconform/authconform/mockserver"
	"github.com/authconform/authconform/specs"
)

// What serve prints for a developer at start: where each spec lives, its accounts, and curl lines
// to log in and call a protected operation, with no configured secret written out.

// printBanner tells a developer where each spec lives, which accounts to use and how to log in.
// Demo passwords are the spec's published demo values; with a config file (configFile) no
// account's secret is printed anywhere: the curl line reads it from $PASSWORD or $API_KEY.
func printBanner(w io.Writer, root string, mock *mockserver.Server, configFile, state string) {
	fromConfig := configFile != ""
	fmt.Fprintf(w, "authconform mock listening on %s\n", root)
	list := mock.Specs()
	sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	for _, s := range list {
		fmt.Fprintf(w, "\n%s (%s %s)\n  base URL: %s%s\n", s.Name, s.Title, s.Version, root, s.BasePath)
		for _, id := range slices.Sorted(maps.Keys(s.Readings)) {
			d, _ := s.Decision(id)
			rd, _ := d.Reading(s.Readings[id])
			fmt.Fprintf(w, "  follows the reading %s = %s: %s\n", id, rd.Choice, rd.Means)
		}
		accounts := mock.Accounts(s.Name)
		if len(accounts) > 0 {
			fmt.Fprintln(w, "  accounts:")
		}
		for _, a := range accounts {
			fmt.Fprintf(w, "    %s\n", describeAccount(s, a, !fromConfig))
		}
		if line, acc, vars := loginCurl(root, s, accounts, fromConfig); line != "" {
			fmt.Fprintf(w, "  log in:\n    %s\n", line)
			for _, v := range vars {
				fmt.Fprintf(w, "    ($%s: the %s of %s in %s; set it first: read -rs %s && export %s)\n", v.name, v.what, acc, configFile, v.name, v.name)
			}
		}
		if line := probeCurl(root, s, accounts); line != "" {
			fmt.Fprintf(w, "  then call a protected operation:\n    %s\n", line)
		}
	}
	fmt.Fprintf(w, "\nstate: %s\n", state)
	fmt.Fprintf(w, "dashboard: %s%s\n", root, mockserver.AdminPrefix)
	fmt.Fprintf(w, "admin API: %s%sclock (GET, POST {\"advance\":\"24h1s\"} or {\"set\":\"<RFC 3339>\"}), %s%sreset (POST)\n",
		root, mockserver.AdminPrefix, root, mockserver.AdminPrefix)
	fmt.Fprintln(w, "  every admin POST and DELETE needs -H 'Content-Type: application/json'; the admin API answers loopback Host names and admin.hosts only")
	fmt.Fprintln(w, "Ctrl-C to stop.")
}

// describeAccount is an account for the banner: its fields in the spec's order (secrets only
// with showSecrets, the demo accounts' published values), its API keys likewise, and its state.
func describeAccount(sp *specs.Spec, a specs.Account, showSecrets bool) string {
	var parts []string
	for _, f := range sp.Fields {
		v := a.Fields[f.Name]
		if v == "" || f.Secret && !showSecrets {
			continue
		}
		parts = append(parts, f.Name+" "+v)
	}
	if len(parts) == 0 || !slices.ContainsFunc(sp.Fields, func(f specs.AccountField) bool { return !f.Secret && a.Fields[f.Name] != "" }) {
		parts = append([]string{"id " + a.ID}, parts...)
	}
	if showSecrets && len(a.APIKeys) > 0 {
		parts = append(parts, "API key "+strings.Join(a.APIKeys, ", "))
	}
	out := strings.Join(parts, ", ")
	if a.State != specs.StateEnabled {
		out += " (" + string(a.State) + ")"
	}
	return out
}

// secretVar is a secret a curl line reads from the shell rather than printing it.
type secretVar struct{ name, what string }

// loginCurl builds a ready-to-paste curl line for the spec's first current login operation with
// its first enabled account, and names that account. With hideSecrets the account's password and
// API key are not written: the line reads them from $PASSWORD and $API_KEY (vars lists those it
// uses), quoted so the shell expands them.
func loginCurl(root string, s *specs.Spec, accounts []specs.Account, hideSecrets bool) (line, account string, vars []secretVar) {
	var op *specs.Operation
	for _, o := range s.OperationsOf(specs.KindLogin) {
		if op == nil || (op.Deprecated && !o.Deprecated) {
			op = o
		}
	}
	var acc *specs.Account
	for i := range accounts {
		if accounts[i].State == specs.StateEnabled {
			acc = &accounts[i]
			break
		}
	}
	if op == nil || acc == nil {
		return "", "", nil
	}
	// A marker stands for each hidden secret until the line is quoted; it survives JSON and URL
	// encoding unchanged.
	markers := map[string]secretVar{}
	hide := func(field, v string) string {
		if !hideSecrets || v == "" {
			return v
		}
		sv := secretVar{strings.ToUpper(envName(field)), field}
		if field == specs.FieldAPIKey {
			sv = secretVar{"API_KEY", "API key"}
		}
		marker := "AUTHCONFORM_SECRET_" + sv.name
		if _, seen := markers[marker]; !seen {
			markers[marker] = sv
			vars = append(vars, sv)
		}
		return marker
	}
	body := map[string]any{}
	query := url.Values{}
	var headers []string
	for _, c := range op.Flow.Credentials {
		v := ""
		if c.Field == specs.FieldAPIKey {
			if len(acc.APIKeys) > 0 {
				v = acc.APIKeys[0]
			}
		} else if fv, ok := acc.Field(c.Field); ok {
			v = fmt.Sprint(fv)
		}
		if c.Secret() {
			v = hide(c.Field, v)
		}
		switch c.In {
		case specs.InBody:
			specs.SetPointer(body, c.Pointer, v)
		case specs.InQuery:
			query.Set(c.Name, v)
		case specs.InHeader:
			headers = append(headers, c.Name+": "+v)
		}
	}
	u := root + s.BasePath + op.Path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	line = "curl -i -X " + op.Method + " " + shellQuote(u)
	for _, h := range headers {
		line += " -H " + shellQuote(h)
	}
	if len(body) > 0 {
		b, _ := json.Marshal(body)
		line += " -H 'Content-Type: application/json' -d " + shellQuote(string(b))
	}
	for marker, sv := range markers {
		// Inside single quotes: close them, expand the variable in double quotes, reopen.
		line = strings.ReplaceAll(line, marker, `'"$`+sv.name+`"'`)
	}
	name := acc.ID
	for _, f := range s.Fields {
		if v := acc.Fields[f.Name]; v != "" && !f.Secret {
			name = v
			break
		}
	}
	return line, "account " + name, vars
}

// envName turns a field name into a shell variable's: password -> PASSWORD, pinCode -> PIN_CODE.
func envName(field string) string {
	var b strings.Builder
	for i, r := range field {
		switch {
		case r >= 'A' && r <= 'Z' && i > 0:
			b.WriteByte('_')
			b.WriteRune(r)
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

// probeCurl shows how the spec's probe operation takes the token of the login line.
func probeCurl(root string, s *specs.Spec, accounts []specs.Account) string {
	op, ok := s.Operation(s.Probe)
	if !ok || len(op.Security) == 0 {
		return ""
	}
	var acc *specs.Account
	for i := range accounts {
		if accounts[i].State == specs.StateEnabled {
			acc = &accounts[i]
			break
		}
	}
	alt := op.Security[0]
	for _, a := range op.Security { // prefer the alternative that takes the login's token
		for _, sc := range a {
			if sc.AcceptsKind(specs.CredAccessToken) {
				alt = a
			}
		}
	}
	line := "curl -i -X " + op.Method + " " + shellQuote(root+s.BasePath+op.Path)
	for _, sc := range alt {
		if sc.Optional || sc.In == specs.InQuery {
			continue
		}
		v := "<token>"
		switch {
		case sc.IsBasic():
			v = "Basic <base64 user:password>"
		case sc.IsBearer() && sc.BearerPrefix != specs.PrefixNone:
			v = "Bearer <token>"
		case sc.Binds != "" && acc != nil:
			if fv, ok := acc.Field(sc.Binds); ok {
				v = fmt.Sprint(fv)
			}
		}
		line += " -H " + shellQuote(sc.Header+": "+v)
	}
	return line
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
