package devtools

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/authconform/authconform/mockserver"
	"github.com/authconform/authconform/specs"
)

// client is what a frontend developer does with curl: real HTTP against a listening mock.
type client struct {
	t    *testing.T
	base string
}

func startMock(t *testing.T) *client {
	t.Helper()
	all, err := specs.LoadAll()
	if err != nil {
		t.Fatal(err)
	}
	s, _, err := newMock(all) // the real clock, moved only through the admin API
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s) // 127.0.0.1 only
	t.Cleanup(srv.Close)
	return &client{t: t, base: srv.URL}
}

// call sends a request and returns the status, headers and decoded JSON body (nil when none).
func (c *client) call(method, path, body string, kv ...string) (int, http.Header, any) {
	c.t.Helper()
	req, err := http.NewRequestWithContext(c.t.Context(), method, c.base+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(kv); i += 2 {
		req.Header.Set(kv[i], kv[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var v any
	if len(data) > 0 {
		if err := json.Unmarshal(data, &v); err != nil {
			c.t.Fatalf("%s %s: body is not JSON: %s", method, path, data)
		}
	}
	return resp.StatusCode, resp.Header, v
}

// step fails the test unless the call answers want, and returns the body as an object.
func (c *client) step(what string, want int, method, path, body string, kv ...string) (map[string]any, http.Header) {
	c.t.Helper()
	got, hdr, v := c.call(method, path, body, kv...)
	if got != want {
		c.t.Fatalf("%s: %s %s answered %d (%s), want %d", what, method, path, got, hdr.Get(mockserver.MessageHeader), want)
	}
	m, _ := v.(map[string]any)
	return m, hdr
}

func (c *client) advance(d string) {
	c.t.Helper()
	c.step("advance the clock by "+d, 200, "POST", "/__authconform/clock", `{"advance":"`+d+`"}`)
}

func TestWalkthrough(t *testing.T) {
	cases := []struct {
		name string
		walk func(c *client)
	}{
		{name: "efalia", walk: func(c *client) {
			b, _ := c.step("log in", 200, "POST", "/workey/api/auth/token", `{"username":"alice","password":"alice-password"}`)
			access, refresh := str(b["token"]), str(b["refreshToken"])
			c.step("probe", 200, "GET", "/workey/api/processes", "", "Authorization", "Bearer "+access)
			c.advance("1h1s")
			c.step("probe after the access lifetime", 401, "GET", "/workey/api/processes", "", "Authorization", "Bearer "+access)
			b, _ = c.step("refresh", 200, "POST", "/workey/api/auth/refresh", `{"refreshToken":"`+refresh+`"}`)
			access2, refresh2 := str(b["token"]), str(b["refreshToken"])
			c.step("probe with the new token", 200, "GET", "/workey/api/processes", "", "Authorization", "Bearer "+access2)
			c.step("reuse the old refresh token", 555, "POST", "/workey/api/auth/refresh", `{"refreshToken":"`+refresh+`"}`)
			c.step("log out", 200, "POST", "/workey/api/auth/logout", "", "Authorization", "Bearer "+access2)
			c.step("probe after logout", 401, "GET", "/workey/api/processes", "", "Authorization", "Bearer "+access2)
			c.step("refresh after logout", 555, "POST", "/workey/api/auth/refresh", `{"refreshToken":"`+refresh2+`"}`)
		}},
		{name: "pixfile", walk: func(c *client) {
			b, hdr := c.step("log in", 200, "POST", "/api/v2/login", `{"username":"user","password":"pass"}`)
			tok := hdr.Get("X-Auth-Token")
			if tok == "" || tok != b["X-Auth-Token"] {
				c.t.Fatalf("header token %q and body token %v differ", tok, b["X-Auth-Token"])
			}
			c.step("probe", 200, "GET", "/api/v2/customers", "", "x-auth-token", tok)
			c.advance("24h1s")
			c.step("probe after 24h", 401, "GET", "/api/v2/customers", "", "X-Auth-Token", tok)
			_, hdr = c.step("log in again (no refresh documented)", 200, "POST", "/api/v2/login", `{"username":"user","password":"pass"}`)
			c.step("probe with the new token", 200, "GET", "/api/v2/customers", "", "X-Auth-Token", hdr.Get("X-Auth-Token"))
		}},
		{name: "elyssa", walk: func(c *client) {
			b, _ := c.step("log in", 200, "POST", "/auth/login/", `{"companyId":"`+company1+`"}`)
			access, refresh := str(b["accessToken"]), str(b["refreshToken"])
			c.step("probe", 200, "GET", "/companies/me", "", "Authorization", "Bearer "+access, "x-company-id", company1)
			c.step("probe as another company", 401, "GET", "/companies/me", "", "Authorization", "Bearer "+access, "x-company-id", company2)
			c.advance("24h1s")
			c.step("probe after 24h", 401, "GET", "/companies/me", "", "Authorization", "Bearer "+access, "x-company-id", company1)
			b, _ = c.step("refresh", 200, "POST", "/auth/refresh/", `{"refresh":"`+refresh+`"}`)
			c.step("probe with the new token", 200, "GET", "/companies/me", "", "Authorization", "Bearer "+str(b["accessToken"]), "x-company-id", company1)
			c.step("the access token is not a refresh token", 401, "POST", "/auth/refresh/", `{"refresh":"`+str(b["accessToken"])+`"}`)
		}},
		{name: "precrime", walk: func(c *client) {
			b, _ := c.step("log in", 200, "POST", "/user/login", `{"username":"john.doe","password":"SecurePass123!"}`)
			tok := str(b["Token"])
			c.step("probe", 200, "GET", "/authheader/list", "", "Authorization", "Bearer "+tok)
			b, _ = c.step("add a key", 200, "POST", "/authheader/add", `{"name":"laptop"}`, "Authorization", "Bearer "+tok)
			key := str(b["token"])
			_, _, list := c.call("GET", "/authheader/list", "", "Authorization", "Bearer "+key)
			if l, _ := list.([]any); len(l) != 1 {
				c.t.Fatalf("list with the key: %v, want the one key", list)
			}
			c.advance("1h1s")
			c.step("the JWT after its lifetime", 401, "GET", "/authheader/list", "", "Authorization", "Bearer "+tok)
			c.step("the key still works", 200, "GET", "/authheader/list", "", "Authorization", "Bearer "+key)
			c.step("delete the key", 200, "POST", "/authheader/delete", `{"text":"`+key+`"}`, "Authorization", "Bearer "+key)
			c.step("the deleted key is refused", 401, "GET", "/authheader/list", "", "Authorization", "Bearer "+key)
			c.step("reset", 200, "POST", "/__authconform/reset", "", "Content-Type", "application/json")
			c.step("log in after reset", 200, "POST", "/user/login", `{"username":"john.doe","password":"SecurePass123!"}`)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.walk(startMock(t))
		})
	}
}
