package runner

// A BforeAI PreCrime server written from shared/seeds/003_d16652612f8ed29e.txt: POST /user/login
// answers the user with a JWT in Token (401 incorrect credentials, 403 password expired), and
// the auth headers (API keys) are created, listed and deleted under /authheader, each operation
// taking in Authorization the "JWT token obtained from /user/login endpoint". The document leaves
// two gaps this server takes either way: whether Authorization carries "Bearer <jwt>" or the bare
// JWT, and whether an auth header's own token is accepted there too. Error bodies are
// {"message": ...}; deleting a token that is not the caller's answers 404.

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	precrimeTokenLifetime = 8 * time.Hour // the "Token Lifecycle" heading has no text; this server's choice
	precrimeMaxKeys       = 50            // auth headers per user
)

type precrimeOptions struct {
	authorization    string // "bearer": Authorization: Bearer <jwt>; "bare": the raw JWT, "Bearer ..." refused
	keysOnAuthheader bool   // an auth header's token authenticates /authheader/* too (else only the login JWT)
	bug              precrimeBug
}

// precrimeBug is one realistic defect, "" for none.
type precrimeBug string

const (
	precrimeKeysListedToAll  precrimeBug = "keys-listed-to-every-user"    // the list query lost its owner filter
	precrimeDeletedKeyWorks  precrimeBug = "deleted-key-still-works"      // delete hides the key from the list only
	precrimeForeignDelete    precrimeBug = "foreign-key-deletable"        // delete finds the key by token, not by owner
	precrimeExpiredLogsIn    precrimeBug = "expired-password-logs-in"     // PasswordExpiration never compared
	precrimeExpired401       precrimeBug = "expired-password-401"         // 401 where the document says 403
	precrimeUnknownUser404   precrimeBug = "unknown-user-404"             // "user not found"
	precrimeAlgNone          precrimeBug = "alg-none-accepted"            // a debug path accepts unsigned tokens
	precrimeNoSignatureCheck precrimeBug = "signature-not-verified"       // claims trusted without the signature
	precrimeListAnonymous    precrimeBug = "list-open-without-token"      // the list answers [] to nobody
	precrimeWrongPassword200 precrimeBug = "password-not-checked"         // the login compares the user name only
	precrimeAddAnonymous     precrimeBug = "add-without-token"            // add is missing its auth middleware
	precrimeDeleteAnswers200 precrimeBug = "delete-unknown-answers-200"   // "Success" whatever happened
	precrimeKeyNotListed     precrimeBug = "created-key-not-listed"       // the list reads a stale cache
	precrimeExpiredAccepted  precrimeBug = "expired-token-accepted"       // exp never checked
	precrimeStackTrace       precrimeBug = "stack-trace-in-400"           // the framework's debug error page
	precrimeBearerCaseStrict precrimeBug = "bearer-scheme-case-sensitive" // "bearer x" refused
)

type precrimeUser struct {
	id, username, password, email, first, last string
	created, passwordExpiration                time.Time
}

var precrimeUsers = []precrimeUser{
	{"5c0f2a9e-7b1d-4e3f-9a8b-0c1d2e3f4a5b", "a.novak", "Novak!2024", "a.novak@example.org", "Ana", "Novak",
		time.Date(2023, 3, 1, 8, 0, 0, 0, time.UTC), time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)},
	{"7d2e4b6a-8c9d-4e1f-8a2b-3c4d5e6f7a8b", "p.lind", "Lind!2024", "p.lind@example.org", "Per", "Lind",
		time.Date(2023, 5, 2, 8, 0, 0, 0, time.UTC), time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)},
	{"9e3f5c7b-0d1e-4f2a-9b3c-4d5e6f7a8b9c", "r.old", "Old!2020", "r.old@example.org", "Rita", "Old",
		time.Date(2020, 1, 1, 8, 0, 0, 0, time.UTC), time.Date(2024, 1, 31, 0, 0, 0, 0, time.UTC)},
}

const precrimeAccounts = `  valid: {username: a.novak, password: "Novak!2024"}
  other: {username: p.lind, password: "Lind!2024"}
  expired: {username: r.old, password: "Old!2020"}
`

type precrimeKey struct {
	id, name, token, owner string
	created                time.Time
	deleted                bool
}

type precrimeServer struct {
	o      precrimeOptions
	tokens *indepSigner
	mu     sync.Mutex
	keys   map[string]*precrimeKey // by token
}

func newPrecrimeServer(o precrimeOptions) http.Handler {
	s := &precrimeServer{o: o, tokens: newIndepSigner(jwt.SigningMethodHS256), keys: map[string]*precrimeKey{}}
	s.tokens.allowNone = o.bug == precrimeAlgNone
	s.tokens.skipSignature = o.bug == precrimeNoSignatureCheck
	s.tokens.skipExpiry = o.bug == precrimeExpiredAccepted
	mux := http.NewServeMux()
	mux.HandleFunc("POST /user/login", s.login)
	mux.HandleFunc("POST /authheader/add", s.add)
	mux.HandleFunc("GET /authheader/list", s.list)
	mux.HandleFunc("POST /authheader/delete", s.delete)
	return mux
}

func (s *precrimeServer) fail(w http.ResponseWriter, status int, message string) {
	indepWriteJSON(w, status, map[string]string{"message": message})
}

func precrimeUserBy(match func(precrimeUser) bool) (precrimeUser, bool) {
	i := slices.IndexFunc(precrimeUsers, match)
	if i < 0 {
		return precrimeUser{}, false
	}
	return precrimeUsers[i], true
}

func (s *precrimeServer) login(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if err := indepReadJSON(r, &in); err != nil || in.Username == "" || in.Password == "" {
		msg := "username and password are required"
		if err != nil && s.o.bug == precrimeStackTrace {
			msg = "Traceback (most recent call last):\n  File \"/srv/precrime/api/auth.py\", line 41, in login\nValueError: " + err.Error()
		}
		s.fail(w, http.StatusBadRequest, msg)
		return
	}
	u, ok := precrimeUserBy(func(u precrimeUser) bool { return u.username == in.Username })
	switch {
	case !ok && s.o.bug == precrimeUnknownUser404:
		s.fail(w, http.StatusNotFound, "User not found")
		return
	case !ok, subtle.ConstantTimeCompare([]byte(u.password), []byte(in.Password)) != 1 && s.o.bug != precrimeWrongPassword200:
		s.fail(w, http.StatusUnauthorized, "Incorrect credentials")
		return
	case time.Now().After(u.passwordExpiration) && s.o.bug != precrimeExpiredLogsIn:
		status := http.StatusForbidden
		if s.o.bug == precrimeExpired401 {
			status = http.StatusUnauthorized
		}
		s.fail(w, status, "Password expired")
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	indepWriteJSON(w, http.StatusOK, map[string]string{
		"Id": u.id, "Created": u.created.Format(time.RFC3339), "Username": u.username, "Email": u.email,
		"Firstname": u.first, "Lastname": u.last, "PasswordExpiration": u.passwordExpiration.Format(time.RFC3339),
		"Token": s.tokens.sign(jwt.MapClaims{"sub": u.id}, precrimeTokenLifetime),
	})
}

// caller returns the id of the user the Authorization header authenticates.
func (s *precrimeServer) caller(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	tok := h
	if s.o.authorization == "bearer" {
		scheme, rest, _ := strings.Cut(h, " ")
		if scheme != "Bearer" && (s.o.bug == precrimeBearerCaseStrict || !strings.EqualFold(scheme, "Bearer")) {
			return "", false
		}
		tok = strings.TrimSpace(rest)
	}
	if tok == "" || strings.ContainsAny(tok, " \t") {
		return "", false // "bare": "Bearer <jwt>" is not a token
	}
	if c, ok := s.tokens.verify(tok); ok {
		_, known := precrimeUserBy(func(u precrimeUser) bool { return u.id == claim(c, "sub") })
		return claim(c, "sub"), known
	}
	if !s.o.keysOnAuthheader {
		return "", false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.keys[tok]
	if !ok || k.deleted && s.o.bug != precrimeDeletedKeyWorks {
		return "", false
	}
	return k.owner, true
}

func (s *precrimeServer) add(w http.ResponseWriter, r *http.Request) {
	owner, ok := s.caller(r)
	if !ok && s.o.bug != precrimeAddAnonymous {
		s.fail(w, http.StatusUnauthorized, "Unauthorized")
		return
	}
	var in struct {
		Name string `json:"name"`
	}
	if err := indepReadJSON(r, &in); err != nil || strings.TrimSpace(in.Name) == "" {
		s.fail(w, http.StatusBadRequest, "name is required")
		return
	}
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	k := &precrimeKey{id: indepUUID(), name: in.Name, token: "pcah_" + hex.EncodeToString(b), owner: owner, created: time.Now().UTC()}
	s.mu.Lock()
	n := 0
	for _, x := range s.keys {
		if x.owner == owner {
			n++
		}
	}
	if n >= precrimeMaxKeys {
		s.mu.Unlock()
		s.fail(w, http.StatusBadRequest, "too many auth headers; delete one first")
		return
	}
	s.keys[k.token] = k
	s.mu.Unlock()
	indepWriteJSON(w, http.StatusOK, precrimeKeyJSON(k))
}

func precrimeKeyJSON(k *precrimeKey) map[string]string {
	return map[string]string{"id": k.id, "name": k.name, "token": k.token, "created": k.created.Format(time.RFC3339Nano)}
}

func (s *precrimeServer) list(w http.ResponseWriter, r *http.Request) {
	owner, ok := s.caller(r)
	if !ok && !(s.o.bug == precrimeListAnonymous && r.Header.Get("Authorization") == "") {
		s.fail(w, http.StatusUnauthorized, "Unauthorized")
		return
	}
	s.mu.Lock()
	var mine []*precrimeKey
	for _, k := range s.keys {
		if ok && !k.deleted && (k.owner == owner || s.o.bug == precrimeKeysListedToAll) {
			mine = append(mine, k)
		}
	}
	s.mu.Unlock()
	slices.SortFunc(mine, func(a, b *precrimeKey) int { return a.created.Compare(b.created) })
	if s.o.bug == precrimeKeyNotListed && len(mine) > 0 {
		mine = mine[:len(mine)-1]
	}
	out := []map[string]string{}
	for _, k := range mine {
		out = append(out, precrimeKeyJSON(k))
	}
	indepWriteJSON(w, http.StatusOK, out)
}

func (s *precrimeServer) delete(w http.ResponseWriter, r *http.Request) {
	owner, ok := s.caller(r)
	if !ok {
		s.fail(w, http.StatusUnauthorized, "Unauthorized")
		return
	}
	var in struct {
		Text string `json:"text"`
	}
	if err := indepReadJSON(r, &in); err != nil || in.Text == "" {
		s.fail(w, http.StatusBadRequest, "text is required")
		return
	}
	s.mu.Lock()
	k, found := s.keys[in.Text]
	found = found && !k.deleted && (k.owner == owner || s.o.bug == precrimeForeignDelete)
	if found {
		if s.o.bug == precrimeDeletedKeyWorks {
			k.deleted = true
		} else {
			delete(s.keys, in.Text)
		}
	}
	s.mu.Unlock()
	if !found && s.o.bug != precrimeDeleteAnswers200 {
		s.fail(w, http.StatusNotFound, "No auth header with this token")
		return
	}
	indepWriteJSON(w, http.StatusOK, map[string]string{"message": "Success"})
}

// precrimeConfig is the correct server with the options' readings; its bug is ignored.
func precrimeConfig(o precrimeOptions) indepServer {
	o.bug = ""
	keys := map[bool]string{true: "yes", false: "no"}[o.keysOnAuthheader]
	return indepServer{
		name:     "precrime/authorization=" + o.authorization + ",authheader-tokens=" + keys,
		spec:     "precrime",
		accounts: precrimeAccounts,
		readings: map[string]string{"precrime-authorization": o.authorization, "precrime-authheader-tokens": keys},
		handler:  func() http.Handler { return newPrecrimeServer(o) },
	}
}

// The configurations: every combination of the two readings.
var (
	precrimeSpecReadings = precrimeOptions{authorization: "bearer", keysOnAuthheader: true}
	precrimeBare         = precrimeOptions{authorization: "bare", keysOnAuthheader: true}
	precrimeJWTOnly      = precrimeOptions{authorization: "bearer", keysOnAuthheader: false}
	precrimeBareJWTOnly  = precrimeOptions{authorization: "bare", keysOnAuthheader: false}
)

func precrimeIndepServers() []indepServer {
	var out []indepServer
	for _, o := range []precrimeOptions{precrimeSpecReadings, precrimeBare, precrimeJWTOnly, precrimeBareJWTOnly} {
		out = append(out, precrimeConfig(o))
	}
	return out
}

// precrimeBroken is the configuration o with bug switched on.
func precrimeBroken(o precrimeOptions, bug precrimeBug, gap string) indepBug {
	s := precrimeConfig(o)
	o.bug = bug
	return indepBug{name: s.name + "/" + string(bug), server: s, gap: gap,
		broken: func() http.Handler { return newPrecrimeServer(o) }}
}

func precrimeIndepBugs() []indepBug {
	return []indepBug{
		precrimeBroken(precrimeSpecReadings, precrimeKeysListedToAll, ""),
		precrimeBroken(precrimeSpecReadings, precrimeDeletedKeyWorks, ""),
		precrimeBroken(precrimeSpecReadings, precrimeForeignDelete, ""),
		precrimeBroken(precrimeSpecReadings, precrimeExpiredLogsIn, ""),
		precrimeBroken(precrimeSpecReadings, precrimeExpired401, ""),
		precrimeBroken(precrimeSpecReadings, precrimeUnknownUser404, ""),
		precrimeBroken(precrimeSpecReadings, precrimeAlgNone, ""),
		precrimeBroken(precrimeSpecReadings, precrimeNoSignatureCheck, ""),
		precrimeBroken(precrimeSpecReadings, precrimeListAnonymous, ""),
		precrimeBroken(precrimeSpecReadings, precrimeWrongPassword200, ""),
		precrimeBroken(precrimeSpecReadings, precrimeAddAnonymous, ""),
		precrimeBroken(precrimeSpecReadings, precrimeDeleteAnswers200, ""),
		precrimeBroken(precrimeSpecReadings, precrimeKeyNotListed, ""),
		precrimeBroken(precrimeSpecReadings, precrimeExpiredAccepted, "without clock control (only the mock offers it) no check holds an expired token"),
		precrimeBroken(precrimeSpecReadings, precrimeStackTrace, ""),
		precrimeBroken(precrimeSpecReadings, precrimeBearerCaseStrict, ""),
		// The same bugs where the server follows the other readings.
		precrimeBroken(precrimeBare, precrimeNoSignatureCheck, ""),
		precrimeBroken(precrimeBare, precrimeKeysListedToAll, ""),
		precrimeBroken(precrimeBare, precrimeDeletedKeyWorks, ""),
		precrimeBroken(precrimeJWTOnly, precrimeKeysListedToAll, ""),
		precrimeBroken(precrimeJWTOnly, precrimeForeignDelete, ""),
		precrimeBroken(precrimeBareJWTOnly, precrimeAlgNone, ""),
		precrimeBroken(precrimeBareJWTOnly, precrimeExpiredLogsIn, ""),
	}
}

func precrimeReadingTests() []indepReadingTest {
	login := func(c *indepClient) string {
		m := c.expect(200, "POST", "/user/login", map[string]string{"username": "a.novak", "password": "Novak!2024"})
		return m["Token"].(string)
	}
	authorization := func(bearer, bare int) func(*indepClient) {
		return func(c *indepClient) {
			jwt := login(c)
			c.expect(bearer, "GET", "/authheader/list", nil, "Authorization", "Bearer "+jwt)
			c.expect(bare, "GET", "/authheader/list", nil, "Authorization", jwt)
		}
	}
	keys := func(prefix string, want int) func(*indepClient) {
		return func(c *indepClient) {
			jwt := prefix + login(c)
			k := c.expect(200, "POST", "/authheader/add", map[string]string{"name": "ci"}, "Authorization", jwt)
			c.expect(want, "GET", "/authheader/list", nil, "Authorization", prefix+k["token"].(string))
		}
	}
	return []indepReadingTest{
		{"precrime/authorization=bearer: Bearer <jwt> only", precrimeConfig(precrimeSpecReadings), authorization(200, 401)},
		{"precrime/authorization=bare: the raw JWT only", precrimeConfig(precrimeBare), authorization(401, 200)},
		{"precrime/authheader-tokens=yes: a key authenticates /authheader/list", precrimeConfig(precrimeSpecReadings), keys("Bearer ", 200)},
		{"precrime/authheader-tokens=no: only the login JWT does", precrimeConfig(precrimeJWTOnly), keys("Bearer ", 401)},
		{"precrime/bare,authheader-tokens=no: only the raw login JWT does", precrimeConfig(precrimeBareJWTOnly), keys("", 401)},
	}
}
