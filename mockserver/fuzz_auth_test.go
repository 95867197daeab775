package mockserver

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/authconform/authconform/specs"
)

// FuzzVerifyToken feeds arbitrary strings to the token verifier of every bundled spec, as access
// and as refresh token: it never panics, and it accepts nothing but a token the mock issued (a
// mutation may only pass when it decodes to the very claims of an issued token: base64's unused
// trailing bits are not part of the signature).
func FuzzVerifyToken(f *testing.F) {
	h := newHarness(f)
	issued := map[string]bool{} // jti of every token issued for the seeds
	add := func(tok string) {
		if tok == "" {
			return
		}
		f.Add(tok)
		for _, m := range h.s.mounts {
			for _, use := range []specs.TokenKind{specs.TokenAccess, specs.TokenRefresh} {
				if c, err := m.iss.Verify(tok, use); err == nil {
					issued[c.ID] = true
				}
			}
		}
	}
	a, r := h.efaliaTokens("alice", "alice-password")
	add(a)
	add(r)
	add(h.pixfileToken("user", "pass"))
	a, r = h.elyssaTokens(company1)
	add(a)
	add(r)
	add(h.precrimeToken("john.doe", "SecurePass123!"))
	for _, s := range []string{"", ".", "..", "a.b.c", "eyJhbGciOiJub25lIn0.e30.", "eyJhbGciOiJIUzI1NiJ9.e30.x", strings.Repeat("e", 300) + ".." + strings.Repeat("A", 50)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		for _, m := range h.s.mounts {
			for _, use := range []specs.TokenKind{specs.TokenAccess, specs.TokenRefresh} {
				c, err := m.iss.Verify(tok, use)
				if err != nil {
					_ = tokenProblem(err, use) // the message for the client must not panic either
					continue
				}
				if c == nil || !issued[c.ID] {
					t.Fatalf("%s accepted a %s token it never issued: %q", m.spec.Name, use, tok)
				}
			}
		}
	})
}

// FuzzFlowBodies sends arbitrary bodies, with a valid credential, to every operation that reads
// a body (login, refresh, API-key create and delete), so the fuzzer reaches each flow handler's
// parsing past authentication, which FuzzServe cannot: never a panic, always a documented status,
// and the API keys of the account survive anything but a delete of one of them.
func FuzzFlowBodies(f *testing.F) {
	seeds := []string{
		`{"username":"alice","password":"alice-password"}`, `{"refreshToken":"a.b.c"}`, `{"companyId":"` + company1 + `"}`,
		`{"refresh":12}`, `{"name":"k"}`, `{"name":{"a":[1]}}`, `{"text":"ak_x"}`, `{"text":null}`, `[]`, `null`, `{"username":"\u0000"}`,
		"{\"name\":\"\xff\"}", strings.Repeat("[", 5000),
	}
	for _, s := range seeds {
		f.Add(s, "application/json")
	}
	f.Add(`username=alice`, "application/x-www-form-urlencoded")
	f.Add(`{}`, "application/json; charset=latin1")
	h := newHarness(f)
	tok := h.precrimeToken("john.doe", "SecurePass123!")
	key := h.precrimeKey(tok, "kept")
	acc, _ := h.efaliaTokens("alice", "alice-password")
	var ops []*operation
	for _, m := range h.s.mounts {
		for _, op := range m.ops {
			if op.op.Op.RequestBody != nil {
				ops = append(ops, op)
			}
		}
	}
	f.Fuzz(func(t *testing.T, body, ctype string) {
		for _, op := range ops {
			r := httptest.NewRequest(op.op.Method, op.m.base+op.op.Path, strings.NewReader(body))
			r.Header.Set("Content-Type", ctype)
			switch op.m.spec.Name {
			case "precrime":
				r.Header.Set("Authorization", "Bearer "+tok)
			case "efalia":
				r.Header.Set("Authorization", "Bearer "+acc)
			}
			rec := httptest.NewRecorder()
			h.s.ServeHTTP(rec, r)
			if rec.Code != http.StatusRequestEntityTooLarge && !op.op.Documents(rec.Code) {
				t.Fatalf("%s: undocumented status %d (%s) for body %q", op.op.Key(), rec.Code, rec.Header().Get(MessageHeader), body)
			}
			if strings.Contains(rec.Header().Get(MessageHeader), "internal error") {
				t.Fatalf("%s: internal error for body %q", op.op.Key(), body)
			}
		}
		if !strings.Contains(body, key[len(keyPrefix):]) {
			rec := h.serve(h.req("GET", "/authheader/list", "", "Authorization", key))
			if rec.Code != 200 {
				t.Fatalf("the kept API key stopped working (%d) after body %q", rec.Code, body)
			}
		}
	})
}
