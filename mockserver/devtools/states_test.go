package devtools

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/authconform/authconform/mockserver"
	"github.com/authconform/authconform/mockserver/accounts"
	"github.com/authconform/authconform/specs"
)

// TestAccountStates logs in, through every login operation of every bundled spec, with accounts
// from a config file in each state, and expects the status the flow maps for that state
// (accountDisabled and passwordExpired fall back as specs.Flow.Failure says). It covers the
// failures no demo account exercises (efalia has no disabled account). A state the spec does not
// document (passwordExpired where no login takes a password: elyssa) is refused in the config.
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
			acc := mockserver.AccountConfig{"apiKeys": []any{"some-api-key"}, "state": string(st.state), "profile": map[string]any{"userId": 9}}
			for _, f := range sp.Fields {
				acc[f.Name] = "some-" + f.Name + "-33333333-3333-4333-8333-333333333333"
			}
			cfg := &mockserver.Config{Specs: map[string]*mockserver.SpecConfig{name: {Accounts: []mockserver.AccountConfig{acc}}}}
			s, d, err := newMock([]*specs.Spec{sp}, mockserver.WithConfig(cfg), mockserver.WithClock(mockserver.NewClockAt(t0)))
			if !slices.Contains(accounts.States(sp), st.state) {
				if err == nil || !strings.Contains(err.Error(), "specs."+name+".accounts[0].state: state "+string(st.state)+" does not exist") {
					t.Errorf("%s: a %s account: error %v", name, st.state, err)
				}
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			h := &harness{t: t, s: s, d: d}
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
func loginRequest(h *harness, sp *specs.Spec, op *specs.Operation, acc mockserver.AccountConfig) *http.Request {
	body := map[string]any{}
	q := url.Values{}
	var kv []string
	for _, c := range op.Flow.Credentials {
		v, _ := acc[c.Field].(string)
		if c.Field == specs.FieldAPIKey {
			v = acc["apiKeys"].([]any)[0].(string)
		}
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

// TestAccountStatesFollowTheSpec: the admin API offers only the states a spec documents. elyssa's
// login takes a company id, no password: its accounts cannot have an expired password, by the
// admin API's action, by an added account, or by Prefer: auth=expired on its login. Before, the
// action answered 200 and the login then said "the account's password has expired".
func TestAccountStatesFollowTheSpec(t *testing.T) {
	elyssaLogin := func(h *harness, prefer string) *httptest.ResponseRecorder {
		return h.do(h.req("POST", "/auth/login/", `{"companyId":"`+company1+`"}`, "Prefer", prefer))
	}
	cases := []struct {
		name string
		run  func(t *testing.T, h *harness)
	}{
		{name: "specs list their states", run: func(t *testing.T, h *harness) {
			var b struct{ Specs []specView }
			_ = json.Unmarshal(serve(h.s, h.req("GET", mockserver.AdminPrefix+"specs", "")).Body.Bytes(), &b)
			got := map[string]string{}
			for _, s := range b.Specs {
				got[s.Name] = fmt.Sprint(s.AccountStates)
			}
			want := map[string]string{"elyssa": "[enabled disabled]", "pixfile": "[enabled disabled passwordExpired]",
				"efalia": "[enabled disabled passwordExpired]", "precrime": "[enabled disabled passwordExpired]"}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("account states %v, want %v", got, want)
			}
		}},
		{name: "no expire-password without a password", run: func(t *testing.T, h *harness) {
			rec := serve(h.s, h.req("POST", mockserver.AdminPrefix+"accounts/elyssa/"+company1+"/expire-password", ""))
			h.expect(rec, 404)
			if !strings.Contains(rec.Header().Get(mockserver.MessageHeader), "no login of it takes a password") {
				t.Errorf("message %q", rec.Header().Get(mockserver.MessageHeader))
			}
			h.expect(elyssaLogin(h, ""), 200)
		}},
		{name: "disable works without a password", run: func(t *testing.T, h *harness) {
			h.admin("POST", "accounts/elyssa/"+company1+"/disable", "", 200)
			h.expect(elyssaLogin(h, ""), 401)
		}},
		{name: "expire-password where the login takes one", run: func(t *testing.T, h *harness) {
			h.admin("POST", "accounts/pixfile/carol/expire-password", "", 200)
			h.expect(h.do(h.req("POST", "/api/v2/login", `{"username":"carol","password":"carol-password"}`)), 403)
		}},
		{name: "no account added with an expired password", run: func(t *testing.T, h *harness) {
			rec := serve(h.s, h.req("POST", mockserver.AdminPrefix+"accounts?spec=elyssa", `{"companyId":"33333333-3333-4333-8333-333333333333","state":"passwordExpired"}`))
			h.expect(rec, 400)
			if !strings.Contains(rec.Header().Get(mockserver.MessageHeader), "body /state") {
				t.Errorf("message %q", rec.Header().Get(mockserver.MessageHeader))
			}
			h.admin("POST", "accounts?spec=elyssa", `{"companyId":"33333333-3333-4333-8333-333333333333","state":"disabled"}`, 201)
		}},
		{name: "Prefer auth=expired is not applied to a login without a password", run: func(t *testing.T, h *harness) {
			rec := elyssaLogin(h, "auth=expired")
			h.expect(rec, 200)
			if got := rec.Header().Get("Preference-Applied"); got != "" {
				t.Errorf("Preference-Applied %q", got)
			}
			h.expect(h.do(h.req("POST", "/user/login", `{"username":"john.doe","password":"SecurePass123!"}`, "Prefer", "auth=expired")), 403)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, newHarness(t)) })
	}
}
