package runner

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"

	"github.com/authconform/authconform/specs"
)

// PreflightError is a target that is not the spec's server at the URL the target file names:
// nothing listens, TLS fails, the login answers 404 or 405. No check runs against it; the error
// names the request it sent and the likely fix. It wraps ErrConfig (exit 2).
type PreflightError struct {
	Request string // what was sent: "POST http://host/auth/token"
	Problem string // what happened
	Hint    string // the likely fix
}

func (e *PreflightError) Error() string {
	s := "preflight: " + e.Request + " " + e.Problem
	if e.Hint != "" {
		s += "; " + e.Hint
	}
	return s
}

// Unwrap makes a preflight failure a configuration error.
func (e *PreflightError) Unwrap() error { return ErrConfig }

// Preflight confirms, before any check, that the target is reachable and serves the spec: the
// primary login answers something other than 404 and 405 (any other status will do, since no
// credential is sent). Otherwise it returns a *PreflightError with a diagnosis: nothing listens,
// the name does not resolve, TLS fails, or the path is wrong (a base path missing from or added
// to baseURL, or another bundled spec's server).
func Preflight(ctx context.Context, t *Target) error {
	login := primaryLogin(t.Spec)
	if login == nil {
		return nil // Register reports a spec without a login
	}
	hc := preflightClient(t)
	status, err := knock(ctx, hc, login, joinURL(t.BaseURL, login.Path))
	req := login.Method + " " + joinURL(t.BaseURL, login.Path)
	if err != nil {
		problem := "got no answer"
		if strings.HasPrefix(err.Error(), "answered ") {
			problem, _, _ = strings.Cut(err.Error(), ":")
		}
		return &PreflightError{Request: req, Problem: problem, Hint: networkHint(t, err)}
	}
	if status != http.StatusNotFound && status != http.StatusMethodNotAllowed {
		return nil
	}
	return &PreflightError{Request: req, Problem: fmt.Sprintf("answered %d", status), Hint: pathHint(ctx, hc, t)}
}

func primaryLogin(s *specs.Spec) *specs.Operation {
	ops := s.OperationsOf(specs.KindLogin)
	for _, op := range ops {
		if !op.Deprecated {
			return op
		}
	}
	if len(ops) > 0 {
		return ops[0]
	}
	return nil
}

func preflightClient(t *Target) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: t.InsecureSkipVerify} //nolint:gosec // only with insecureSkipVerify
	tr.MaxResponseHeaderBytes = 1 << 20
	return &http.Client{
		Transport: tr,
		Timeout:   t.Timeout, // the whole exchange, so a target that drips is given up on
		// A redirect is an answer: nothing is followed.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func joinURL(base *url.URL, path string) string {
	return strings.TrimRight(base.String(), "/") + path
}

// knock sends op's method to u with an empty JSON object (no credential) and returns the status.
func knock(ctx context.Context, hc *http.Client, op *specs.Operation, u string) (int, error) {
	var body io.Reader
	if op.Op.RequestBody != nil {
		body = strings.NewReader("{}")
	}
	req, err := http.NewRequestWithContext(ctx, op.Method, u, body)
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return 0, err
	}
	defer res.Body.Close()
	if _, err := io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10)); err != nil {
		// A target that drips its answer has not answered: the checks would each wait as long.
		return 0, fmt.Errorf("answered %d but did not finish: %w", res.StatusCode, err)
	}
	return res.StatusCode, nil
}

// networkHint says, in a user's words, why nothing answered and what to try.
func networkHint(t *Target, err error) string {
	host := t.BaseURL.Host
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var recordErr tls.RecordHeaderError
	var netErr net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "nothing listens on " + host + ": is the server (or `authconform serve`) running, on that port?"
	case errors.As(err, &dnsErr):
		return "the name " + t.BaseURL.Hostname() + " does not resolve: check the host in baseURL"
	case errors.As(err, &certErr), errors.As(err, &unknownAuth), errors.As(err, &hostErr):
		return "the TLS certificate of " + host + " is not trusted; for a staging server with its own certificate set insecureSkipVerify: true (or --insecure-skip-verify)"
	case errors.As(err, &recordErr), errors.Is(err, http.ErrSchemeMismatch):
		return host + " does not speak TLS: use http:// in baseURL"
	case errors.As(err, &netErr) && netErr.Timeout(), errors.Is(err, context.DeadlineExceeded):
		return fmt.Sprintf("%s did not answer within %s (the target file's timeout): is it up, and is that the right port?", host, t.Timeout)
	}
	return "the connection failed (" + err.Error() + "): check baseURL"
}

// pathHint looks for where the login does answer: under the spec's base path when baseURL lacks
// it, at the root when baseURL carries a path the spec does not use, or as another bundled spec's
// login (a wrong spec in the target file).
func pathHint(ctx context.Context, hc *http.Client, t *Target) string {
	login := primaryLogin(t.Spec)
	answers := func(u string, op *specs.Operation) bool {
		st, err := knock(ctx, hc, op, u)
		return err == nil && st != http.StatusNotFound && st != http.StatusMethodNotAllowed
	}
	base := strings.TrimRight(t.BaseURL.Path, "/")
	origin := &url.URL{Scheme: t.BaseURL.Scheme, Host: t.BaseURL.Host}
	if bp := t.Spec.BasePath; bp != "" && !strings.HasSuffix(base, bp) {
		with := *t.BaseURL
		with.Path = base + bp
		if answers(joinURL(&with, login.Path), login) {
			return fmt.Sprintf("%s's paths live under %s: does baseURL lack it? (%s answers)", t.Spec.Name, bp, with.String())
		}
	}
	if base != "" && answers(joinURL(origin, t.Spec.BasePath+login.Path), login) {
		return fmt.Sprintf("the login answers at %s: should baseURL be %s?", joinURL(origin, t.Spec.BasePath+login.Path), joinURL(origin, t.Spec.BasePath))
	}
	for _, name := range specs.Names() {
		if name == t.Spec.Name {
			continue
		}
		other, err := specs.Load(name)
		if err != nil {
			continue
		}
		if ol := primaryLogin(other); ol != nil && ol.Path != login.Path && answers(joinURL(t.BaseURL, ol.Path), ol) {
			return fmt.Sprintf("%s %s answers, which is spec %s's login: is spec %s the right one?", ol.Method, ol.Path, other.Name, t.Spec.Name)
		}
	}
	return fmt.Sprintf("the target does not serve %s's login at this URL: check baseURL (the URL %s's paths hang under) and spec", t.Spec.Name, t.Spec.Name)
}
