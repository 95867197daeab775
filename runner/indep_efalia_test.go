package runner

// An Efalia Process API ("Workey") server written from shared/seeds/000_0acc9e9da501ab5f.txt:
// POST /auth/token, /auth/refresh and /auth/logout under http://{hostname}/workey/api/, the
// custom status 555 with a RestMessage body for anything refused, and the Basic, Bearer and
// X-API-KEY security of logout. Where the seed names nothing, the bundled spec's names are used so
// a client can find them: the token fields type/token/refreshToken, the X-API-KEY-IMPERSONATE
// header, and GET /processes as the protected operation a client probes.

import (
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	efaliaAccessLifetime  = 30 * time.Minute // the seed states none; this server's choice
	efaliaRefreshLifetime = 12 * time.Hour
)

type efaliaOptions struct {
	// impersonation is "optional" (X-API-KEY alone acts as the key's user) or "required" (the
	// seed's requirement lists ApiKey together with ApiKeyImpersonate).
	impersonation string
	// usedRefresh is "refused" (a refresh token is single use) or "accepted-until-expiry".
	usedRefresh string
	// logoutEndsRefresh: logout also ends the session's refresh token ("Logout a user." says no more).
	logoutEndsRefresh bool
	bug               efaliaBug
}

// efaliaBug is one realistic defect, "" for none.
type efaliaBug string

const (
	efaliaLogoutKeepsAccess      efaliaBug = "logout-keeps-access-token"        // logout answers 200, the token still works
	efaliaNoSignatureCheck       efaliaBug = "signature-not-verified"           // claims trusted without the signature
	efaliaAlgNone                efaliaBug = "alg-none-accepted"                // a debug path accepts unsigned tokens
	efaliaExpiredAccepted        efaliaBug = "expired-token-accepted"           // exp is never checked
	efaliaRefreshTakesAccess     efaliaBug = "refresh-accepts-access-token"     // /auth/refresh ignores the token type
	efaliaProbeTakesRefresh      efaliaBug = "refresh-token-accepted-as-access" // Bearer ignores the token type
	efaliaWrongPassword401       efaliaBug = "wrong-password-401"               // 401 where the seed documents 555
	efaliaAnonymousProbe         efaliaBug = "probe-open-without-credentials"   // a protected call without credentials answers 200
	efaliaLogoutAnonymous        efaliaBug = "logout-without-credentials-200"   // logout of nobody answers 200
	efaliaStackTrace             efaliaBug = "stack-trace-in-restmessage"       // ErrorCause.stackTrace filled in
	efaliaCacheable              efaliaBug = "token-response-cacheable"         // no Cache-Control: no-store
	efaliaQueryToken             efaliaBug = "access-token-from-query"          // ?access_token= accepted
	efaliaBearerCase             efaliaBug = "bearer-scheme-case-sensitive"     // "bearer x" refused
	efaliaBasicIgnoresPassword   efaliaBug = "basic-ignores-password"           // Basic checks the user name only
	efaliaRotatedRefreshUnusable efaliaBug = "rotated-refresh-token-unusable"   // the new refresh token reuses the spent one's id
	efaliaImpersonateAnyone      efaliaBug = "impersonates-unknown-user"        // X-API-KEY-IMPERSONATE not checked against the users
)

type efaliaUser struct{ password, apiKey string }

// efaliaUsers is the Process configuration: users and the API key defined for one of them.
var efaliaUsers = map[string]efaliaUser{
	"m.durand": {password: "Durand-2024!", apiKey: "wk-3f9a1c7e5b2d4f60a8e1"},
	"j.petit":  {password: "Petit-2024!"},
}

const efaliaAccounts = `  valid: {username: m.durand, password: "Durand-2024!", apiKey: wk-3f9a1c7e5b2d4f60a8e1}
  other: {username: j.petit, password: "Petit-2024!"}
`

type efaliaServer struct {
	o       efaliaOptions
	tokens  *indepSigner
	revoked *indepExpiring // access-token ids ended by logout
	ended   *indepExpiring // session ids whose refresh tokens logout ended
	spent   *indepExpiring // refresh-token ids already exchanged (rotation)
	mu      sync.Mutex
	gen     map[string]int // per user; a Basic or API-key logout ends every token issued before
}

func newEfaliaServer(o efaliaOptions) http.Handler {
	s := &efaliaServer{o: o, tokens: newIndepSigner(jwt.SigningMethodHS512), gen: map[string]int{},
		revoked: newIndepExpiring(10000), ended: newIndepExpiring(10000), spent: newIndepExpiring(10000)}
	s.tokens.skipSignature = o.bug == efaliaNoSignatureCheck
	s.tokens.allowNone = o.bug == efaliaAlgNone
	s.tokens.skipExpiry = o.bug == efaliaExpiredAccepted
	mux := http.NewServeMux()
	mux.HandleFunc("POST /workey/api/auth/token", s.token)
	mux.HandleFunc("POST /workey/api/auth/refresh", s.refresh)
	mux.HandleFunc("POST /workey/api/auth/logout", s.logout)
	mux.HandleFunc("GET /workey/api/processes", s.processes)
	return mux
}

// fail writes a RestMessage; err is the cause a Workey server would attach to a 555.
func (s *efaliaServer) fail(w http.ResponseWriter, status int, message string, err error) {
	body := map[string]any{"code": status, "error": true, "message": message}
	if s.o.bug == efaliaStackTrace && err != nil {
		body["cause"] = map[string]any{"className": "com.efalia.workey.rest.AuthResource", "method": "postToken", "line": 88,
			"stackTrace": map[string]any{"trace": err.Error() + "\n\tat com.efalia.workey.rest.AuthResource.postToken(AuthResource.java:88)" +
				"\n\tat org.glassfish.jersey.server.model.ResourceMethodInvoker.invoke(ResourceMethodInvoker.java:397)"}}
	}
	indepWriteJSON(w, status, body)
}

func (s *efaliaServer) generation(user string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gen[user]
}

// current reports whether a token was issued after the user's last Basic or API-key logout.
func (s *efaliaServer) current(c jwt.MapClaims) bool {
	g, _ := c["gen"].(float64) // a JSON number
	return int(g) == s.generation(claim(c, "sub"))
}

// issue answers a new access and refresh token of one session.
func (s *efaliaServer) issue(w http.ResponseWriter, user, sid, refreshID string) {
	g := s.generation(user)
	access := s.tokens.sign(jwt.MapClaims{"iss": "workey", "sub": user, "sid": sid, "typ": "access", "gen": g}, efaliaAccessLifetime)
	rc := jwt.MapClaims{"iss": "workey", "sub": user, "sid": sid, "typ": "refresh", "gen": g}
	if refreshID != "" && s.o.bug == efaliaRotatedRefreshUnusable {
		rc["jti"] = refreshID // copied from the token it replaces
	}
	refresh := s.tokens.sign(rc, efaliaRefreshLifetime)
	if s.o.bug != efaliaCacheable {
		w.Header().Set("Cache-Control", "no-store")
	}
	indepWriteJSON(w, http.StatusOK, map[string]string{"type": "Bearer", "token": access, "refreshToken": refresh})
}

func (s *efaliaServer) passwordOK(user, password string) bool {
	u, ok := efaliaUsers[user]
	return ok && subtle.ConstantTimeCompare([]byte(u.password), []byte(password)) == 1
}

func (s *efaliaServer) token(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if err := indepReadJSON(r, &in); err != nil {
		s.fail(w, 555, "Malformed credentials", err)
		return
	}
	if !s.passwordOK(in.Username, in.Password) {
		status := 555
		if s.o.bug == efaliaWrongPassword401 {
			status = http.StatusUnauthorized
		}
		s.fail(w, status, "Bad credentials", nil)
		return
	}
	s.issue(w, in.Username, indepID(), "")
}

func (s *efaliaServer) refresh(w http.ResponseWriter, r *http.Request) {
	var in struct {
		RefreshToken string `json:"refreshToken"`
	}
	if err := indepReadJSON(r, &in); err != nil {
		s.fail(w, 555, "Malformed refresh request", err)
		return
	}
	c, ok := s.tokens.verify(in.RefreshToken)
	if !ok || claim(c, "typ") != "refresh" && s.o.bug != efaliaRefreshTakesAccess {
		s.fail(w, 555, "Invalid refresh token", nil)
		return
	}
	user, sid, id := claim(c, "sub"), claim(c, "sid"), claim(c, "jti")
	exp, _ := c.GetExpirationTime()
	if s.ended.has(sid) || s.o.logoutEndsRefresh && !s.current(c) {
		s.fail(w, 555, "Session ended", nil)
		return
	}
	if s.o.usedRefresh == "refused" && exp != nil && !s.spent.add(id, exp.Time) {
		s.fail(w, 555, "Refresh token already used", nil)
		return
	}
	s.issue(w, user, sid, id)
}

// efaliaCaller is who a request authenticates as, and with what.
type efaliaCaller struct {
	user, via, id, sid string
}

// authenticate reads Basic, Bearer or X-API-KEY (with X-API-KEY-IMPERSONATE); presented says
// whether any credential was there at all.
func (s *efaliaServer) authenticate(r *http.Request) (c efaliaCaller, ok, presented bool) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, value, _ := strings.Cut(h, " ")
		switch {
		case strings.EqualFold(scheme, "Basic"):
			user, pass, basic := r.BasicAuth()
			_, known := efaliaUsers[user]
			if basic && (s.passwordOK(user, pass) || s.o.bug == efaliaBasicIgnoresPassword && known) {
				return efaliaCaller{user: user, via: "basic"}, true, true
			}
		case scheme == "Bearer" || s.o.bug != efaliaBearerCase && strings.EqualFold(scheme, "Bearer"):
			c, valid := s.bearer(strings.TrimSpace(value))
			return c, valid, true
		}
		return efaliaCaller{}, false, true
	}
	if tok := r.URL.Query().Get("access_token"); tok != "" && s.o.bug == efaliaQueryToken {
		c, valid := s.bearer(tok)
		return c, valid, true
	}
	key := r.Header.Get("X-API-KEY")
	if key == "" {
		return efaliaCaller{}, false, false
	}
	for owner, u := range efaliaUsers {
		if u.apiKey == "" || subtle.ConstantTimeCompare([]byte(u.apiKey), []byte(key)) != 1 {
			continue
		}
		as := r.Header.Get("X-API-KEY-IMPERSONATE")
		_, known := efaliaUsers[as]
		switch {
		case as == "" && s.o.impersonation == "optional":
			return efaliaCaller{user: owner, via: "apikey"}, true, true
		case as != "" && (known || s.o.bug == efaliaImpersonateAnyone):
			return efaliaCaller{user: as, via: "apikey"}, true, true
		}
	}
	return efaliaCaller{}, false, true
}

func (s *efaliaServer) bearer(tok string) (efaliaCaller, bool) {
	c, ok := s.tokens.verify(tok)
	if !ok || claim(c, "typ") != "access" && s.o.bug != efaliaProbeTakesRefresh {
		return efaliaCaller{}, false
	}
	user := claim(c, "sub")
	if s.revoked.has(claim(c, "jti")) || !s.current(c) {
		return efaliaCaller{}, false
	}
	return efaliaCaller{user: user, via: "bearer", id: claim(c, "jti"), sid: claim(c, "sid")}, true
}

func (s *efaliaServer) logout(w http.ResponseWriter, r *http.Request) {
	c, ok, presented := s.authenticate(r)
	if !ok {
		if !presented && s.o.bug == efaliaLogoutAnonymous {
			w.WriteHeader(http.StatusOK)
			return
		}
		s.fail(w, http.StatusUnauthorized, "Authentication required", nil)
		return
	}
	switch c.via {
	case "bearer":
		// "Logout a user.": the token used ends; the session's refresh token too when so configured.
		if s.o.bug != efaliaLogoutKeepsAccess {
			s.revoked.add(c.id, time.Now().Add(efaliaAccessLifetime))
		}
		if s.o.logoutEndsRefresh {
			s.ended.add(c.sid, time.Now().Add(efaliaRefreshLifetime))
		}
	default:
		// Basic or an API key names a user, not a session: every token issued to the user ends.
		s.mu.Lock()
		s.gen[c.user]++
		s.mu.Unlock()
	}
	w.WriteHeader(http.StatusOK)
}

func (s *efaliaServer) processes(w http.ResponseWriter, r *http.Request) {
	if _, ok, presented := s.authenticate(r); !ok && !(s.o.bug == efaliaAnonymousProbe && !presented) {
		s.fail(w, http.StatusUnauthorized, "Authentication required", nil)
		return
	}
	indepWriteJSON(w, http.StatusOK, []map[string]any{{"id": 101, "name": "Demande d'achat"}, {"id": 102, "name": "Demande de congé"}})
}

// efaliaConfig is the correct server with the options' readings; its bug is ignored.
func efaliaConfig(o efaliaOptions) indepServer {
	o.bug = ""
	ends := map[bool]string{true: "yes", false: "no"}[o.logoutEndsRefresh]
	return indepServer{
		name:     "efalia/impersonate=" + o.impersonation + ",used-refresh=" + o.usedRefresh + ",logout-ends-refresh=" + ends,
		spec:     "efalia",
		basePath: "/workey/api",
		accounts: efaliaAccounts,
		readings: map[string]string{"efalia-impersonate": o.impersonation, "efalia-used-refresh": o.usedRefresh, "efalia-logout-ends-refresh": ends},
		handler:  func() http.Handler { return newEfaliaServer(o) },
	}
}

// The configurations: the bundled spec's readings, each other reading alone, and all of them.
var (
	efaliaSpecReadings  = efaliaOptions{impersonation: "optional", usedRefresh: "refused", logoutEndsRefresh: true}
	efaliaRequired      = efaliaOptions{impersonation: "required", usedRefresh: "refused", logoutEndsRefresh: true}
	efaliaReusable      = efaliaOptions{impersonation: "optional", usedRefresh: "accepted-until-expiry", logoutEndsRefresh: true}
	efaliaLogoutKeeps   = efaliaOptions{impersonation: "optional", usedRefresh: "refused", logoutEndsRefresh: false}
	efaliaOtherReadings = efaliaOptions{impersonation: "required", usedRefresh: "accepted-until-expiry", logoutEndsRefresh: false}
)

func efaliaIndepServers() []indepServer {
	var out []indepServer
	for _, o := range []efaliaOptions{efaliaSpecReadings, efaliaRequired, efaliaReusable, efaliaLogoutKeeps, efaliaOtherReadings} {
		out = append(out, efaliaConfig(o))
	}
	return out
}

// efaliaBroken is the configuration o with bug switched on.
func efaliaBroken(o efaliaOptions, bug efaliaBug, gap string) indepBug {
	s := efaliaConfig(o)
	o.bug = bug
	return indepBug{name: s.name + "/" + string(bug), server: s, gap: gap,
		broken: func() http.Handler { return newEfaliaServer(o) }}
}

func efaliaIndepBugs() []indepBug {
	return []indepBug{
		efaliaBroken(efaliaSpecReadings, efaliaLogoutKeepsAccess, ""),
		efaliaBroken(efaliaSpecReadings, efaliaNoSignatureCheck, ""),
		efaliaBroken(efaliaSpecReadings, efaliaAlgNone, ""),
		efaliaBroken(efaliaSpecReadings, efaliaExpiredAccepted, "without clock control (only the mock offers it) no check holds an expired token"),
		efaliaBroken(efaliaSpecReadings, efaliaRefreshTakesAccess, ""),
		efaliaBroken(efaliaSpecReadings, efaliaProbeTakesRefresh, ""),
		efaliaBroken(efaliaSpecReadings, efaliaWrongPassword401, ""),
		efaliaBroken(efaliaSpecReadings, efaliaAnonymousProbe, ""),
		efaliaBroken(efaliaSpecReadings, efaliaLogoutAnonymous, ""),
		efaliaBroken(efaliaSpecReadings, efaliaStackTrace, ""),
		efaliaBroken(efaliaSpecReadings, efaliaCacheable, ""),
		efaliaBroken(efaliaSpecReadings, efaliaQueryToken, ""),
		efaliaBroken(efaliaSpecReadings, efaliaBearerCase, ""),
		efaliaBroken(efaliaSpecReadings, efaliaBasicIgnoresPassword, ""),
		efaliaBroken(efaliaSpecReadings, efaliaRotatedRefreshUnusable, ""),
		efaliaBroken(efaliaSpecReadings, efaliaImpersonateAnyone, ""),
		// The same bugs where the server follows the other readings.
		efaliaBroken(efaliaRequired, efaliaLogoutKeepsAccess, ""),
		efaliaBroken(efaliaRequired, efaliaNoSignatureCheck, ""),
		efaliaBroken(efaliaReusable, efaliaRefreshTakesAccess, ""),
		efaliaBroken(efaliaLogoutKeeps, efaliaLogoutKeepsAccess, ""),
		efaliaBroken(efaliaOtherReadings, efaliaAlgNone, ""),
	}
}

func efaliaReadingTests() []indepReadingTest {
	key := efaliaUsers["m.durand"].apiKey
	login := func(c *indepClient) map[string]any {
		return c.expect(200, "POST", "/auth/token", map[string]string{"username": "m.durand", "password": "Durand-2024!"})
	}
	impersonation := func(want int) func(*indepClient) {
		return func(c *indepClient) {
			c.expect(want, "GET", "/processes", nil, "X-API-KEY", key)
			c.expect(200, "GET", "/processes", nil, "X-API-KEY", key, "X-API-KEY-IMPERSONATE", "j.petit")
		}
	}
	reuse := func(want int) func(*indepClient) {
		return func(c *indepClient) {
			rt := login(c)["refreshToken"]
			c.expect(200, "POST", "/auth/refresh", map[string]any{"refreshToken": rt})
			c.expect(want, "POST", "/auth/refresh", map[string]any{"refreshToken": rt})
		}
	}
	logout := func(want int) func(*indepClient) {
		return func(c *indepClient) {
			m := login(c)
			c.expect(200, "POST", "/auth/logout", nil, "Authorization", "Bearer "+m["token"].(string))
			c.expect(401, "GET", "/processes", nil, "Authorization", "Bearer "+m["token"].(string))
			c.expect(want, "POST", "/auth/refresh", map[string]any{"refreshToken": m["refreshToken"]})
		}
	}
	logoutUser := func(headers ...string) func(*indepClient) {
		return func(c *indepClient) {
			m := login(c)
			c.expect(200, "POST", "/auth/logout", nil, headers...)
			c.expect(401, "GET", "/processes", nil, "Authorization", "Bearer "+m["token"].(string))
		}
	}
	return []indepReadingTest{
		{"efalia/impersonate=optional: a key alone acts as its user", efaliaConfig(efaliaSpecReadings), impersonation(200)},
		{"efalia/impersonate=required: a key alone is refused", efaliaConfig(efaliaRequired), impersonation(401)},
		{"efalia/used-refresh=refused: a spent refresh token is refused", efaliaConfig(efaliaSpecReadings), reuse(555)},
		{"efalia/used-refresh=accepted-until-expiry: a spent refresh token works again", efaliaConfig(efaliaReusable), reuse(200)},
		{"efalia/logout-ends-refresh=yes: the refresh token dies with logout", efaliaConfig(efaliaSpecReadings), logout(555)},
		{"efalia/logout-ends-refresh=no: the refresh token outlives logout", efaliaConfig(efaliaLogoutKeeps), logout(200)},
		{"efalia: logout with Basic ends every token of the user", efaliaConfig(efaliaLogoutKeeps), logoutUser("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("m.durand:Durand-2024!")))},
		{"efalia: logout with an API key ends every token of the user", efaliaConfig(efaliaRequired), logoutUser("X-API-KEY", key, "X-API-KEY-IMPERSONATE", "m.durand")},
	}
}
