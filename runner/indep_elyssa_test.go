package runner

// An Elyssa App API server written from shared/seeds/002_afbb98f09cd96efd.txt: POST /auth/login/
// authenticates a company by its companyId and returns an access token (24 h) and a refresh
// token (360 days); POST /auth/refresh/ takes {"refresh": ...} and returns a new access token;
// every endpoint wants "Authorization: Bearer <token>" and x-company-id, and answers 401 without
// them or with an invalid token. The paths keep their published trailing slash. GET /companies/me
// is the protected endpoint the bundled spec probes. Error bodies are {"message": ...}.

import (
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	elyssaAccessLifetime  = 24 * time.Hour       // "The token it's validate for 24 hr"
	elyssaRefreshLifetime = 360 * 24 * time.Hour // "The refresh token it's validate for 360 days"
)

// elyssaBug is one realistic defect, "" for none.
type elyssaBug string

const (
	elyssaNoCompanyHeaderOK  elyssaBug = "missing-x-company-id-accepted"    // the header is read only when present
	elyssaAnyCompanyHeaderOK elyssaBug = "foreign-x-company-id-accepted"    // the header is not compared with the token
	elyssaOneHourAccess      elyssaBug = "access-token-lives-1h"            // the lifetime of the document's example JWT
	elyssaShortRefresh       elyssaBug = "refresh-token-lives-30d"          // not the documented 360 days
	elyssaSameToken          elyssaBug = "refresh-token-is-access-token"    // the document's example shows one string twice
	elyssaRefreshTakesAccess elyssaBug = "refresh-accepts-access-token"     // /auth/refresh/ ignores the token type
	elyssaNoSignatureCheck   elyssaBug = "signature-not-verified"           // jwt.decode instead of jwt.verify
	elyssaGarbage500         elyssaBug = "garbage-token-500"                // a token that is no JWT crashes the handler
	elyssaAnyCompanyLogsIn   elyssaBug = "unknown-company-gets-token"       // login never looks the company up
	elyssaStackTrace         elyssaBug = "stack-trace-in-401"               // the error handler of development mode
	elyssaExpiredAccepted    elyssaBug = "expired-token-accepted"           // ignoreExpiration left on
	elyssaNoSlashOnly        elyssaBug = "login-only-without-slash"         // routes registered without the trailing slash
	elyssaRefreshNeedsBearer elyssaBug = "refresh-needs-authorization"      // refresh behind the auth middleware
	elyssaProbeTakesRefresh  elyssaBug = "refresh-token-accepted-as-access" // the auth middleware ignores the token type
)

var elyssaCompanies = map[string]string{
	"6b1f0c2e-8d4a-4f3b-9e5c-1a2b3c4d5e6f": "Boulangerie Martin SARL",
	"0f9e8d7c-6b5a-4c3d-8e2f-1a0b9c8d7e6f": "Atelier Roux",
}

const elyssaAccounts = `  valid: {companyId: 6b1f0c2e-8d4a-4f3b-9e5c-1a2b3c4d5e6f}
  other: {companyId: 0f9e8d7c-6b5a-4c3d-8e2f-1a0b9c8d7e6f}
`

type elyssaServer struct {
	bug    elyssaBug
	tokens *indepSigner
}

func newElyssaServer(bug elyssaBug) http.Handler {
	s := &elyssaServer{bug: bug, tokens: newIndepSigner(jwt.SigningMethodHS256)}
	s.tokens.skipSignature = bug == elyssaNoSignatureCheck
	s.tokens.skipExpiry = bug == elyssaExpiredAccepted
	slash := "/{$}"
	if bug == elyssaNoSlashOnly {
		slash = ""
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /auth/login"+slash, s.login)
	mux.HandleFunc("POST /auth/refresh"+slash, s.refresh)
	mux.HandleFunc("GET /companies/me", s.me)
	return mux
}

func (s *elyssaServer) unauthorized(w http.ResponseWriter, message string) {
	body := map[string]string{"message": message}
	if s.bug == elyssaStackTrace {
		body["stack"] = "JsonWebTokenError: " + message + "\n    at Object.verify (/app/node_modules/jsonwebtoken/verify.js:70:17)" +
			"\n    at authenticate (/app/src/middleware/auth.js:14:9)"
	}
	indepWriteJSON(w, http.StatusUnauthorized, body)
}

func (s *elyssaServer) login(w http.ResponseWriter, r *http.Request) {
	var in struct {
		CompanyID string `json:"companyId"`
	}
	if err := indepReadJSON(r, &in); err != nil || in.CompanyID == "" {
		indepWriteJSON(w, http.StatusBadRequest, map[string]string{"message": "companyId is required"})
		return
	}
	if _, ok := elyssaCompanies[in.CompanyID]; !ok && s.bug != elyssaAnyCompanyLogsIn {
		s.unauthorized(w, "Unknown company")
		return
	}
	access, refresh := s.issue(in.CompanyID), ""
	switch s.bug {
	case elyssaSameToken:
		refresh = access
	case elyssaShortRefresh:
		refresh = s.tokens.sign(jwt.MapClaims{"sub": in.CompanyID, "typ": "refresh"}, 30*24*time.Hour)
	default:
		refresh = s.tokens.sign(jwt.MapClaims{"sub": in.CompanyID, "typ": "refresh"}, elyssaRefreshLifetime)
	}
	w.Header().Set("Cache-Control", "no-store")
	indepWriteJSON(w, http.StatusOK, map[string]string{"accessToken": access, "refreshToken": refresh})
}

func (s *elyssaServer) issue(company string) string {
	lifetime := elyssaAccessLifetime
	if s.bug == elyssaOneHourAccess {
		lifetime = time.Hour
	}
	return s.tokens.sign(jwt.MapClaims{"sub": company, "typ": "access"}, lifetime)
}

func (s *elyssaServer) refresh(w http.ResponseWriter, r *http.Request) {
	if s.bug == elyssaRefreshNeedsBearer && r.Header.Get("Authorization") == "" {
		s.unauthorized(w, "No token provided")
		return
	}
	var in struct {
		Refresh string `json:"refresh"`
	}
	if err := indepReadJSON(r, &in); err != nil || in.Refresh == "" {
		indepWriteJSON(w, http.StatusBadRequest, map[string]string{"message": "refresh is required"})
		return
	}
	c, ok := s.tokens.verify(in.Refresh)
	lax := s.bug == elyssaRefreshTakesAccess || s.bug == elyssaSameToken
	if !ok || claim(c, "typ") != "refresh" && !lax {
		s.unauthorized(w, "Invalid refresh token")
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	indepWriteJSON(w, http.StatusOK, map[string]string{"accessToken": s.issue(claim(c, "sub"))})
}

func (s *elyssaServer) me(w http.ResponseWriter, r *http.Request) {
	scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	tok = strings.TrimSpace(tok) // the document's own example ends the token with a space
	if !strings.EqualFold(scheme, "Bearer") || tok == "" {
		s.unauthorized(w, "No token provided")
		return
	}
	if s.bug == elyssaGarbage500 && strings.Count(tok, ".") != 2 {
		indepWriteJSON(w, http.StatusInternalServerError, map[string]string{"message": "Cannot read properties of undefined (reading 'split')"})
		return
	}
	c, ok := s.tokens.verify(tok)
	if !ok || claim(c, "typ") != "access" && s.bug != elyssaProbeTakesRefresh {
		s.unauthorized(w, "Invalid token")
		return
	}
	company, header := claim(c, "sub"), r.Header.Get("x-company-id")
	switch {
	case header == "" && s.bug == elyssaNoCompanyHeaderOK, s.bug == elyssaAnyCompanyHeaderOK:
	case header != company:
		s.unauthorized(w, "x-company-id does not match the token")
		return
	}
	indepWriteJSON(w, http.StatusOK, map[string]string{"companyId": company, "name": elyssaCompanies[company]})
}

var elyssaCorrect = indepServer{
	name:     "elyssa/documented",
	spec:     "elyssa",
	accounts: elyssaAccounts,
	handler:  func() http.Handler { return newElyssaServer("") },
}

func elyssaIndepServers() []indepServer { return []indepServer{elyssaCorrect} }

func elyssaIndepBugs() []indepBug {
	bug := func(b elyssaBug, gap string) indepBug {
		return indepBug{name: elyssaCorrect.name + "/" + string(b), server: elyssaCorrect, gap: gap,
			broken: func() http.Handler { return newElyssaServer(b) }}
	}
	return []indepBug{
		bug(elyssaNoCompanyHeaderOK, ""),
		bug(elyssaAnyCompanyHeaderOK, ""),
		bug(elyssaOneHourAccess, ""),
		bug(elyssaShortRefresh, ""),
		bug(elyssaSameToken, ""),
		bug(elyssaRefreshTakesAccess, ""),
		bug(elyssaNoSignatureCheck, ""),
		bug(elyssaGarbage500, ""),
		bug(elyssaAnyCompanyLogsIn, ""),
		bug(elyssaStackTrace, ""),
		bug(elyssaExpiredAccepted, "without clock control (only the mock offers it) no check holds an expired token"),
		bug(elyssaNoSlashOnly, ""),
		bug(elyssaRefreshNeedsBearer, ""),
		bug(elyssaProbeTakesRefresh, ""),
	}
}
