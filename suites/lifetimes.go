package suites

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	. "github.com/onsi/ginkgo/v2"

	"github.com/authconform/authconform/specs"
)

// lifetimeTolerance is how far a token's lifetime may stray from the documented one: clock
// granularity (seconds in JWTs, the Date header) and the time a request takes.
const lifetimeTolerance = 60 * time.Second

// How far before and after expiry the clock checks set the target's clock. After expiry the
// margin is wider: RFC 7519 4.1.4 lets a verifier allow "some small leeway, usually no more than a
// few minutes" for clock skew, and common JWT libraries default to 5 minutes (ASP.NET JwtBearer's
// ClockSkew), which conforms; the mock's expiry-leeway-5m variant keeps this margin honest.
const (
	clockMargin      = 10 * time.Second
	clockMarginAfter = 10 * time.Minute
)

// The mock's admin API (docs/admin-api.md): GET returns {"now": RFC3339}, POST {"set": RFC3339}
// moves the clock. The suites use it only when the target answers it; they never reset a target.
const adminClockPath = "/__authconform/clock"

// claims are what the lifetime checks read from a JWT; ok is false for an opaque token.
type claims struct {
	alg      string
	exp, iat time.Time
	hasIat   bool
	ok       bool
}

func readJWT(tok string) claims {
	if strings.Count(tok, ".") != 2 {
		return claims{}
	}
	t, _, err := jwt.NewParser().ParseUnverified(tok, jwt.MapClaims{})
	if err != nil {
		return claims{}
	}
	c := claims{ok: true}
	c.alg, _ = t.Header["alg"].(string)
	if e, err := t.Claims.GetExpirationTime(); err == nil && e != nil {
		c.exp = e.Time
	}
	if i, err := t.Claims.GetIssuedAt(); err == nil && i != nil {
		c.iat, c.hasIat = i.Time, true
	}
	return c
}

// issuedAt is iat, or the response's Date header when the token has no iat.
func issuedAt(c claims, resp *response) (time.Time, string, bool) {
	if c.hasIat {
		return c.iat, "iat", true
	}
	if d, err := http.ParseTime(resp.header.Get("Date")); err == nil {
		return d, "the Date header", true
	}
	return time.Time{}, "", false
}

// expectedAccess is the access-token lifetime to check: the target's expect, else the spec's when
// the vendor documents it.
func (r *run) expectedAccess() (time.Duration, string, bool) {
	if r.t.AccessLifetime != nil {
		return *r.t.AccessLifetime, "the target file's expect.accessTokenLifetime", true
	}
	if l := r.spec.Tokens.Access; l.Documented {
		return l.Lifetime.D(), "the spec (" + l.Source + ")", true
	}
	return 0, "", false
}

func (r *run) expectedRefresh() (time.Duration, string, bool) {
	if r.t.RefreshLifetime != nil {
		return *r.t.RefreshLifetime, "the target file's expect.refreshTokenLifetime", true
	}
	if l := r.spec.Tokens.Refresh; l != nil && l.Documented {
		return l.Lifetime.D(), "the spec (" + l.Source + ")", true
	}
	return 0, "", false
}

// lifetimeChecks run on every login operation; the clock check on the primary one only.
func lifetimeChecks(g *group) {
	r, op := g.r, g.op

	g.it("LIF-01", func(ctx SpecContext) {
		rule := req("LIF-01").Rule
		s := r.mustLoginVia(ctx, op, roleValid)
		c := readJWT(s.access)
		if !c.ok {
			skipf("the access token of %s is not a JWT; its lifetime cannot be read from it", op.Key())
		}
		if a := strings.ToLower(c.alg); a == "" || a == "none" {
			failf("expected a signed JWT; got a token whose header has alg %q from %s\nrule: %s", c.alg, r.c.summary(s.resp), rule)
		}
		if c.exp.IsZero() {
			failf("rule: %s\nthe access token has no exp claim", rule)
		}
		iss, from, ok := issuedAt(c, s.resp)
		if ok && !c.exp.After(iss) {
			failf("rule: %s\nexp %s is not after %s %s", rule, c.exp.UTC().Format(time.RFC3339), from, iss.UTC().Format(time.RFC3339))
		}
	})

	g.it("LIF-02", func(ctx SpecContext) {
		want, source, known := r.expectedAccess()
		if !known {
			needInputf("neither the spec nor the target file (expect.accessTokenLifetime) states the access-token lifetime; only its consistency is checked (LIF-01)")
		}
		s := r.mustLoginVia(ctx, op, roleValid)
		expectLifetime(s.access, s.resp, want, source, req("LIF-02").Rule, "access")
	})

	if op != r.primaryLogin() {
		return
	}
	g.itv("LIF-08", "", clockTimeout, func(ctx SpecContext) {
		rule := req("LIF-08").Rule
		p := r.needProbe()
		r.clockURL(ctx)
		before := r.clockNow(ctx)
		s := r.mustLogin(ctx, roleValid)
		exp, ok := tokenExpiry(s.access, before, r.expectedAccess)
		if !ok {
			skipf("the access token is not a JWT with exp and no lifetime is documented or expected, so its expiry is unknown")
		}
		r.setClock(ctx, exp.Add(-clockMargin))
		r.expectAccepted(r.authedCall(ctx, p, s), rule+fmt.Sprintf(" (clock set %s before expiry)", clockMargin))
		r.setClock(ctx, exp.Add(clockMarginAfter))
		r.expectRefused(ctx, r.authedCall(ctx, p, s), specs.FailInvalidCredential, rule+fmt.Sprintf(" (clock set %s after expiry)", clockMarginAfter))
	})
}

// refreshLifetimeChecks run in a refresh group.
func refreshLifetimeChecks(g *group) {
	r := g.r
	g.it("LIF-16", func(ctx SpecContext) {
		want, source, known := r.expectedRefresh()
		if !known {
			needInputf("neither the spec nor the target file (expect.refreshTokenLifetime) states the refresh-token lifetime")
		}
		s := r.loginWithRefresh(ctx, roleValid)
		if !readJWT(s.refresh).ok {
			skipf("the refresh token is not a JWT; its lifetime is checked with clock control (LIF-11)")
		}
		expectLifetime(s.refresh, s.resp, want, source, req("LIF-16").Rule, "refresh")
	})

	g.itv("LIF-11", "", clockTimeout, func(ctx SpecContext) {
		rule := req("LIF-11").Rule
		r.clockURL(ctx)
		before := r.clockNow(ctx)
		a := r.loginWithRefresh(ctx, roleValid)
		b := r.loginWithRefresh(ctx, roleValid)
		expA, okA := tokenExpiry(a.refresh, before, r.expectedRefresh)
		expB, okB := tokenExpiry(b.refresh, before, r.expectedRefresh)
		if !okA || !okB {
			skipf("the refresh token is not a JWT with exp and no refresh lifetime is documented or expected, so its expiry is unknown")
		}
		r.setClock(ctx, expA.Add(-clockMargin))
		r.expectAccepted(r.refresh(ctx, g.op, a.refresh), rule+fmt.Sprintf(" (clock set %s before expiry)", clockMargin))
		r.setClock(ctx, expB.Add(clockMarginAfter))
		r.expectRefused(ctx, r.refresh(ctx, g.op, b.refresh), specs.FailInvalidCredential, rule+fmt.Sprintf(" (clock set %s after expiry)", clockMarginAfter))
	})
}

// LifetimeEntryName names the report entry a lifetime check attaches: the runner copies it into
// the report, so a renderer can draw expected against observed.
const LifetimeEntryName = "authconform.lifetime"

// Lifetime is what a lifetime check measured.
type Lifetime struct {
	Token        string // access or refresh
	Expected     time.Duration
	Observed     time.Duration
	Tolerance    time.Duration
	Source       string // where the expected lifetime comes from
	MeasuredFrom string // iat, or the Date header
}

// tokenExpiry is the token's exp, or issue time plus the known lifetime for an opaque token.
func tokenExpiry(tok string, issued time.Time, lifetime func() (time.Duration, string, bool)) (time.Time, bool) {
	if c := readJWT(tok); c.ok && !c.exp.IsZero() {
		return c.exp, true
	}
	if d, _, ok := lifetime(); ok {
		return issued.Add(d), true
	}
	return time.Time{}, false
}

func expectLifetime(tok string, resp *response, want time.Duration, source, rule, kind string) {
	c := readJWT(tok)
	if !c.ok {
		skipf("the %s token is not a JWT; its lifetime cannot be read from it (clock control checks it where offered)", kind)
	}
	if c.exp.IsZero() {
		failf("rule: %s\nthe %s token has no exp claim", rule, kind)
	}
	iss, from, ok := issuedAt(c, resp)
	if !ok {
		skipf("the %s token has no iat and the response no Date header, so its lifetime cannot be measured", kind)
	}
	got := c.exp.Sub(iss)
	AddReportEntry(LifetimeEntryName, Lifetime{Token: kind, Expected: want, Observed: got, Tolerance: lifetimeTolerance, Source: source, MeasuredFrom: from}, ReportEntryVisibilityNever)
	if math.Abs(float64(got-want)) > float64(lifetimeTolerance) {
		failf("rule: %s\nexpected the %s-token lifetime of %s (from %s) within %s\ngot exp - %s = %s",
			rule, kind, specs.Duration(want), source, lifetimeTolerance, from, specs.Duration(got.Round(time.Second)))
	}
}

// clockProbe caches whether the target offers clock control.
type clockProbe struct {
	done  bool
	url   string
	why   string
	saved time.Time // the target's clock when first moved
	real  time.Time // wall time then
	moved bool
}

// clockURL returns the admin clock URL, or skips the check with the reason it is unavailable.
func (r *run) clockURL(ctx context.Context) string {
	p := r.clk
	if !p.done {
		p.done = true
		switch {
		case !r.t.ClockControl:
			p.why = "clock control is off in the target file (clockControl: off)"
		default:
			p.why = "the target offers no clock control (GET " + adminClockPath + " did not answer {\"now\": ...}); expiry is checked against the mock, which does"
			candidates := []string{r.c.origin.String() + adminClockPath, r.c.opURLBase() + adminClockPath}
			if a := r.t.AdminURL; a != nil {
				candidates = []string{strings.TrimRight(a.String(), "/") + "/clock"} // the run's sandbox, nothing else
			}
			for _, u := range candidates {
				if _, err := r.readClock(ctx, u); err == nil {
					p.url, p.why = u, ""
					break
				}
			}
		}
	}
	if p.url == "" {
		skipf("%s", p.why)
	}
	return p.url
}

func (c *client) opURLBase() string { return strings.TrimRight(c.base.String(), "/") }

func (r *run) readClock(ctx context.Context, u string) (time.Time, error) {
	resp, err := r.c.do(ctx, &request{method: http.MethodGet, url: u})
	if err != nil {
		return time.Time{}, err
	}
	var v struct {
		Now time.Time `json:"now"`
	}
	if resp.status != http.StatusOK || json.Unmarshal(resp.body, &v) != nil || v.Now.IsZero() {
		return time.Time{}, fmt.Errorf("GET %s answered %d", adminClockPath, resp.status)
	}
	return v.Now, nil
}

func (r *run) clockNow(ctx context.Context) time.Time {
	t, err := r.readClock(ctx, r.clockURL(ctx))
	if err != nil {
		failf("reading the target's clock: %v", err)
	}
	return t
}

// setClock moves the target's clock to t and, the first time, arranges for it to be moved back
// (to where it would be had it not been touched) when the check ends.
func (r *run) setClock(ctx context.Context, t time.Time) {
	u := r.clockURL(ctx)
	p := r.clk
	if !p.moved {
		p.saved, p.real, p.moved = r.clockNow(ctx), time.Now(), true
		DeferCleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			back := p.saved.Add(time.Since(p.real))
			p.moved = false
			if err := r.postClock(ctx, u, back); err != nil {
				GinkgoWriter.Printf("could not move the target's clock back: %v\n", err)
			}
		})
	}
	if err := r.postClock(ctx, u, t); err != nil {
		failf("moving the target's clock: %v", err)
	}
	if now := r.clockNow(ctx); now.Sub(t).Abs() > 5*time.Second {
		failf("expected the target's clock at %s after moving it; got %s", t.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
}

func (r *run) postClock(ctx context.Context, u string, t time.Time) error {
	body, _ := json.Marshal(map[string]string{"set": t.UTC().Format(time.RFC3339Nano)})
	resp, err := r.c.do(ctx, &request{method: http.MethodPost, url: u, body: body})
	if err != nil {
		return err
	}
	if resp.status/100 != 2 {
		return fmt.Errorf("POST %s answered %d: %s", adminClockPath, resp.status, r.red.redact(string(bytes.TrimSpace(resp.body))))
	}
	return nil
}
