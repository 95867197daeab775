package suites

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	. "github.com/onsi/ginkgo/v2"

	"github.com/authconform/authconform/specs"
)

// client is the one way the suites talk to a target: a context and a timeout on every request, a
// cap on what it reads, no redirect to another host, and secrets redacted from all it prints.
// It returns errors rather than asserting (STYLE.md rule 13).
type client struct {
	base    *url.URL
	origin  *url.URL
	hc      *http.Client
	timeout time.Duration
	max     int64
	red     *redactor
	spec    *specs.Spec

	// runCtx is the run's context; when it ends, so does every request.
	runCtx context.Context
	// timeouts counts consecutive requests that got no (whole) answer within the timeout; at
	// breakerTimeouts the target is taken to have stopped answering and no more is sent.
	mu       sync.Mutex
	timeouts int
	broken   string
}

// breakerTimeouts is how many requests in a row may time out before the run stops sending: with
// the default 10 s timeout a target that hangs or drips is given up on within half a minute.
const breakerTimeouts = 3

// stopped says why no more requests are sent: the run's context ended, or the breaker tripped.
func (c *client) stopped() string {
	if why := c.ended(); why != "" {
		return why
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.broken
}

// ended says why the run's context ended (an interrupt, the deadline), "" while it goes on.
func (c *client) ended() string {
	if c.runCtx != nil && c.runCtx.Err() != nil {
		if cause := context.Cause(c.runCtx); cause != nil && !errors.Is(cause, context.Canceled) && !errors.Is(cause, context.DeadlineExceeded) {
			return cause.Error()
		}
		if errors.Is(c.runCtx.Err(), context.DeadlineExceeded) {
			return "the run's deadline passed"
		}
		return "the run was interrupted"
	}
	return ""
}

// count records whether a request timed out, and trips the breaker after breakerTimeouts in a row.
func (c *client) count(timedOut bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !timedOut {
		c.timeouts = 0
		return
	}
	c.timeouts++
	if c.timeouts >= breakerTimeouts && c.broken == "" {
		c.broken = fmt.Sprintf("the target stopped answering (%d requests in a row got no complete answer within the %s timeout)", c.timeouts, c.timeout)
	}
}

func newClient(base *url.URL, timeout time.Duration, max int64, insecure bool, red *redactor, spec *specs.Spec) *client {
	origin := &url.URL{Scheme: base.Scheme, Host: base.Host}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: insecure} //nolint:gosec // only with --insecure-skip-verify
	tr.DisableCompression = false
	// A hostile target may send endless headers; net/http's default limit is 10 MB per response.
	tr.MaxResponseHeaderBytes = maxResponseHeaderBytes
	hc := &http.Client{
		Transport: tr,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			downgrade := base.Scheme == "https" && req.URL.Scheme != "https"
			if req.URL.Host != base.Host || downgrade || len(via) >= 5 {
				// Hand the redirect itself back: the check then judges a 3xx, and no credential
				// travels to a host the target file does not name, nor in clear text from https.
				return http.ErrUseLastResponse
			}
			return nil
		},
	}
	return &client{base: base, origin: origin, hc: hc, timeout: timeout, max: max, red: red, spec: spec}
}

// maxResponseHeaderBytes bounds the headers of one response: a real server sends a few KB.
const maxResponseHeaderBytes = 1 << 20

// errRequestTimeout is the cause of a request's context ending at the per-request timeout (and
// not at the check's own timeout), so the message can name the target file's timeout.
var errRequestTimeout = errors.New("the per-request timeout passed")

// header is one request header, sent with its name exactly as written (checks about case send
// lowercase names on the wire).
type header struct{ name, value string }

// request is what a check sends.
type request struct {
	op      *specs.Operation // the documented operation, for validation; nil for the admin API
	method  string
	url     string // absolute; built from the base URL and op.Path when empty
	headers []header
	query   url.Values
	body    []byte
	ctype   string
}

// response is what came back, read in full up to the size cap.
type response struct {
	op        *specs.Operation
	req       *http.Request
	status    int
	header    http.Header
	body      []byte
	truncated bool
	elapsed   time.Duration
}

// json decodes the body, or returns nil when it is not JSON.
func (r *response) json() any {
	var v any
	if err := json.Unmarshal(r.body, &v); err != nil {
		return nil
	}
	return v
}

func (c *client) opURL(op *specs.Operation) string {
	return strings.TrimRight(c.base.String(), "/") + op.Path
}

// do sends the request with the per-request timeout inside ctx, and inside the run's context.
func (c *client) do(ctx context.Context, rq *request) (*response, error) {
	if why := c.stopped(); why != "" {
		return nil, errors.New(why)
	}
	ctx, cancel := context.WithTimeoutCause(ctx, c.timeout, errRequestTimeout)
	defer cancel()
	if c.runCtx != nil {
		stop := context.AfterFunc(c.runCtx, cancel)
		defer stop()
	}
	u := rq.url
	if u == "" {
		u = c.opURL(rq.op)
	}
	if len(rq.query) > 0 {
		u += "?" + rq.query.Encode()
	}
	method := rq.method
	if method == "" && rq.op != nil {
		method = rq.op.Method
	}
	var body io.Reader
	if rq.body != nil {
		body = bytes.NewReader(rq.body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, fmt.Errorf("building %s %s: %w", method, c.red.redact(u), err)
	}
	if rq.body != nil {
		ct := rq.ctype
		if ct == "" {
			ct = "application/json"
		}
		req.Header["Content-Type"] = []string{ct}
	}
	req.Header["Accept"] = []string{"application/json, */*"}
	for _, h := range rq.headers {
		// Assigning the map directly keeps the name as written on the wire (Header.Set would
		// canonicalise it).
		req.Header[h.name] = append(req.Header[h.name], h.value)
	}
	start := time.Now()
	res, err := c.hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		if errors.Is(context.Cause(ctx), errRequestTimeout) {
			c.count(true)
			return nil, fmt.Errorf("%s %s: no response within the %s timeout", method, c.red.redact(u), c.timeout)
		}
		if why := c.stopped(); why != "" {
			return nil, errors.New(why)
		}
		return nil, fmt.Errorf("%s %s: no response: %s", method, c.red.redact(u), c.red.redact(err.Error()))
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, c.max+1))
	if err != nil {
		if errors.Is(context.Cause(ctx), errRequestTimeout) {
			c.count(true)
			return nil, fmt.Errorf("%s %s: answered %d but did not finish its body within the %s timeout", method, c.red.redact(u), res.StatusCode, c.timeout)
		}
		return nil, fmt.Errorf("%s %s: reading the response: %s", method, c.pathOf(u), c.red.redact(err.Error()))
	}
	c.count(false)
	r := &response{op: rq.op, req: req, status: res.StatusCode, header: res.Header, body: data, elapsed: time.Since(start)}
	if int64(len(data)) > c.max {
		r.body, r.truncated = data[:c.max], true
	}
	GinkgoWriter.Printf("%s %s -> %d (%s)\n", method, c.pathOf(u), r.status, r.elapsed.Round(time.Millisecond))
	return r, nil
}

func (c *client) pathOf(u string) string {
	pu, err := url.Parse(u)
	if err != nil {
		return c.red.redact(u)
	}
	pu.RawQuery = "" // a query may carry credentials (legacy logins)
	return c.red.redact(pu.String())
}

// describe renders a response for a failure message: status, content type and the start of the
// body, with every secret masked.
func (c *client) describe(r *response) string {
	if r == nil {
		return "no response"
	}
	// Redact before cutting, so a cut never leaves the head of a secret that no longer matches.
	body := c.red.redact(string(maskCredentialFields(r.body)))
	const max = 400
	if len(body) > max {
		body = body[:max] + "..."
	}
	if r.truncated {
		body += " (body cut at the size cap)"
	}
	ct := r.header.Get("Content-Type")
	if ct == "" {
		ct = "no content type"
	}
	return c.red.redact(fmt.Sprintf("%s %s answered %d (%s): %s", r.req.Method, r.req.URL, r.status, ct, strings.TrimSpace(body)))
}

// summary names a response in a few words for the first line of a failure: "401 from GET
// http://host/path".
func (c *client) summary(r *response) string {
	if r == nil {
		return "no response"
	}
	return c.red.redact(fmt.Sprintf("%d from %s %s", r.status, r.req.Method, r.req.URL))
}

// credentialField matches JSON keys whose values are credentials: tokens, keys, secrets.
var credentialField = regexp.MustCompile(`(?i)(token|secret|password|passwd|apikey|api_key|api-key|^key$|credential)`)

// maskCredentialFields masks the string values of credential-looking fields of a JSON body, so a
// token the target returns in a place the spec does not name never reaches a message.
func maskCredentialFields(body []byte) []byte {
	var v any
	if json.Unmarshal(body, &v) != nil {
		return body
	}
	changed := false
	var walk func(any)
	walk = func(v any) {
		switch t := v.(type) {
		case map[string]any:
			for k, x := range t {
				if s, ok := x.(string); ok && credentialField.MatchString(k) && s != "" {
					t[k] = mask(s)
					changed = true
					continue
				}
				walk(x)
			}
		case []any:
			for _, x := range t {
				walk(x)
			}
		}
	}
	walk(v)
	if !changed {
		return body
	}
	out, err := json.Marshal(v)
	if err != nil {
		return body
	}
	return out
}

// conform validates a response against the operation in the spec: the status must be documented,
// declared headers present and valid, and the body must match the schema for that status.
func (c *client) conform(ctx context.Context, r *response) error {
	if r.op == nil {
		return nil
	}
	if r.truncated {
		return fmt.Errorf("the body is larger than the %d-byte cap and cannot be validated", c.max)
	}
	route := &routers.Route{Spec: c.spec.Doc, Path: r.op.Path, PathItem: c.spec.Doc.Paths.Value(r.op.Path), Method: r.op.Method, Operation: r.op.Op}
	opts := &openapi3filter.Options{IncludeResponseStatus: true, MultiError: false}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: r.req, Route: route, Options: opts},
		Status:                 r.status,
		Header:                 r.header,
		Body:                   io.NopCloser(bytes.NewReader(r.body)),
		Options:                opts,
	}
	if err := openapi3filter.ValidateResponse(ctx, in); err != nil {
		return errors.New(c.red.redact(cleanValidation(err)))
	}
	return nil
}

func cleanValidation(err error) string {
	s := err.Error()
	s = strings.ReplaceAll(s, "\n", "; ")
	if len(s) > 600 {
		s = s[:600] + "..."
	}
	return s
}
