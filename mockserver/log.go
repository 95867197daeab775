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
//
// The record goes straight to the handler: Logger.LogAttrs would also walk the stack for the
// caller's source position, which no handler of the mock prints, on every request.
func (s *Server) logRequest(r *http.Request, rec *recorder, d time.Duration) {
	status := rec.status
	if !rec.wrote {
		status = http.StatusOK
	}
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	}
	ctx := r.Context()
	h := s.log.Handler()
	if !h.Enabled(ctx, level) {
		return
	}
	line := slog.NewRecord(time.Now(), level, "request", 0)
	line.AddAttrs(
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.Int("status", status),
		slog.Duration("duration", d),
	)
	if rec.op != nil {
		line.AddAttrs(slog.String("spec", rec.op.m.spec.Name), slog.String("operation", rec.op.op.ID))
	}
	if rec.account != "" {
		line.AddAttrs(slog.String("account", rec.account))
	}
	if rec.failure != "" {
		line.AddAttrs(slog.String("failure", rec.failure))
	}
	if rec.cause != nil {
		line.AddAttrs(slog.String("cause", rec.cause.Error()))
	}
	_ = h.Handle(ctx, line) // a handler that cannot write has nowhere to report it
}

// redact shows a secret as its length only, never a character of it:
// redact("eyJhbGciOiJIUzUxMiJ9...") = "[redacted 163 chars]". One form everywhere the mock shows
// a secret it holds or met: the journal, the admin API's accounts and sessions, the dashboard,
// the log.
func redact(secret string) string {
	return "[redacted " + strconv.Itoa(len(secret)) + " chars]"
}
