package mockserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"

	"github.com/authconform/authconform/mockserver/store"
	"github.com/authconform/authconform/specs"
)

// MessageHeader carries the error message when the documented response for a status has no JSON
// body (a bare "401 Unauthorized" without content), so a developer still learns what was wrong.
const MessageHeader = "X-Authconform-Message"

// failure is the one error type of the flows: which documented failure it is, the message for the
// client (names what was wrong, never a secret) and the cause, which goes only to the log.
type failure struct {
	name  specs.Failure
	msg   string
	cause error
}

func (f *failure) Error() string {
	if f.cause != nil {
		return string(f.name) + ": " + f.msg + ": " + f.cause.Error()
	}
	return string(f.name) + ": " + f.msg
}

func (f *failure) Unwrap() error { return f.cause }

func fail(name specs.Failure, format string, args ...any) *failure {
	return &failure{name: name, msg: fmt.Sprintf(format, args...)}
}

func failf(name specs.Failure, cause error, format string, args ...any) *failure {
	return &failure{name: name, msg: fmt.Sprintf(format, args...), cause: cause}
}

// recorder remembers what was written, for the log line and the panic handler.
type recorder struct {
	http.ResponseWriter
	status  int
	wrote   bool
	op      *operation
	account string
	failure string
	cause   error
	capture *bytes.Buffer // the body, when responses are checked (WithResponseCheck)
	// reqBody is the request body serveOp read (readBody), kept for the journal.
	reqBody  []byte
	readBody bool
}

func (r *recorder) WriteHeader(status int) {
	if r.wrote {
		return
	}
	r.status, r.wrote = status, true
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	if !r.wrote {
		r.WriteHeader(http.StatusOK)
	}
	if r.capture != nil {
		r.capture.Write(b)
	}
	return r.ResponseWriter.Write(b)
}

// writeError renders a failure with the spec's documented status and error body (STYLE.md rule
// 10: the one writer of the vendor's error shape). The cause goes to the log, never the wire.
func (s *Server) writeError(c *call, err error) {
	var f *failure
	if errors.Is(err, store.ErrUnavailable) {
		s.writeUnavailable(c, err)
		return
	}
	if !errors.As(err, &f) {
		c.w.failure, c.w.cause = "internal", err
		s.log.Error("flow error", "operation", c.op.op.ID, "error", err)
		s.writeErrorBody(c, c.op.server5, "internal error of the mock; see its log")
		return
	}
	c.w.failure, c.w.cause = string(f.name), f.cause
	fs, ok := c.op.flow.FailureOf(f.name)
	if !ok {
		// The flow maps no status for this failure; answer a documented 4xx rather than invent one.
		fs.Status = c.op.fallback
	}
	s.writeFailureBody(c, fs.Status, f.name, fs.Body, f.msg)
}

// StoreUnavailableMessage is what a request answered 503 because the store failed says.
const StoreUnavailableMessage = "the mock's state store is unavailable, so this request could not be checked; retry when it is back (" + AdminPrefix + "health tells)"

// writeUnavailable answers a request the store could not serve (store.ErrUnavailable): 503 with
// Retry-After, never a refusal or a success the mock could not check. The body is the spec's
// error shape, in JSON also where the spec documents no 503: the status is the mock's own, and
// the developer must learn why. The cause (which may name the store's address) goes to the log.
func (s *Server) writeUnavailable(c *call, err error) {
	c.w.failure, c.w.cause = "storeUnavailable", err
	s.log.Error("the store is unavailable", "operation", c.op.op.ID, "error", err)
	c.w.Header().Set("Retry-After", "1")
	s.writeBody(c, http.StatusServiceUnavailable, "", nil, StoreUnavailableMessage, true)
}

// writeErrorBody answers an error with the spec's error body.
func (s *Server) writeErrorBody(c *call, status int, msg string) {
	s.writeFailureBody(c, status, "", nil, msg)
}

// writeFailureBody answers an error with the failure's own body template, else the spec's.
func (s *Server) writeFailureBody(c *call, status int, name specs.Failure, tmpl *specs.Template, msg string) {
	s.writeBody(c, status, name, tmpl, msg, c.op.json[status])
}

// writeBody is writeFailureBody with a JSON body or none (the message in MessageHeader alone).
func (s *Server) writeBody(c *call, status int, name specs.Failure, tmpl *specs.Template, msg string, asJSON bool) {
	h := c.w.Header()
	if !asJSON {
		h.Set(MessageHeader, headerSafe(msg))
		c.w.WriteHeader(status)
		return
	}
	if tmpl == nil {
		tmpl = c.op.m.spec.ErrorBody
	}
	acct := c.acct
	if acct == nil && c.who != nil {
		acct = c.who.account
	}
	fields := accountResolver(acct, "")
	body := tmpl.Render(func(ref string) (any, bool) {
		switch ref {
		case "status":
			return status, true
		case "message":
			return msg, true
		case "failure":
			return string(name), name != ""
		case "now":
			return c.now(), true
		}
		return fields(ref) // account.<field>: absent when the refusal knows no account
	})
	h.Set(MessageHeader, headerSafe(msg))
	writeJSON(c.w, status, prune(body))
}

// reply writes a flow's success: JSON when the documented response has JSON content, else no body.
func (c *call) reply(status int, body any) {
	if body == nil || !c.op.json[status] {
		c.w.WriteHeader(status)
		return
	}
	writeJSON(c.w, status, body)
}

// noStore marks a response that carries a credential (RFC 6749 5.1, fosite does it for every
// token response).
func noStore(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var b []byte
	var err error
	if raw, ok := v.(json.RawMessage); ok {
		b = raw // encoded in New
	} else {
		b, err = json.Marshal(v)
	}
	if err != nil {
		b = []byte(`{"message":"the mock could not encode its answer"}`)
		status = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writePlain answers outside any operation (404, 405, 413, admin API) with {"message": ...}.
func writePlain(w http.ResponseWriter, status int, msg string) {
	w.Header().Set(MessageHeader, headerSafe(msg))
	writeJSON(w, status, map[string]string{"message": msg})
}

// headerSafe keeps a message within what a header value may hold.
func headerSafe(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c < 0x20 || c == 0x7f {
			b[i] = ' '
		}
	}
	if len(b) > 512 {
		b = b[:512]
	}
	return string(b)
}

func stack() string { return string(debug.Stack()) }
