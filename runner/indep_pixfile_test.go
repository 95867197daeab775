package runner

// A Pixfile Workflow login-controller-api written from shared/seeds/001_8c8892683d82d104.txt:
// POST /api/v2/login returns the token in the X-Auth-Token response header and body; the
// deprecated GET /api/v1/login takes the credentials in the query and returns the token in the
// x-auth-token header; the token is handed over in the X-Auth-Token header of every call, lives
// 24 hours and dies when the services restart (the signing key is drawn at start). An account's
// activeUntil date ends its access (403); the document knows no password expiry, so neither does
// this server. Wrong credentials answer 401 and an inactive account 403, the bundled spec's
// reading of the framework's 401/403/404 list; GET /api/v2/customers stands in for "all api calls".

import (
	"crypto/subtle"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const pixfileTokenLifetime = 24 * time.Hour // "The token is valid for 24 hours"

// pixfileBug is one realistic defect, "" for none.
type pixfileBug string

const (
	pixfileHeaderBodyDiffer pixfileBug = "header-and-body-tokens-differ" // two tokens issued, one per place
	pixfileBodyNoToken      pixfileBug = "v2-body-without-token"         // the token only in the header
	pixfileV1NoHeader       pixfileBug = "v1-token-in-body-not-header"   // v1 returns {token} instead of the header
	pixfileUnknownUser404   pixfileBug = "unknown-user-404"              // 404 "user not found"
	pixfileInactiveLogsIn   pixfileBug = "inactive-account-logs-in"      // activeUntil ignored
	pixfileInactive401      pixfileBug = "inactive-account-401"          // 401 where an inactive account gets 403
	pixfileShortToken       pixfileBug = "token-lives-1h"                // exp = iat + 1h
	pixfileAlgNone          pixfileBug = "alg-none-accepted"             // a debug path accepts unsigned tokens
	pixfileNoSignatureCheck pixfileBug = "signature-not-verified"        // claims trusted without the signature
	pixfileExpiredAccepted  pixfileBug = "expired-token-accepted"        // exp never checked
	pixfileQueryToken       pixfileBug = "token-from-query-parameter"    // ?X-Auth-Token= accepted on api calls
	pixfileGarbage500       pixfileBug = "garbage-token-500"             // a token that is no JWT crashes the filter
	pixfileWrongPassword200 pixfileBug = "v1-wrong-password-logs-in"     // v1 compares the user name only
	pixfileMalformed500     pixfileBug = "malformed-login-500"           // an unreadable body is an internal error
	pixfileAnonymousProbe   pixfileBug = "customers-open-without-token"  // no X-Auth-Token answers 200
)

type pixfileUser struct {
	id          int
	password    string
	activeUntil string // a date; empty: active for unlimited time
}

var pixfileUsers = map[string]pixfileUser{
	"k.weber": {id: 17, password: "Weber#2024"},
	"s.braun": {id: 18, password: "Braun#2024"},
	"t.alt":   {id: 19, password: "Alt#2024", activeUntil: "2023-12-31"},
}

const pixfileAccounts = `  valid: {username: k.weber, password: "Weber#2024"}
  other: {username: s.braun, password: "Braun#2024"}
  disabled: {username: t.alt, password: "Alt#2024"}
`

type pixfileServer struct {
	bug    pixfileBug
	tokens *indepSigner
}

func newPixfileServer(bug pixfileBug) http.Handler {
	s := &pixfileServer{bug: bug, tokens: newIndepSigner(jwt.SigningMethodHS512)}
	s.tokens.allowNone = bug == pixfileAlgNone
	s.tokens.skipSignature = bug == pixfileNoSignatureCheck
	s.tokens.skipExpiry = bug == pixfileExpiredAccepted
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v2/login", s.loginV2)
	mux.HandleFunc("GET /api/v1/login", s.loginV1)
	mux.HandleFunc("GET /api/v2/customers", s.customers)
	return mux
}

// springError is the body Spring Boot writes for a request it cannot bind.
func springError(w http.ResponseWriter, r *http.Request, status int, message string) {
	indepWriteJSON(w, status, map[string]any{"timestamp": time.Now().UTC().Format(time.RFC3339), "status": status,
		"error": http.StatusText(status), "message": message, "path": r.URL.Path})
}

// check returns the user, or the status that refuses the login (the body is empty: "No Content").
func (s *pixfileServer) check(name, password string, v1 bool) (pixfileUser, int) {
	u, ok := pixfileUsers[name]
	if !ok {
		if s.bug == pixfileUnknownUser404 {
			return u, http.StatusNotFound
		}
		return u, http.StatusUnauthorized
	}
	if subtle.ConstantTimeCompare([]byte(u.password), []byte(password)) != 1 && !(v1 && s.bug == pixfileWrongPassword200) {
		return u, http.StatusUnauthorized
	}
	if u.activeUntil != "" && u.activeUntil < time.Now().Format(time.DateOnly) && s.bug != pixfileInactiveLogsIn {
		if s.bug == pixfileInactive401 {
			return u, http.StatusUnauthorized
		}
		return u, http.StatusForbidden
	}
	return u, http.StatusOK
}

func (s *pixfileServer) issue(name string, u pixfileUser) string {
	lifetime := pixfileTokenLifetime
	if s.bug == pixfileShortToken {
		lifetime = time.Hour
	}
	return s.tokens.sign(jwt.MapClaims{"sub": name, "uid": u.id}, lifetime)
}

func (s *pixfileServer) loginV2(w http.ResponseWriter, r *http.Request) {
	var in struct {
		LogoutID string `json:"logoutID"`
		Password string `json:"password"`
		Username string `json:"username"`
	}
	if err := indepReadJSON(r, &in); err != nil || in.Username == "" || in.Password == "" {
		status := http.StatusBadRequest
		if err != nil && s.bug == pixfileMalformed500 {
			status = http.StatusInternalServerError
		}
		springError(w, r, status, "username and password are required")
		return
	}
	u, status := s.check(in.Username, in.Password, false)
	if status != http.StatusOK {
		w.WriteHeader(status)
		return
	}
	tok := s.issue(in.Username, u)
	w.Header().Set("X-Auth-Token", tok)
	if s.bug == pixfileHeaderBodyDiffer {
		tok = s.issue(in.Username, u)
	}
	body := map[string]any{"userId": u.id, "username": in.Username, "X-Auth-Token": tok}
	if s.bug == pixfileBodyNoToken {
		delete(body, "X-Auth-Token")
	}
	w.Header().Set("Cache-Control", "no-store")
	indepWriteJSON(w, http.StatusOK, body)
}

func (s *pixfileServer) loginV1(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	name, password := q.Get("username"), q.Get("password")
	if name == "" || password == "" {
		springError(w, r, http.StatusBadRequest, "Required request parameter 'username' for method parameter type String is not present")
		return
	}
	u, status := s.check(name, password, true)
	if status != http.StatusOK {
		w.WriteHeader(status)
		return
	}
	tok := s.issue(name, u)
	body := map[string]any{"id": u.id, "username": name}
	if u.activeUntil != "" {
		body["activeUntil"] = u.activeUntil
	}
	if s.bug == pixfileV1NoHeader {
		body["token"] = tok
	} else {
		w.Header().Set("x-auth-token", tok)
	}
	w.Header().Set("Cache-Control", "no-store")
	indepWriteJSON(w, http.StatusOK, body)
}

func (s *pixfileServer) customers(w http.ResponseWriter, r *http.Request) {
	tok := r.Header.Get("X-Auth-Token")
	if tok == "" && s.bug == pixfileQueryToken {
		tok = r.URL.Query().Get("X-Auth-Token")
	}
	if !s.authorized(w, r, tok) {
		return
	}
	indepWriteJSON(w, http.StatusOK, []map[string]any{{"id": 1, "name": "Stadtwerke Nord"}, {"id": 2, "name": "Druckerei Lenz"}})
}

// authorized checks the token of an api call and answers the refusal itself.
func (s *pixfileServer) authorized(w http.ResponseWriter, r *http.Request, tok string) bool {
	switch {
	case tok == "" && s.bug == pixfileAnonymousProbe:
		return true
	case s.bug == pixfileGarbage500 && strings.Count(tok, ".") != 2:
		springError(w, r, http.StatusInternalServerError, "JWT strings must contain exactly 2 period characters")
		return false
	}
	c, ok := s.tokens.verify(tok)
	if !ok || pixfileUsers[claim(c, "sub")].id == 0 {
		w.WriteHeader(http.StatusUnauthorized)
		return false
	}
	return true
}

// pixfileCorrect is the one configuration: the document leaves no gap a run can tell apart. It
// is the "no password expiry" reading of issue 13, which only --certify sees (LOG-15 asks for an
// expired account this vendor cannot have), so its target has no expired account.
var pixfileCorrect = indepServer{
	name:     "pixfile/no-password-expiry",
	spec:     "pixfile",
	accounts: pixfileAccounts,
	handler:  func() http.Handler { return newPixfileServer("") },
}

func pixfileIndepServers() []indepServer { return []indepServer{pixfileCorrect} }

func pixfileIndepBugs() []indepBug {
	bug := func(b pixfileBug, gap string) indepBug {
		return indepBug{name: pixfileCorrect.name + "/" + string(b), server: pixfileCorrect, gap: gap,
			broken: func() http.Handler { return newPixfileServer(b) }}
	}
	return []indepBug{
		bug(pixfileHeaderBodyDiffer, ""),
		bug(pixfileBodyNoToken, ""),
		bug(pixfileV1NoHeader, ""),
		bug(pixfileUnknownUser404, ""),
		bug(pixfileInactiveLogsIn, ""),
		bug(pixfileInactive401, ""),
		bug(pixfileShortToken, ""),
		bug(pixfileAlgNone, ""),
		bug(pixfileNoSignatureCheck, ""),
		bug(pixfileExpiredAccepted, "without clock control (only the mock offers it) no check holds an expired token"),
		bug(pixfileQueryToken, ""),
		bug(pixfileGarbage500, ""),
		bug(pixfileWrongPassword200, ""),
		bug(pixfileMalformed500, ""),
		bug(pixfileAnonymousProbe, ""),
	}
}
