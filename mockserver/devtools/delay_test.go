package devtools

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/authconform/authconform/mockserver"
)

// TestDelayEndsWhenTheClientLeaves: a provoked delay (Prefer: delay=25s, or a queued fault's
// delay) ends within a second of the client closing its connection, and the handler returns,
// with or without a request body. Before, with a body, net/http only notices a closed connection
// once the handler has read the body, so the goroutine and the connection were held 25 s.
func TestDelayEndsWhenTheClientLeaves(t *testing.T) {
	login := `{"username":"user","password":"pass"}`
	cases := []struct {
		name, method, path, body, prefer, fault string
	}{
		{name: "Prefer delay without a body", method: "GET", path: "/api/v2/customers", prefer: "delay=25s"},
		{name: "Prefer delay with a body", method: "POST", path: "/api/v2/login", body: login, prefer: "delay=25s"},
		{name: "Prefer delay with a body and a status", method: "POST", path: "/api/v2/login", body: login, prefer: "delay=25s, status=404"},
		{name: "queued fault delay with a body", method: "POST", path: "/api/v2/login", body: login, fault: `{"operation":"loginV2","delay":"25s"}`},
		{name: "queued fault delay without a body", method: "GET", path: "/api/v1/login?username=user&password=pass", fault: `{"operation":"loginV1","delay":"25s"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, "pixfile")
			if tc.fault != "" {
				h.admin("POST", "faults", tc.fault, 201)
			}
			returned := make(chan time.Time, 1)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				h.s.ServeHTTP(w, r)
				returned <- time.Now()
			}))
			defer srv.Close()
			conn, err := net.Dial("tcp", srv.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			raw := tc.method + " " + tc.path + " HTTP/1.1\r\nHost: mock\r\n"
			if tc.prefer != "" {
				raw += "Prefer: " + tc.prefer + "\r\n"
			}
			if tc.body != "" {
				raw += "Content-Type: application/json\r\nContent-Length: " + strconv.Itoa(len(tc.body)) + "\r\n"
			}
			if _, err := conn.Write([]byte(raw + "\r\n" + tc.body)); err != nil {
				t.Fatal(err)
			}
			time.Sleep(200 * time.Millisecond) // the handler is waiting now
			select {
			case <-returned:
				t.Fatal("the handler returned before the delay")
			default:
			}
			left := time.Now()
			_ = conn.Close()
			select {
			case at := <-returned:
				if d := at.Sub(left); d > time.Second {
					t.Errorf("the handler returned %s after the client left", d)
				}
			case <-time.After(3 * time.Second):
				t.Fatal("the handler still waits 3 s after the client left")
			}
			if e := h.journal("?limit=1").Entries; len(e) != 1 || e[0].Failure == "" {
				t.Errorf("journal %+v", e)
			}
		})
	}
}

// TestDelayKeepsTheBody: the body read before a delay still reaches the flow and the journal.
func TestDelayKeepsTheBody(t *testing.T) {
	h := newHarness(t, "pixfile")
	rec := h.do(h.req("POST", "/api/v2/login", `{"username":"user","password":"pass"}`, "Prefer", "delay=20ms"))
	h.expect(rec, 200)
	if rec.Header().Get("X-Auth-Token") == "" {
		t.Error("no token after the delay")
	}
	h.expect(h.do(h.req("POST", "/api/v2/login", `{"username":"user","password":"pass"}`, "Prefer", "delay=20ms, status=404")), 404)
	for _, e := range h.journal("").Entries {
		if b, ok := e.Request.Body.(map[string]any); !ok || b["username"] != "user" {
			t.Errorf("journal entry %d has request body %v", e.ID, e.Request.Body)
		}
	}
	big := `{"username":"` + strings.Repeat("u", mockserver.DefaultMaxBody) + `"}`
	h.expect(serve(h.s, h.req("POST", "/api/v2/login", big, "Prefer", "delay=20ms")), http.StatusRequestEntityTooLarge)
}
