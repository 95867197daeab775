package mockserver

import (
	"bytes"
	"encoding/base64"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/authconform/authconform/specs"
)

// TestNoSecretInMockOutputs covers the mock's output channels for every bundled spec: its log (at
// debug level, JSON) and what it answers to a refused request (status line, headers, body). Every
// flow runs, and bad requests carry secrets in the wrong places: a password of the wrong type, in
// unparsable JSON, under the wrong content type, in a Basic header, in the query; a token with junk
// appended, a token of the wrong kind, a revoked token. No password, token or key may come back in
// an error answer, and none may reach the log. (TestLogsRedactSecrets covers the request line of
// each credential form; the journal has its own test, TestJournal.)
func TestNoSecretInMockOutputs(t *testing.T) {
	const canary = "CANARY-S3cret-9f8e7d" // a secret that matches no account: it must not echo either
	var logs bytes.Buffer
	list := []*specs.Spec{}
	for _, n := range specs.Names() {
		list = append(list, loadSpec(t, n))
	}
	s, err := New(list, WithClock(NewClockAt(t0)), WithLogger(slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, s: s}
	secrets := []string{canary, "alice-password", "efalia-demo-key", "SecurePass123!", "jane-password", "carol-password", "dave-password", "expired-password"}
	var errorAnswers []*httptest.ResponseRecorder
	send := func(method, path, body string, kv ...string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.s.ServeHTTP(rec, h.req(method, path, body, kv...))
		if rec.Code >= 400 {
			errorAnswers = append(errorAnswers, rec)
		}
		return rec
	}

	// Every flow, remembering what it issued.
	access, refresh := h.efaliaTokens("alice", "alice-password")
	next := h.json(send("POST", efalia+"/auth/refresh", `{"refreshToken":"`+refresh+`"}`))
	send("POST", efalia+"/auth/refresh", `{"refreshToken":"`+refresh+`"}`) // used up
	send("POST", efalia+"/auth/logout", "", "Authorization", "Bearer "+access)
	send("GET", efalia+"/processes", "", "Authorization", "Bearer "+access) // revoked
	send("GET", efalia+"/processes", "", "X-API-KEY", "efalia-demo-key", "X-API-KEY-IMPERSONATE", canary)
	send("GET", efalia+"/processes", "", "Authorization", basic("alice", canary))
	send("GET", efalia+"/processes", "", "Authorization", basic(canary, "alice-password"))
	send("GET", efalia+"/processes", "", "X-API-KEY", "efalia-demo-key"+canary)
	send("POST", efalia+"/auth/token", `{"username":"alice","password":["alice-password"]}`)
	send("POST", efalia+"/auth/token", `{"username":"alice","password":"alice-password`)
	send("POST", efalia+"/auth/token", `{"username":"`+canary+`","password":"alice-password"}`)
	pix := h.pixfileToken("user", "pass")
	send("GET", "/api/v1/login?username=carol&password="+url.QueryEscape(canary), "")
	send("GET", "/api/v1/login?username=carol&password=carol-password&password="+canary, "")
	send("GET", "/api/v2/customers", "", "X-Auth-Token", pix+canary)
	send("POST", "/api/v2/login", `{"username":"dave","password":"dave-password"}`) // disabled
	send("POST", "/api/v2/login", `{"username":{"carol":"carol-password"},"password":"carol-password"}`)
	send("POST", "/api/v2/login", "username=carol&password=carol-password", "Content-Type", "application/x-www-form-urlencoded")
	eAccess, eRefresh := h.elyssaTokens(company1)
	send("POST", "/auth/refresh/", `{"refresh":"`+eAccess+`"}`) // wrong kind
	send("GET", "/companies/me", "", "Authorization", "Bearer "+eRefresh, "x-company-id", company1)
	send("GET", "/companies/me", "", "Authorization", "Bearer "+eAccess, "x-company-id", canary)
	pc := h.precrimeToken("john.doe", "SecurePass123!")
	key := h.precrimeKey(pc, canary)
	send("GET", "/authheader/list", "", "Authorization", key)
	send("POST", "/authheader/delete", `{"text":"`+key+`"}`, "Authorization", "Bearer "+h.precrimeToken("jane.roe", "jane-password"))
	send("POST", "/authheader/delete", `{"text":"`+key+`"}`, "Authorization", "Bearer "+pc)
	send("GET", "/authheader/list", "", "Authorization", key) // deleted
	send("POST", "/authheader/delete", `{"text":"`+key+canary+`"}`, "Authorization", "Bearer "+pc)
	send("POST", "/user/login", `{"username":"expired.user","password":"expired-password"}`)
	send("POST", "/user/login", `{"username":"john.doe","password":"`+canary+`"}`)
	send("POST", "/user/login", `{"username":"john.doe","password":12345678}`)
	send("POST", "/user/login", `{"username":"john.doe","password":"SecurePass123!","password":{"x":"`+canary+`"}}`)

	tokens := []string{access, refresh, str(next["token"]), str(next["refreshToken"]), pix, eAccess, eRefresh, pc, key}
	for _, tok := range tokens {
		if tok == "" {
			t.Fatal("a flow issued no token; the scan would prove nothing")
		}
	}
	forms := map[string]string{}
	for _, sec := range append(secrets, tokens...) {
		forms[sec] = sec
		forms[url.QueryEscape(sec)] = sec
		forms[base64.StdEncoding.EncodeToString([]byte(sec))] = sec
		if parts := strings.Split(sec, "."); len(parts) == 3 {
			forms[parts[2]] = sec // a JWT's signature alone
		}
	}
	forms[base64.StdEncoding.EncodeToString([]byte("alice:"+canary))] = "Basic credentials"
	if len(errorAnswers) < 20 {
		t.Fatalf("only %d refusals; the cases should be refused", len(errorAnswers))
	}
	for _, rec := range errorAnswers {
		var all strings.Builder
		for k, vs := range rec.Header() {
			all.WriteString(k + ": " + strings.Join(vs, ", ") + "\n")
		}
		all.Write(rec.Body.Bytes())
		for form, sec := range forms {
			if strings.Contains(all.String(), form) {
				t.Errorf("a %d answer carries the secret %.12q...:\n%s", rec.Code, sec, all.String())
			}
		}
	}
	out := logs.String()
	for form, sec := range forms {
		if strings.Contains(out, form) {
			t.Errorf("the log carries the secret %.12q...", sec)
		}
	}
	if n := strings.Count(out, `"msg":"request"`); n < 30 {
		t.Errorf("%d request lines logged; the scan needs the log of every request", n)
	}
}
