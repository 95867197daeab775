package devtools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/authconform/authconform/mockserver"
	"github.com/authconform/authconform/mockserver/accounts"
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
//	                       client that leaves ends the wait (the body is read first)
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
// answered (or the client went away while waiting), false to serve the request as usual. The core
// runs it once the operation is known (Hooks.Provoke).
func (d *tooling) provoke(x mockserver.Exchange, op *mockserver.Operation) bool {
	w, r := x.Writer(), x.Request()
	if len(r.Header.Values("Prefer")) == 0 && d.faults.empty() {
		return false
	}
	p, err := parsePrefer(r.Header)
	if err != nil {
		refusePrefer(x, err.Error())
		return true
	}
	sop, flow := op.Op(), op.Flow()
	if p.status != 0 && !sop.Documents(p.status) {
		refusePrefer(x, undocumented(op, p.status, "header Prefer: status"))
		return true
	}
	source := "Prefer header"
	f, ok, err := d.faults.take(r.Context(), d.srv, op.Spec().Name, sop.Key())
	if err != nil {
		op.WriteStoreUnavailable(w, r, err)
		return true
	}
	if ok {
		if p.status == 0 && f.Status != 0 {
			p.status, source = f.Status, fmt.Sprintf("queued fault %d", f.ID)
		}
		p.delay += f.delay
		p.drop = f.Drop
		x.SetFailure(fmt.Sprintf("fault %d", f.ID))
	}
	if p.expired && !sop.Protected() && flow.Kind != specs.KindRefresh && (flow.Kind != specs.KindLogin || !accounts.TakesPassword(flow)) {
		p.expired = false // no credential to expire (a login without a password has no password to expire)
		p.applied = slices.DeleteFunc(p.applied, func(a string) bool { return a == "auth=expired" })
	}
	if len(p.applied) > 0 {
		w.Header().Set("Preference-Applied", strings.Join(p.applied, ", "))
	}
	if p.delay > 0 {
		// The body first: net/http notices a client that leaves only once the body is read.
		if err := x.ReadBody(); err != nil {
			var tooBig *http.MaxBytesError
			if !errors.As(err, &tooBig) {
				x.SetFailure("client gone before a provoked delay")
			}
			return true
		}
		if !sleep(r.Context(), min(p.delay, MaxDelay)) {
			x.SetFailure("client gone during a provoked delay")
			return true
		}
	}
	if p.drop {
		x.SetFailure("connection dropped (fault)")
		if conn, err := x.Hijack(); err == nil {
			_ = conn.Close()
			return true
		}
		// HTTP/2 or a test recorder cannot drop the connection; say so with the operation's 5xx.
		op.WriteServerError(w, r, "the mock cannot drop this connection (HTTP/2); answering an error instead")
		return true
	}
	if p.status != 0 && p.status != flow.Status {
		forceStatus(x, op, p.status, source)
		return true
	}
	if p.expired {
		switch {
		case sop.Protected(), flow.Kind == specs.KindRefresh:
			op.WriteFailure(w, r, specs.FailInvalidCredential, "the credential has expired (Prefer: auth=expired)")
			return true
		case flow.Kind == specs.KindLogin:
			op.WriteFailure(w, r, specs.FailPasswordExpired, "the account's password has expired (Prefer: auth=expired)")
			return true
		}
	}
	return false
}

// refusePrefer answers a Prefer header the mock will not apply (bad syntax, an undocumented
// status) with its own 400 application/problem+json (RFC 9457), never in the spec's error shape
// or status: the refusal is the tool's, and a client must not mistake it for the vendor's answer
// (a spec may document its own server error, 555, as its invalidRequest status).
func refusePrefer(x mockserver.Exchange, msg string) {
	msg = "the mock refused the Prefer header: " + msg
	x.SetFailure("Prefer refused")
	w := x.Writer()
	h := w.Header()
	h.Set(mockserver.MessageHeader, mockserver.HeaderSafe(msg))
	h.Set("Content-Type", "application/problem+json")
	body, _ := json.Marshal(map[string]any{"type": "about:blank", "title": "Bad Request", "status": http.StatusBadRequest, "detail": msg})
	w.WriteHeader(http.StatusBadRequest)
	_, _ = w.Write(body)
}

// undocumented is the message refusing to force a status the operation does not document.
func undocumented(op *mockserver.Operation, status int, what string) string {
	statuses := op.Op().Statuses
	docs := make([]string, len(statuses))
	for i, st := range statuses {
		docs[i] = strconv.Itoa(st)
	}
	return fmt.Sprintf("%s=%d: %s does not document %d; its documented statuses are %s",
		what, status, op.Op().Key(), status, strings.Join(docs, ", "))
}

// forceStatus answers the documented response for status: an error in the spec's error body, a
// success with its documented example (or none).
func forceStatus(x mockserver.Exchange, op *mockserver.Operation, status int, source string) {
	w, r := x.Writer(), x.Request()
	if x.Failure() == "" {
		x.SetFailure("forced status")
	}
	if status >= 400 {
		op.WriteError(w, r, status, fmt.Sprintf("status %d forced by the %s", status, source))
		return
	}
	w.Header().Set(mockserver.MessageHeader, fmt.Sprintf("status %d forced by the %s", status, source))
	if ex := op.Example(status); ex != nil {
		b, err := json.Marshal(ex)
		if err == nil {
			mockserver.WriteJSON(w, status, json.RawMessage(b))
			return
		}
	}
	w.WriteHeader(status)
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
