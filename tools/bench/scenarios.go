package main

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// benchAccounts is how many API-key accounts the mock gets; more than the connections.
const benchAccounts = 256

var nextBenchAccount atomic.Int64

// conformAccounts are the accounts the conformance phase needs: a --config replaces a spec's demo
// accounts, so they are repeated here (as the specs' x-authconform.accounts have them), followed
// by the disabled and password-expired accounts of conformExtraAccounts.
//
//go:embed conform-accounts.yaml
var conformAccounts string

// benchConfig is the mock's --config: the conformance phase's accounts, and precrime accounts for
// the API-key flow.
func benchConfig() string {
	var b strings.Builder
	cfg := conformAccounts
	for _, name := range []string{"efalia", "elyssa", "pixfile", "precrime"} {
		// Pinned keys, so the floor server verifies the mock's tokens (floor.go).
		cfg = strings.Replace(cfg, "  "+name+":\n", "  "+name+":\n    signingKey: "+benchSigningKey(name)+"\n", 1)
	}
	b.WriteString(cfg)
	for n := range benchAccounts {
		fmt.Fprintf(&b, "      - {username: bench-%d, password: bench-password}\n", n)
	}
	return b.String()
}

// scenario is one flow driven against both servers. The paths and demo accounts are those of the
// bundled specs (see `authconform specs show NAME`).
type scenario struct {
	name  string
	setup func(base string, st *workerState) error
	steps []step
}

func jsonBody(v any) func(*workerState) []byte {
	b, _ := json.Marshal(v)
	return func(*workerState) []byte { return b }
}

var jsonHeader = http.Header{"Content-Type": {"application/json"}}

// setupClient sends the untimed requests (setup logins, captures, admin calls), each bounded.
var setupClient = &http.Client{Timeout: 10 * time.Second}

// post sends one untimed setup request and decodes its JSON answer.
func post(base, path string, body any, header map[string]string) (map[string]any, http.Header, error) {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, base+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := setupClient.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("POST %s: %d %s", path, resp.StatusCode, truncate(raw, 200))
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, nil, fmt.Errorf("POST %s: %w", path, err)
	}
	return out, resp.Header, nil
}

func field(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

func scenarios() []scenario {
	return []scenario{
		{
			name: "login",
			steps: []step{{method: http.MethodPost, path: "/api/v2/login", header: jsonHeader,
				body: jsonBody(map[string]string{"username": "user", "password": "pass"})}},
		},
		{
			name: "protected GET",
			setup: func(base string, st *workerState) error {
				_, h, err := post(base, "/api/v2/login", map[string]string{"username": "user", "password": "pass"}, nil)
				if err != nil {
					return err
				}
				st.vals["H:X-Auth-Token"] = h.Get("X-Auth-Token")
				return nil
			},
			steps: []step{{method: http.MethodGet, path: "/api/v2/customers"}},
		},
		{
			name: "refresh",
			setup: func(base string, st *workerState) error {
				out, _, err := post(base, "/auth/login/", map[string]string{"companyId": "11111111-1111-4111-8111-111111111111"}, nil)
				if err != nil {
					return err
				}
				st.vals["refresh"] = field(out, "refreshToken")
				return nil
			},
			steps: []step{{method: http.MethodPost, path: "/auth/refresh/", header: jsonHeader,
				body: func(st *workerState) []byte {
					b, _ := json.Marshal(map[string]string{"refresh": st.vals["refresh"]})
					return b
				}}},
		},
		{
			name: "refresh (rotating)",
			setup: func(base string, st *workerState) error {
				out, _, err := post(base, "/workey/api/auth/token", map[string]string{"username": "alice", "password": "alice-password"}, nil)
				if err != nil {
					return err
				}
				st.vals["refresh"] = field(out, "refreshToken")
				return nil
			},
			steps: []step{{method: http.MethodPost, path: "/workey/api/auth/refresh", header: jsonHeader,
				body: func(st *workerState) []byte {
					b, _ := json.Marshal(map[string]string{"refreshToken": st.vals["refresh"]})
					return b
				},
				next: func(st *workerState, _ *http.Response, body []byte) error {
					var out map[string]any
					if err := json.Unmarshal(body, &out); err != nil {
						return err
					}
					if r := field(out, "refreshToken"); r != "" {
						st.vals["refresh"] = r
					}
					return nil
				}}},
		},
		{
			// Each worker logs in as its own account (benchAccounts, given to the mock with
			// --config), so every list holds only the worker's own key, like the bare server's
			// captured answer.
			name: "API key add/list/delete",
			setup: func(base string, st *workerState) error {
				n := nextBenchAccount.Add(1) % benchAccounts
				out, _, err := post(base, "/user/login", map[string]string{"username": fmt.Sprintf("bench-%d", n), "password": "bench-password"}, nil)
				if err != nil {
					return err
				}
				st.vals["H:Authorization"] = "Bearer " + field(out, "Token")
				return nil
			},
			steps: []step{
				{method: http.MethodPost, path: "/authheader/add", header: jsonHeader, body: jsonBody(map[string]string{"name": "bench"}),
					next: func(st *workerState, _ *http.Response, body []byte) error {
						var out map[string]any
						if err := json.Unmarshal(body, &out); err != nil {
							return err
						}
						st.vals["key"] = field(out, "token")
						return nil
					}},
				{method: http.MethodGet, path: "/authheader/list"},
				{method: http.MethodPost, path: "/authheader/delete", header: jsonHeader,
					body: func(st *workerState) []byte {
						b, _ := json.Marshal(map[string]string{"text": st.vals["key"]})
						return b
					}},
			},
		},
	}
}

// capture runs each scenario's steps once against the mock and records the answers, which the bare
// server then replays byte for byte.
func capture(base string, list []scenario) (map[string]canned, error) {
	out := map[string]canned{}
	for _, sc := range list {
		st := &workerState{vals: map[string]string{}}
		if sc.setup != nil {
			if err := sc.setup(base, st); err != nil {
				return nil, fmt.Errorf("%s: %w", sc.name, err)
			}
		}
		for _, s := range sc.steps {
			var rd io.Reader
			if s.body != nil {
				rd = bytes.NewReader(s.body(st))
			}
			req, _ := http.NewRequest(s.method, base+s.path, rd)
			for h, v := range s.header {
				req.Header[h] = v
			}
			for h, v := range st.vals {
				if strings.HasPrefix(h, "H:") {
					req.Header.Set(h[2:], v)
				}
			}
			resp, err := setupClient.Do(req)
			if err != nil {
				return nil, err
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode >= 300 {
				return nil, fmt.Errorf("%s: %s %s answered %d: %s", sc.name, s.method, s.path, resp.StatusCode, truncate(b, 200))
			}
			if s.next != nil {
				if err := s.next(st, resp, b); err != nil {
					return nil, err
				}
			}
			h := map[string]string{}
			for k := range resp.Header {
				if k != "Date" && k != "Content-Length" {
					h[k] = resp.Header.Get(k)
				}
			}
			out[s.method+" "+s.path] = canned{Status: resp.StatusCode, Header: h, Body: b}
		}
	}
	return out, nil
}
