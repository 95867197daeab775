package mockserver

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/authconform/authconform/specs"
)

// TestAccountStates logs in, through every login operation of every bundled spec, with accounts
// from a config file in each state, and expects the status the flow maps for that state
// (accountDisabled and passwordExpired fall back as specs.Flow.Failure says). It covers the
// failures no demo account exercises (efalia has no disabled account, elyssa no expired one).
func TestAccountStates(t *testing.T) {
	states := []struct {
		state   specs.AccountState
		failure specs.Failure
	}{
		{state: specs.StateEnabled},
		{state: specs.StateDisabled, failure: specs.FailAccountDisabled},
		{state: specs.StatePasswordExpired, failure: specs.FailPasswordExpired},
	}
	for _, name := range specs.Names() {
		sp := loadSpec(t, name)
		for _, st := range states {
			acc := AccountConfig{Username: "someone", Password: "some-password", CompanyID: "33333333-3333-4333-8333-333333333333",
				APIKeys: []string{"some-api-key"}, State: string(st.state), Profile: map[string]any{"userId": 9}}
			cfg := &Config{Specs: map[string]*SpecConfig{name: {Accounts: []AccountConfig{acc}}}}
			s, err := New([]*specs.Spec{sp}, WithConfig(cfg), WithClock(NewClockAt(t0)))
			if err != nil {
				t.Fatal(err)
			}
			h := &harness{t: t, s: s}
			for _, op := range sp.OperationsOf(specs.KindLogin) {
				want := op.Flow.Status
				if st.failure != "" {
					want, _ = op.Flow.Failure(st.failure)
				}
				t.Run(name+" "+op.ID+" "+string(st.state), func(t *testing.T) {
					h.t = t
					h.expect(h.do(loginRequest(h, sp, op, acc)), want)
				})
			}
		}
	}
}

// loginRequest builds a login from the flow's credential locations alone.
func loginRequest(h *harness, sp *specs.Spec, op *specs.Operation, acc AccountConfig) *http.Request {
	body := map[string]any{}
	q := url.Values{}
	var kv []string
	for _, c := range op.Flow.Credentials {
		v := map[string]string{specs.FieldUsername: acc.Username, specs.FieldPassword: acc.Password,
			specs.FieldCompanyID: acc.CompanyID, specs.FieldAPIKey: acc.APIKeys[0], specs.FieldID: acc.ID}[c.Field]
		switch c.In {
		case specs.InBody:
			specs.SetPointer(body, c.Pointer, v)
		case specs.InQuery:
			q.Set(c.Name, v)
		case specs.InHeader:
			kv = append(kv, c.Name, v)
		}
	}
	path := sp.BasePath + op.Path
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	b := ""
	if len(body) > 0 {
		data, _ := json.Marshal(body)
		b = string(data)
	}
	return h.req(op.Method, path, b, kv...)
}
