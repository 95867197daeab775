package devtools

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/authconform/authconform/mockserver"
	"github.com/authconform/authconform/specs"
)

// TestAdminClockRange: the admin clock shows a time between 1970 and 9999 or refuses with 400
// naming the bound; it never wraps. Before, {"advance":"2562047h"} twice or {"set":
// "9999-12-31T23:59:59Z"} answered 200 and put the clock in another year.
func TestAdminClockRange(t *testing.T) {
	const maxAdvance = 2562047 * time.Hour
	cases := []struct {
		name  string
		moves []string // bodies of POST /clock, in order; all but the last must answer 200
		want  int      // status of the last
		now   time.Time
		msg   string // part of the refusal
	}{
		{name: "the last second of 9999", moves: []string{`{"set":"9999-12-31T23:59:59Z"}`}, want: 200,
			now: time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)},
		{name: "the epoch", moves: []string{`{"set":"1970-01-01T00:00:00Z"}`}, want: 200, now: time.Unix(0, 0)},
		{name: "the longest advance twice", moves: []string{`{"advance":"2562047h"}`, `{"advance":"2562047h"}`}, want: 200,
			now: t0.Add(maxAdvance).Add(maxAdvance)},
		{name: "and back twice", moves: []string{`{"advance":"2562047h"}`, `{"advance":"2562047h"}`, `{"advance":"-2562047h"}`, `{"advance":"-2562047h"}`},
			want: 200, now: t0},
		{name: "year 10000 by its offset", moves: []string{`{"set":"9999-12-31T23:59:59-01:00"}`}, want: 400, msg: "after 9999-12-31T23:59:59Z"},
		{name: "before the epoch", moves: []string{`{"set":"1969-12-31T23:59:59Z"}`}, want: 400, msg: "before 1970-01-01T00:00:00Z"},
		{name: "before the epoch by its offset", moves: []string{`{"set":"1970-01-01T00:00:00+00:01"}`}, want: 400, msg: "before 1970-01-01T00:00:00Z"},
		{name: "year zero", moves: []string{`{"set":"0000-01-01T00:00:00Z"}`}, want: 400, msg: "before 1970"},
		{name: "year five digits", moves: []string{`{"set":"10000-01-01T00:00:00Z"}`}, want: 400, msg: "RFC 3339"},
		{name: "advance past 9999", moves: []string{`{"set":"9999-12-31T00:00:00Z"}`, `{"advance":"1d"}`}, want: 400,
			msg: "after 9999-12-31T23:59:59Z"},
		{name: "back before the epoch", moves: []string{`{"advance":"-2562047h"}`}, want: 400, msg: "before 1970-01-01T00:00:00Z"},
		{name: "an advance a duration cannot hold", moves: []string{`{"advance":"2562048h"}`}, want: 400, msg: "at most 2562047h47m16.854775807s"},
		{name: "days and hours that wrap", moves: []string{`{"advance":"36600d2562047h"}`}, want: 400, msg: "at most 2562047h47m16.854775807s"},
		{name: "a double minus", moves: []string{`{"advance":"--1h"}`}, want: 400, msg: "body /advance"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, "pixfile")
			var before time.Time
			for i, body := range tc.moves {
				before = h.s.Clock().Now()
				want := 200
				if i == len(tc.moves)-1 {
					want = tc.want
				}
				rec := serve(h.s, h.req("POST", mockserver.AdminPrefix+"clock", body))
				h.expect(rec, want)
				if want == 400 {
					if !strings.Contains(rec.Body.String(), tc.msg) {
						t.Errorf("message %s, want %q", rec.Body.String(), tc.msg)
					}
					if now := h.s.Clock().Now(); !now.Equal(before) {
						t.Errorf("a refused move changed the clock from %s to %s", before, now)
					}
				}
			}
			if tc.want != 200 {
				return
			}
			if now := h.s.Clock().Now(); !now.Equal(tc.now) {
				t.Errorf("clock at %s, want %s", now.UTC(), tc.now.UTC())
			}
			var got struct{ Now string }
			_ = json.Unmarshal(serve(h.s, h.req("GET", mockserver.AdminPrefix+"clock", "")).Body.Bytes(), &got)
			if got.Now != tc.now.UTC().Format(time.RFC3339Nano) {
				t.Errorf("GET clock: %q, want %q", got.Now, tc.now.UTC().Format(time.RFC3339Nano))
			}
		})
	}
}

// TestClockAtTheEndOfTime: with the clock at the end of 9999 the mock still logs in and the admin
// API still lists the session, whose token expires in year 10000 (encoding/json refuses such a
// time.Time: that was a 500).
func TestClockAtTheEndOfTime(t *testing.T) {
	h := newHarness(t, "efalia")
	h.admin("POST", "clock", `{"set":"9999-12-31T23:00:00Z"}`, 200)
	access, _ := h.efaliaTokens("alice", "alice-password")
	h.expect(h.do(h.req("GET", "/workey/api/processes", "", "Authorization", "Bearer "+access)), 200)
	for _, path := range []string{"sessions", "journal", "clock"} {
		rec := serve(h.s, h.req("GET", mockserver.AdminPrefix+path, ""))
		h.expect(rec, 200)
	}
	var b struct {
		Sessions []struct{ Refresh struct{ Expires string } }
	}
	if err := json.Unmarshal(serve(h.s, h.req("GET", mockserver.AdminPrefix+"sessions", "")).Body.Bytes(), &b); err != nil ||
		len(b.Sessions) != 1 || !strings.HasPrefix(b.Sessions[0].Refresh.Expires, "10000-") {
		t.Errorf("sessions %+v (%v)", b, err)
	}
}

// FuzzClockBody: any body of POST /clock either is refused or moves the clock into
// 1970..9999, by exactly the advance asked for; the clock then reads what was answered.
func FuzzClockBody(f *testing.F) {
	for _, s := range []string{`{"advance":"24h1s"}`, `{"advance":"-2562047h"}`, `{"advance":"36600d2562047h"}`, `{"set":"9999-12-31T23:59:59-23:59"}`,
		`{"set":"1970-01-01T00:00:00+23:59"}`, `{"advance":"1h","set":"2030-01-01T00:00:00Z"}`, `{"advance":"9223372036854775807ns"}`, `{"advance":"--1h"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var req clockRequest
		if decodeAdminJSON([]byte(body), &req) != nil {
			return
		}
		c := mockserver.NewClockAt(t0)
		now := c.Now()
		to, err := clockTarget(now, req)
		if err != nil {
			if strings.TrimSpace(err.Error()) == "" {
				t.Fatal("a refusal without a message")
			}
			return
		}
		if to.Before(clockMin) || to.After(clockMax) {
			t.Fatalf("%s: clock to %s, outside the range", body, to)
		}
		if req.Advance != nil {
			d, err := parseSignedDuration(*req.Advance)
			if err != nil || !to.Equal(now.Add(d)) || (d > 0) != to.After(now) && d != 0 {
				t.Fatalf("%s: advanced from %s to %s (%v)", body, now, to, err)
			}
		}
		c.Set(to)
		if !c.Now().Equal(to) {
			t.Fatalf("%s: the clock reads %s after being set to %s", body, c.Now(), to)
		}
	})
}

func TestAdminClock(t *testing.T) {
	h := newHarness(t, "pixfile")
	now := func(rec *httptest.ResponseRecorder) time.Time {
		t.Helper()
		ts, err := time.Parse(time.RFC3339, str(h.json(rec)["now"]))
		if err != nil {
			t.Fatalf("now: %v (%s)", err, rec.Body.String())
		}
		return ts
	}
	cases := []struct {
		name string
		req  *http.Request
		want int
		now  time.Time // zero: not checked
	}{
		{name: "read", req: h.req("GET", "/__authconform/clock", ""), want: 200, now: t0},
		{name: "advance", req: h.req("POST", "/__authconform/clock", `{"advance":"24h1s"}`), want: 200, now: t0.Add(24*time.Hour + time.Second)},
		{name: "advance in days", req: h.req("POST", "/__authconform/clock", `{"advance":"2d"}`), want: 200, now: t0.Add(72*time.Hour + time.Second)},
		{name: "back", req: h.req("POST", "/__authconform/clock", `{"advance":"-1s"}`), want: 200, now: t0.Add(72 * time.Hour)},
		{name: "set", req: h.req("POST", "/__authconform/clock", `{"set":"2030-01-01T00:00:00Z"}`), want: 200, now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)},
		{name: "bad duration", req: h.req("POST", "/__authconform/clock", `{"advance":"soon"}`), want: 400},
		{name: "bad time", req: h.req("POST", "/__authconform/clock", `{"set":"tomorrow"}`), want: 400},
		{name: "both", req: h.req("POST", "/__authconform/clock", `{"set":"2030-01-01T00:00:00Z","advance":"1h"}`), want: 400},
		{name: "unknown field", req: h.req("POST", "/__authconform/clock", `{"forward":"1h"}`), want: 400},
		{name: "wrong method", req: h.req("DELETE", "/__authconform/clock", ""), want: 405},
		{name: "unknown endpoint", req: h.req("GET", "/__authconform/nothing", ""), want: 404},
		{name: "reset: back to the base clock", req: h.req("POST", "/__authconform/reset", ""), want: 200, now: t0},
		{name: "reset needs POST", req: h.req("GET", "/__authconform/reset", ""), want: 405},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := h.do(tc.req)
			h.expect(rec, tc.want)
			if !tc.now.IsZero() {
				if got := now(rec); !got.Equal(tc.now) {
					t.Errorf("now %v, want %v", got, tc.now)
				}
			}
		})
	}
}

func TestAdminResetForgetsState(t *testing.T) {
	h := newHarness(t, "precrime")
	tok := h.precrimeToken(john, johnPass)
	key := h.precrimeKey(tok, "k")
	h.expect(h.do(h.req("POST", "/__authconform/reset", "")), 200)
	for _, cred := range []string{tok, key} {
		h.expect(h.do(h.req("GET", "/authheader/list", "", "Authorization", "Bearer "+cred)), 401)
	}
}

// TestAdminFixedClock: a clock that cannot be moved makes POST /clock answer 409, not panic.
func TestAdminFixedClock(t *testing.T) {
	s, d, err := newMock([]*specs.Spec{loadSpec(t, "pixfile")}, mockserver.WithClock(fixedClock{t0}))
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h := &harness{t: t, s: s, d: d}
	s.ServeHTTP(rec, h.req("POST", "/__authconform/clock", `{"advance":"1h"}`))
	if rec.Code != http.StatusConflict {
		t.Fatalf("status %d, want 409", rec.Code)
	}
}

type fixedClock struct{ t time.Time }

func (f fixedClock) Now() time.Time { return f.t }

const (
	john     = "john.doe"
	johnPass = "SecurePass123!"
)
