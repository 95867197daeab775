package runner

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/authconform/authconform/reports"
	"github.com/authconform/authconform/specs"
)

// TestPreflight: a target that is not the spec's server at the target file's URL gets no check
// verdicts, only one diagnosis that names the request and the likely fix (ErrConfig: exit 2).
func TestPreflight(t *testing.T) {
	efalia, _ := specs.Load("efalia")
	pixfile, _ := specs.Load("pixfile")
	precrime, _ := specs.Load("precrime")
	efaliaMock := startMock(t, efalia, nil)
	pixfileMock := startMock(t, pixfile, nil)
	precrimeMock := startMock(t, precrime, nil)
	tlsMock := httptest.NewTLSServer(http.NotFoundHandler())
	t.Cleanup(tlsMock.Close)
	closed := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		return "http://" + addr
	}()
	tests := []struct {
		name, spec, base string
		want             []string
	}{
		{"nothing listens", "pixfile", closed, []string{"POST " + closed + "/api/v2/login got no answer", "nothing listens on " + strings.TrimPrefix(closed, "http://")}},
		{"base path missing", "efalia", efaliaMock.URL, []string{"POST " + efaliaMock.URL + "/auth/token answered 404", "efalia's paths live under /workey/api: does baseURL lack it?"}},
		{"a path the spec does not use", "pixfile", pixfileMock.URL + "/api", []string{"answered 404", "should baseURL be " + pixfileMock.URL + "?"}},
		{"another spec's server", "pixfile", precrimeMock.URL, []string{"POST /user/login answers, which is spec precrime's login: is spec pixfile the right one?"}},
		{"untrusted certificate", "pixfile", tlsMock.URL, []string{"certificate", "insecureSkipVerify: true"}},
		{"https to a plain server", "pixfile", strings.Replace(pixfileMock.URL, "http://", "https://", 1), []string{"does not speak TLS: use http://"}},
		{"a name that does not resolve", "pixfile", "http://authconform-no-such-host.invalid", []string{"does not resolve"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg := exampleTarget(t, tt.spec, "http://127.0.0.1:1")
			u, _ := url.Parse(tt.base)
			tg.BaseURL = u
			tg.Timeout = 5 * time.Second
			start := time.Now()
			rep, err := Run(context.Background(), Config{Target: tg, ToolVersion: "test"})
			var pe *PreflightError
			if !errors.As(err, &pe) || !errors.Is(err, ErrConfig) || rep != nil {
				t.Fatalf("Run: %v (report %v), want a preflight error and no report", err, rep != nil)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("diagnosis lacks %q:\n%v", w, err)
				}
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("the preflight took %s", d)
			}
		})
	}
	t.Run("the spec's server passes", func(t *testing.T) {
		if err := Preflight(context.Background(), exampleTarget(t, "efalia", efaliaMock.URL)); err != nil {
			t.Error(err)
		}
	})
}

// TestRunHonoursItsContext: Ctrl-C (the context ending) ends a run within a second, even while a
// request waits on a target that does not answer; the report says interrupted and lists the checks
// it did not reach as not run, and Run returns the context's error.
func TestRunHonoursItsContext(t *testing.T) {
	sp, _ := specs.Load("pixfile")
	stop := make(chan struct{})
	hang := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/api/v2/customers" {
				select {
				case <-r.Context().Done():
				case <-stop:
				}
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	ts := startMock(t, sp, hang)
	t.Cleanup(func() { close(stop) })
	tg := exampleTarget(t, "pixfile", ts.URL)
	tg.Timeout = time.Minute // neither the timeout nor the breaker is what ends this run
	ctx, cancel := context.WithCancel(context.Background())
	var cancelled time.Time
	go func() {
		time.Sleep(500 * time.Millisecond)
		cancelled = time.Now()
		cancel()
	}()
	rep, err := Run(ctx, Config{Target: tg, ToolVersion: "test"})
	if took := time.Since(cancelled); took > time.Second {
		t.Errorf("Run returned %s after the interrupt", took.Round(time.Millisecond))
	}
	if !errors.Is(err, context.Canceled) || rep == nil {
		t.Fatalf("Run: %v, report %v; want context.Canceled and a report", err, rep != nil)
	}
	notRun := 0
	for _, c := range rep.Checks {
		if c.Outcome() == reports.NotRun {
			notRun++
		}
		if c.Outcome() == reports.Failed {
			t.Errorf("%s failed after the interrupt: %s", c.Name(), c.Message)
		}
	}
	if rep.Interrupted != "the run was interrupted" || notRun == 0 || rep.Passed() {
		t.Errorf("interrupted %q, %d not run, passed %v", rep.Interrupted, notRun, rep.Passed())
	}
}

// TestRunDeadline: --deadline ends a run in bounded time and says so.
func TestRunDeadline(t *testing.T) {
	sp, _ := specs.Load("elyssa")
	ts := startMock(t, sp, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(20 * time.Millisecond) // slow, not silent
			next.ServeHTTP(w, r)
		})
	})
	start := time.Now()
	rep, err := Run(context.Background(), Config{Target: exampleTarget(t, "elyssa", ts.URL), ToolVersion: "test", Deadline: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("the run took %s with a 300ms deadline", d)
	}
	if !strings.Contains(rep.Interrupted, "deadline") || rep.Passed() {
		t.Errorf("interrupted %q, passed %v", rep.Interrupted, rep.Passed())
	}
}
