package mockserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/authconform/authconform/specs"
)

// Provoked outcomes, in the style of Prism's Prefer header (RFC 7240), for a frontend that must
// handle a failing server:
//
//	Prefer: status=555     answer the operation's documented response for 555 (error statuses in
//	                       the spec's error body); an undocumented status is refused, with a
//	                       message naming the documented ones. The flow's own success status serves
//	                       the request as usual; another documented success answers its example.
//	Prefer: delay=800ms    wait that long (wall time) first; at most MaxDelay; "800" is ms; a
//	                       client that leaves ends the wait (readBodyFirst)
//	Prefer: auth=expired   treat the credential as expired: a protected call or a refresh answers
//	                       the flow's invalidCredential status, a login with a password its
//	                       passwordExpired one; elsewhere it is not applied
//
// Several go in one header, comma separated, or in several Prefer headers. Unknown preferences
// are ignored, as RFC 7240 says; a bad value of a known one, or an undocumented status, is
// refused by the mock itself: 400 application/problem+json with the reason in the body's detail
// and in X-Authconform-Message (refusePrefer), whatever the spec's invalidRequest status. The
// response says what it applied in Preference-Applied. The admin API queues the same outcomes for clients
// that cannot set headers (faults.go).

// MaxDelay bounds a provoked delay: below the serve command's 30 s write timeout, so the delayed
// answer still goes out.
const MaxDelay = 25 * time.Second

// preference is what a request's Prefer headers ask for.
type preference struct {
	status  int
	delay   time.Duration
	expired bool
	drop    bool // queued faults only
	applied []string
}

// parsePrefer reads the Prefer headers.
func parsePrefer(h http.Header) (preference, error) {
	var p preference
	for _, line := range h.Values("Prefer") {
		for _, item := range strings.Split(line, ",") {
			item, _, _ = strings.Cut(item, ";") // parameters of a preference are not used
			key, val, _ := strings.Cut(strings.TrimSpace(item), "=")
			key = strings.ToLower(strings.TrimSpace(key))
			val = strings.Trim(strings.TrimSpace(val), `"`)
			switch key {
			case "status":
				n, err := strconv.Atoi(val)
				if err != nil || n < 100 || n > 599 {
					return p, fmt.Errorf("header Prefer: status=%q: expected an HTTP status such as 401 or 555", val)
				}
				p.status = n
				p.applied = append(p.applied, "status="+val)
			case "delay":
				d, err := parseDelay(val)
				if err != nil {
					return p, fmt.Errorf("header Prefer: delay=%q: %v", val, err)
				}
				p.delay = d
				p.applied = append(p.applied, "delay="+val)
			case "auth":
				if !strings.EqualFold(val, "expired") {
					return p, fmt.Errorf("header Prefer: auth=%q: the only value is expired", val)
				}
				p.expired = true
				p.applied = append(p.applied, "auth=expired")
			}
		}
	}
	return p, nil
}

// parseDelay reads "800ms", "2s" or a bare number of milliseconds, between 0 and MaxDelay.
func parseDelay(v string) (time.Duration, error) {
	var d time.Duration
	if n, err := strconv.Atoi(v); err == nil {
		d = time.Duration(n) * time.Millisecond
	} else if d, err = time.ParseDuration(v); err != nil {
		return 0, fmt.Errorf("expected a duration such as 800ms or 2s")
	}
	if d < 0 || d > MaxDelay {
		return 0, fmt.Errorf("a delay must be between 0 and %s", MaxDelay)
	}
	return d, nil
}

// provoke applies the Prefer header and the next queued fault of the operation; true when it
// answered (or the client went away while waiting), false to serve the request as usual.
func (s *Server) provoke(w *recorder, r *http.Request, op *operation) bool {
	if len(r.Header.Values("Prefer")) == 0 && s.dev.faults.empty() {
		return false
	}
	p, err := parsePrefer(r.Header)
	if err != nil {
		refusePrefer(w, err.Error())
		return true
	}
	if p.status != 0 && !op.op.Documents(p.status) {
		refusePrefer(w, undocumented(op, p.status, "header Prefer: status"))
		return true
	}
	source := "Prefer header"
	if f, ok := s.dev.faults.take(op.m.spec.Name, op.op.Key()); ok {
		if p.status == 0 && f.Status != 0 {
			p.status, source = f.Status, fmt.Sprintf("queued fault %d", f.ID)
		}
		p.delay += f.delay
		p.drop = f.Drop
		w.failure = fmt.Sprintf("fault %d", f.ID)
	}
	if p.expired && !op.op.Protected() && op.flow.Kind != specs.KindRefresh && (op.flow.Kind != specs.KindLogin || !flowTakesPassword(op.flow)) {
		p.expired = false // no credential to expire (a login without a password has no password to expire)
		p.applied = slices.DeleteFunc(p.applied, func(a string) bool { return a == "auth=expired" })
	}
	if len(p.applied) > 0 {
		w.Header().Set("Preference-Applied", strings.Join(p.applied, ", "))
	}
	if p.delay > 0 {
		if !s.readBodyFirst(w, r) {
			return true
		}
		if !sleep(r.Context(), min(p.delay, MaxDelay)) {
			w.failure = "client gone during a provoked delay"
			return true
		}
	}
	if p.drop {
		w.failure = "connection dropped (fault)"
		if conn, _, err := http.NewResponseController(w.ResponseWriter).Hijack(); err == nil {
			_ = conn.Close()
			w.wrote = true
			return true
		}
		// HTTP/2 or a test recorder cannot drop the connection; say so with the operation's 5xx.
		s.writeErrorBody(&call{w: w, r: r, op: op}, op.server5, "the mock cannot drop this connection (HTTP/2); answering an error instead")
		return true
	}
	if p.status != 0 && p.status != op.flow.Status {
		s.forceStatus(w, r, op, p.status, source)
		return true
	}
	if p.expired {
		c := &call{w: w, r: r, op: op}
		switch {
		case op.op.Protected(), op.flow.Kind == specs.KindRefresh:
			s.writeError(c, fail(specs.FailInvalidCredential, "the credential has expired (Prefer: auth=expired)"))
			return true
		case op.flow.Kind == specs.KindLogin:
			s.writeError(c, fail(specs.FailPasswordExpired, "the account's password has expired (Prefer: auth=expired)"))
			return true
		}
	}
	return false
}

// refusePrefer answers a Prefer header the mock will not apply (bad syntax, an undocumented
// status) with its own 400 application/problem+json (RFC 9457), never in the spec's error shape
// or status: the refusal is the tool's, and a client must not mistake it for the vendor's answer
// (a spec may document its own server error, 555, as its invalidRequest status).
func refusePrefer(w *recorder, msg string) {
	msg = "the mock refused the Prefer header: " + msg
	w.failure = "Prefer refused"
	h := w.Header()
	h.Set(MessageHeader, headerSafe(msg))
	h.Set("Content-Type", "application/problem+json")
	body, _ := json.Marshal(map[string]any{"type": "about:blank", "title": "Bad Request", "status": http.StatusBadRequest, "detail": msg})
	w.WriteHeader(http.StatusBadRequest)
	_, _ = w.Write(body)
}

// undocumented is the message refusing to force a status the operation does not document.
func undocumented(op *operation, status int, what string) string {
	docs := make([]string, len(op.op.Statuses))
	for i, st := range op.op.Statuses {
		docs[i] = strconv.Itoa(st)
	}
	return fmt.Sprintf("%s=%d: %s does not document %d; its documented statuses are %s",
		what, status, op.op.Key(), status, strings.Join(docs, ", "))
}

// forceStatus answers the documented response for status: an error in the spec's error body, a
// success with its documented example (or none).
func (s *Server) forceStatus(w *recorder, r *http.Request, op *operation, status int, source string) {
	if w.failure == "" {
		w.failure = "forced status"
	}
	if status >= 400 {
		s.writeErrorBody(&call{w: w, r: r, op: op}, status, fmt.Sprintf("status %d forced by the %s", status, source))
		return
	}
	w.Header().Set(MessageHeader, fmt.Sprintf("status %d forced by the %s", status, source))
	if ex := exampleOf(op.op, status, s.clock.Now()); ex != nil {
		b, err := json.Marshal(ex)
		if err == nil {
			writeJSON(w, status, json.RawMessage(b))
			return
		}
	}
	w.WriteHeader(status)
}

// exampleOf is the documented example of a response, else one built from its schema; nil when
// the response has no JSON content.
func exampleOf(op *specs.Operation, status int, now time.Time) any {
	r := op.Op.Responses.Status(status)
	if r == nil || r.Value == nil {
		return nil
	}
	mt := r.Value.Content.Get("application/json")
	if mt == nil {
		return nil
	}
	if mt.Example != nil {
		return mt.Example
	}
	for _, name := range slices.Sorted(mapKeys(mt.Examples)) {
		if ex := mt.Examples[name]; ex != nil && ex.Value != nil && ex.Value.Value != nil {
			return ex.Value.Value
		}
	}
	return fromSchema(mt.Schema, now.UTC(), 0)
}

// readBodyFirst reads the request body (up to the body limit) before a delay and puts it back
// for the flow; false when it answered instead (too large, or the client went away). net/http
// watches the connection for a client that leaves, which cancels r.Context(), only once the body
// has been read to its end; without this, a delayed request with a body held its goroutine and
// connection for the whole delay after the client had gone.
func (s *Server) readBodyFirst(w *recorder, r *http.Request) bool {
	if r.Body == nil || r.Body == http.NoBody {
		return true
	}
	// The underlying writer, so net/http learns of a body over the limit and closes the connection.
	body, err := io.ReadAll(http.MaxBytesReader(w.ResponseWriter, r.Body, s.maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writePlain(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the request body is larger than %d bytes", s.maxBody))
			return false
		}
		w.failure = "client gone before a provoked delay"
		return false
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return true
}

// sleep waits d, or less when ctx ends; false when ctx ended.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
