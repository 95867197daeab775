package devtools

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/authconform/authconform/mockserver"
	"github.com/authconform/authconform/mockserver/accounts"
	"github.com/authconform/authconform/mockserver/devtools/journal"
	"github.com/authconform/authconform/mockserver/store"
	"github.com/authconform/authconform/specs"
)

// adminToken wraps an admin handler in the check of the config's admin token.
func (d *tooling) adminToken(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !d.adminAuthorized(r) {
			unauthorized(w)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// unauthorized answers an admin call without the config's admin token.
func unauthorized(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="authconform admin"`)
	mockserver.WritePlain(w, http.StatusUnauthorized, "the admin API needs Authorization: Bearer <the admin token of the config>")
}

// adminAuthorized checks the admin token when the config sets one.
func (d *tooling) adminAuthorized(r *http.Request) bool {
	want := d.token
	if want == "" {
		return true
	}
	scheme, got, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	a, b := sha256.Sum256([]byte(strings.TrimSpace(got))), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

func methodNotAllowed(w http.ResponseWriter, allow, msg string) {
	w.Header().Set("Allow", allow)
	mockserver.WritePlain(w, http.StatusMethodNotAllowed, msg)
}

// readAdminJSON decodes an admin request body strictly; false when it answered an error.
func readAdminJSON(w http.ResponseWriter, r *http.Request, v any, example string) bool {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxAdminBody))
	if err != nil {
		mockserver.WritePlain(w, http.StatusRequestEntityTooLarge, "the body is too large")
		return false
	}
	if err := decodeAdminJSON(data, v); err != nil {
		mockserver.WritePlain(w, http.StatusBadRequest, fmt.Sprintf("body: expected %s: %v", example, err))
		return false
	}
	return true
}

// decodeAdminJSON decodes one JSON value strictly: no unknown member, and nothing but white space
// after it. Trailing data is what a form posted as text/plain adds ("{...}=" ), so it is refused
// rather than ignored.
func decodeAdminJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("data after the JSON value at byte %d; send one JSON object and nothing else", dec.InputOffset())
	}
	return nil
}

// specView is a served spec as the admin API shows it.
type specView struct {
	Name       string        `json:"name"`
	Title      string        `json:"title"`
	Version    string        `json:"version"`
	File       string        `json:"file"`
	BasePath   string        `json:"basePath"`
	Algorithm  string        `json:"algorithm"`
	Access     lifetimeView  `json:"access"`
	Refresh    *lifetimeView `json:"refresh,omitempty"`
	Operations []opView      `json:"operations"`
	// AccountStates are the states its accounts can be in (accountStates): the dashboard offers
	// only these.
	AccountStates []specs.AccountState `json:"accountStates"`
}

type lifetimeView struct {
	Lifetime string  `json:"lifetime"`
	Seconds  float64 `json:"seconds"`
}

type opView struct {
	ID         string `json:"operationId"`
	Method     string `json:"method"`
	Path       string `json:"path"`
	Summary    string `json:"summary,omitempty"`
	Flow       string `json:"flow"`
	Statuses   []int  `json:"statuses"`
	Protected  bool   `json:"protected"`
	Deprecated bool   `json:"deprecated,omitempty"`
}

func lifetimeOf(d time.Duration) lifetimeView {
	return lifetimeView{Lifetime: specs.Duration(d).String(), Seconds: d.Seconds()}
}

func (d *tooling) specViews() []specView {
	served := d.srv.Specs()
	out := make([]specView, 0, len(served))
	for _, sp := range served {
		tok := d.srv.Issuer(sp.Name)
		v := specView{Name: sp.Name, Title: sp.Title, Version: sp.Version, File: sp.File, BasePath: sp.BasePath,
			Algorithm: sp.Tokens.Algorithm, Access: lifetimeOf(tok.Lifetime(specs.TokenAccess)), Operations: []opView{}, AccountStates: accounts.States(sp)}
		if life := tok.Lifetime(specs.TokenRefresh); life > 0 {
			r := lifetimeOf(life)
			v.Refresh = &r
		}
		for _, op := range sp.Operations {
			v.Operations = append(v.Operations, opView{ID: op.ID, Method: op.Method, Path: op.Path, Summary: op.Summary,
				Flow: string(op.Flow.Kind), Statuses: op.Statuses, Protected: op.Protected(), Deprecated: op.Deprecated})
		}
		out = append(out, v)
	}
	return out
}

// spec is the served spec of that name, nil when none.
func (d *tooling) spec(name string) *specs.Spec {
	for _, sp := range d.srv.Specs() {
		if sp.Name == name {
			return sp
		}
	}
	return nil
}

// accountView is an account as the admin API shows it: spec, id, state, its fields by name,
// API keys and profile, secrets redacted (the spec says which fields are).
type accountView map[string]any

func viewAccount(sp *specs.Spec, a specs.Account) accountView {
	v := accountView{"spec": sp.Name, "id": a.ID, "state": string(a.State)}
	for name, val := range a.Fields {
		if sp.Secret(name) {
			val = mockserver.Redact(val)
		}
		v[name] = val
	}
	if len(a.Profile) > 0 {
		v["profile"] = a.Profile
	}
	var keys []string
	for _, k := range a.APIKeys {
		keys = append(keys, mockserver.Redact(k))
	}
	if len(keys) > 0 {
		v["apiKeys"] = keys
	}
	return v
}

// secretsOf are the secret values of an account: its secret fields and API keys.
func secretsOf(sp *specs.Spec, a specs.Account) []string {
	out := slices.Clone(a.APIKeys)
	for name, val := range a.Fields {
		if sp.Secret(name) {
			out = append(out, val)
		}
	}
	return out
}

// adminListAccounts serves GET /__authconform/accounts[?spec=NAME].
func (d *tooling) adminListAccounts(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("spec")
	out := []accountView{}
	for _, sp := range d.srv.Specs() {
		if name != "" && sp.Name != name {
			continue
		}
		for _, a := range d.srv.Accounts(sp.Name) {
			out = append(out, viewAccount(sp, a))
		}
	}
	if name != "" && d.spec(name) == nil {
		mockserver.WritePlain(w, http.StatusNotFound, fmt.Sprintf("no served spec %q", name))
		return
	}
	mockserver.WriteJSON(w, http.StatusOK, map[string]any{"accounts": out})
}

// adminAddAccount serves POST /__authconform/accounts?spec=NAME.
func (d *tooling) adminAddAccount(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("spec")
	sp, served := d.spec(name), d.srv.Specs()
	if sp == nil && name == "" && len(served) == 1 {
		sp = served[0]
	}
	if sp == nil {
		mockserver.WritePlain(w, http.StatusBadRequest, fmt.Sprintf("query spec=%q: name a served spec, e.g. ?spec=%s", name, served[0].Name))
		return
	}
	var req map[string]any
	if !readAdminJSON(w, r, &req, `{"username": "erin", "password": "erin-password"}`) {
		return
	}
	parsed, err := sp.ParseAccount(req)
	if err != nil {
		mockserver.WritePlain(w, http.StatusBadRequest, "body: "+err.Error())
		return
	}
	if err := accounts.StateAllowed(sp, parsed.State); err != nil {
		mockserver.WritePlain(w, http.StatusBadRequest, "body /state: "+err.Error())
		return
	}
	acc, err := d.srv.AddAccount(sp.Name, parsed)
	if errors.Is(err, store.ErrUnavailable) {
		d.storeFailed(w, "adding the account", err)
		return
	}
	if err != nil {
		mockserver.WritePlain(w, http.StatusBadRequest, "body: "+err.Error())
		return
	}
	d.journal.AddSecrets(secretsOf(sp, acc)...)
	d.log.Info("admin account added", "spec", sp.Name, "account", acc.ID)
	mockserver.WriteJSON(w, http.StatusCreated, viewAccount(sp, acc))
}

// accountActions maps the last path segment to the state it sets.
var accountActions = map[string]specs.AccountState{
	"disable":         specs.StateDisabled,
	"enable":          specs.StateEnabled,
	"expire-password": specs.StatePasswordExpired,
}

// adminAccountAction serves POST /__authconform/accounts/{spec}/{id}/{action}; an unknown
// action is a 404 whatever the method.
func (d *tooling) adminAccountAction(w http.ResponseWriter, r *http.Request) {
	spec, id, action := r.PathValue("spec"), r.PathValue("id"), r.PathValue("action")
	state, ok := accountActions[action]
	if !ok {
		mockserver.WritePlain(w, http.StatusNotFound, "no account action "+action+"; there are disable, enable and expire-password")
		return
	}
	if r.Method != http.MethodPost {
		methodNotAllowed(w, "POST", "use POST")
		return
	}
	sp := d.spec(spec)
	if sp == nil {
		mockserver.WritePlain(w, http.StatusNotFound, fmt.Sprintf("no served spec %q", spec))
		return
	}
	if err := accounts.StateAllowed(sp, state); err != nil {
		mockserver.WritePlain(w, http.StatusNotFound, "no account action "+action+" in spec "+spec+": "+err.Error())
		return
	}
	acc, err := d.srv.SetAccountState(spec, id, state)
	if errors.Is(err, store.ErrUnavailable) {
		d.storeFailed(w, "changing the account", err)
		return
	}
	if err != nil {
		mockserver.WritePlain(w, http.StatusNotFound, fmt.Sprintf("spec %s has no account with id %q", spec, id))
		return
	}
	d.log.Info("admin account changed", "spec", spec, "account", id, "state", string(state))
	mockserver.WriteJSON(w, http.StatusOK, viewAccount(sp, acc))
}

// sessionView is a session with its state and remaining lifetimes on the mock's clock.
type sessionView struct {
	session
	State            string   `json:"state"`                      // live, expired or revoked
	AccessRemaining  *float64 `json:"accessRemaining,omitempty"`  // seconds, negative once expired
	RefreshRemaining *float64 `json:"refreshRemaining,omitempty"` // seconds
}

func (d *tooling) sessionView(ctx context.Context, se session, now time.Time) sessionView {
	v := sessionView{session: se, State: "live"}
	rem := func(t *tokenInfo) *float64 {
		if t == nil {
			return nil
		}
		x := t.Expires.Sub(now).Seconds()
		return &x
	}
	v.AccessRemaining, v.RefreshRemaining = rem(se.Access), rem(se.Refresh)
	revoked, err := d.srv.Store().Revoked(ctx, se.Spec, se.ID)
	gen, gerr := d.srv.Store().Generation(ctx, se.Spec, se.Account)
	switch {
	case err != nil || gerr != nil:
		v.State = "unknown" // the store failed; the log says why
		d.log.Error("admin sessions: the store failed", "error", errors.Join(err, gerr))
	case revoked || gen != se.Gen:
		v.State = "revoked"
	case !se.until().After(now):
		v.State = "expired"
	}
	return v
}

func (d *tooling) adminSessions(w http.ResponseWriter, r *http.Request) {
	now := d.srv.Clock().Now()
	name := r.URL.Query().Get("spec")
	out := []sessionView{}
	for _, se := range d.sessions.list(now) {
		if name == "" || se.Spec == name {
			out = append(out, d.sessionView(r.Context(), se, now))
		}
	}
	mockserver.WriteJSON(w, http.StatusOK, map[string]any{"now": now.UTC().Format(time.RFC3339), "sessions": out})
}

// adminRevoke serves POST /__authconform/sessions/{id}/revoke.
func (d *tooling) adminRevoke(w http.ResponseWriter, r *http.Request) {
	sid := r.PathValue("id")
	found := d.sessions.find(sid)
	if name := r.URL.Query().Get("spec"); name != "" {
		found = nil
		if se, ok := d.sessions.get(name, sid); ok {
			found = []session{se}
		}
	}
	if len(found) == 0 {
		mockserver.WritePlain(w, http.StatusNotFound, fmt.Sprintf("no session %q is listed (GET %ssessions lists them)", sid, mockserver.AdminPrefix))
		return
	}
	now := d.srv.Clock().Now()
	if err := d.srv.Store().RevokeSession(r.Context(), found[0].Spec, sid, found[0].until().Add(sessionKeepExpired)); err != nil {
		d.storeFailed(w, "the session is not revoked", err)
		return
	}
	d.log.Info("admin session revoked", "spec", found[0].Spec, "session", sid, "account", found[0].Account)
	mockserver.WriteJSON(w, http.StatusOK, d.sessionView(r.Context(), found[0], now))
}

// adminJournal serves GET /__authconform/journal[?limit=N].
func (d *tooling) adminJournal(w http.ResponseWriter, r *http.Request) {
	limit := DefaultJournalSize
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			mockserver.WritePlain(w, http.StatusBadRequest, "query limit: expected a positive number")
			return
		}
		limit = min(n, journal.MaxLimit)
	}
	mockserver.WriteJSON(w, http.StatusOK, map[string]any{"size": d.journal.Size(), "entries": d.journal.Last(limit)})
}

// adminClearJournal serves DELETE /__authconform/journal.
func (d *tooling) adminClearJournal(w http.ResponseWriter, _ *http.Request) {
	d.journal.Clear()
	mockserver.WriteJSON(w, http.StatusOK, map[string]any{"size": d.journal.Size(), "entries": []journal.Entry{}})
}
