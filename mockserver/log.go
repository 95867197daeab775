package mockserver

import (
	"log/slog"
	"net/http"
	"strconv"
	"time"
)

// logRequest writes the one line per request: method, path (never the query, which may hold a
// password), status, duration, and for a refusal the failure and its cause. Header values and
// bodies are never logged: they carry passwords, tokens and keys.
func (s *Server) logRequest(r *http.Request, rec *recorder, d time.Duration) {
	status := rec.status
	if !rec.wrote {
		status = http.StatusOK
	}
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	}
	attrs := []slog.Attr{
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.Int("status", status),
		slog.Duration("duration", d),
	}
	if rec.op != nil {
		attrs = append(attrs, slog.String("spec", rec.op.m.spec.Name), slog.String("operation", rec.op.op.ID))
	}
	if rec.account != "" {
		attrs = append(attrs, slog.String("account", rec.account))
	}
	if rec.failure != "" {
		attrs = append(attrs, slog.String("failure", rec.failure))
	}
	if rec.cause != nil {
		attrs = append(attrs, slog.String("cause", rec.cause.Error()))
	}
	s.log.LogAttrs(r.Context(), level, "request", attrs...)
}

// redact shows enough of a secret to tell two apart in a log (the first 6 characters of a long
// one) and its length, never the whole: redact("eyJhbGciOiJIUzUxMiJ9...") = "eyJhbG…(163 chars)".
func redact(secret string) string {
	n := len(secret)
	switch {
	case n == 0:
		return "(empty)"
	case n < 16:
		return "…(" + strconv.Itoa(n) + " chars)"
	}
	return secret[:6] + "…(" + strconv.Itoa(n) + " chars)"
}
