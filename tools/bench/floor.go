package main

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authconform/authconform/specs"
)

// The floor server: what any server of these flows must spend, and nothing more. It is net/http,
// encoding/json and golang-jwt doing exactly the signing and verifying each flow must do (issue
// 15): decode the JSON body, verify the presented JWT (a refresh token in the body, an access token
// in the operation's credential header), sign the tokens the flow issues, and encode the answer
// with the tokens placed where the spec writes them. It keeps no state, checks no revocation,
// validates nothing against the spec, logs nothing and has no dev tools. It answers the same
// routes as the bare server, with the mock's captured answers as templates, and runs in its own
// process like the other two.
//
// The setup logins go to the mock (both other servers get byte-identical requests), so the floor
// verifies the mock's tokens: the bench's --config pins every spec's signing key (benchSigningKey),
// and the floor signs and verifies with the same key, algorithm and issuer as the mock.

// benchSigningKey is the signing key the bench's --config pins for a spec, so the floor can verify
// the mock's tokens.
func benchSigningKey(spec string) string {
	return "bench-signing-key-of-" + spec + "-at-least-64-bytes-long-for-hs512-0123456789"
}

// floorClaims are the claims the mock writes (mockserver/tokens), so the floor encodes as much.
type floorClaims struct {
	jwt.RegisteredClaims
	Use string `json:"use"`
	SID string `json:"sid"`
	Gen uint64 `json:"gen"`
}

// floorRoute is one captured route as the floor serves it, everything prepared at start.
type floorRoute struct {
	answer   canned
	template any // the captured body, decoded; tokens are placed into a copy
	spec     *specs.Spec
	op       *specs.Operation
	key      []byte
	method   jwt.SigningMethod
	parser   *jwt.Parser
	access   time.Duration
	refresh  time.Duration
	// credential is the request header carrying the access token of a protected operation, and
	// whether its value starts with "Bearer ".
	credential string
	bearer     bool
}

// serveFloor serves the captured routes as the floor server.
func serveFloor(addr, cannedFile string) error {
	raw, err := os.ReadFile(cannedFile)
	if err != nil {
		return err
	}
	var answers map[string]canned
	if err := json.Unmarshal(raw, &answers); err != nil {
		return err
	}
	list, err := specs.LoadAll()
	if err != nil {
		return err
	}
	routes := map[string]*floorRoute{}
	for key, a := range answers {
		rt, err := newFloorRoute(list, key, a)
		if err != nil {
			return err
		}
		routes[key] = rt
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt, ok := routes[r.Method+" "+r.URL.Path]
		if !ok {
			_, _ = io.Copy(io.Discard, r.Body)
			if r.URL.Path == "/__ready" {
				return
			}
			http.NotFound(w, r)
			return
		}
		rt.serve(w, r)
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	return srv.Serve(ln)
}

func newFloorRoute(list []*specs.Spec, key string, a canned) (*floorRoute, error) {
	method, path, _ := strings.Cut(key, " ")
	for _, sp := range list {
		for _, op := range sp.Operations {
			if op.Method != method || sp.BasePath+op.Path != path {
				continue
			}
			m := jwt.GetSigningMethod(sp.Tokens.Algorithm)
			if m == nil {
				return nil, fmt.Errorf("floor: %s: unknown algorithm %s", sp.Name, sp.Tokens.Algorithm)
			}
			rt := &floorRoute{answer: a, spec: sp, op: op, key: []byte(benchSigningKey(sp.Name)), method: m,
				parser: jwt.NewParser(jwt.WithValidMethods([]string{m.Alg()}), jwt.WithIssuer(sp.Tokens.Issuer),
					jwt.WithExpirationRequired(), jwt.WithIssuedAt()),
				access: sp.Tokens.Access.Lifetime.D()}
			if sp.Tokens.Refresh != nil {
				rt.refresh = sp.Tokens.Refresh.Lifetime.D()
			}
			if len(a.Body) > 0 {
				if err := json.Unmarshal(a.Body, &rt.template); err != nil {
					return nil, fmt.Errorf("floor: %s: the captured body is not JSON: %w", key, err)
				}
			}
		schemes:
			for _, alt := range op.Security {
				for _, sc := range alt {
					if sc.AcceptsKind(specs.CredAccessToken) && sc.In == specs.InHeader {
						rt.credential, rt.bearer = sc.Header, sc.IsBearer()
						break schemes
					}
				}
			}
			return rt, nil
		}
	}
	return nil, fmt.Errorf("floor: no operation of the bundled specs serves %s", key)
}

var errFloorRefused = errors.New("refused")

func (rt *floorRoute) serve(w http.ResponseWriter, r *http.Request) {
	var body map[string]any
	if r.Body != nil {
		raw, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "reading the body", http.StatusBadRequest)
			return
		}
		if len(raw) > 0 {
			if err := json.Unmarshal(raw, &body); err != nil {
				http.Error(w, "not JSON", http.StatusBadRequest)
				return
			}
		}
	}
	f := &rt.op.Flow
	var refresh *floorClaims
	var presented string
	if f.Kind == specs.KindRefresh {
		tok, _ := specs.GetPointer(body, f.RefreshToken.Pointer)
		presented, _ = tok.(string)
		c, err := rt.verify(presented, specs.TokenRefresh)
		if err != nil {
			http.Error(w, "refresh token refused", http.StatusUnauthorized)
			return
		}
		refresh = c
	}
	if rt.credential != "" {
		v := r.Header.Get(rt.credential)
		if rt.bearer {
			v = strings.TrimPrefix(v, "Bearer ")
		}
		if _, err := rt.verify(v, specs.TokenAccess); err != nil {
			http.Error(w, "access token refused", http.StatusUnauthorized)
			return
		}
	}
	if f.Kind == specs.KindLogin && !rt.passwordOK(body) {
		http.Error(w, "wrong password", http.StatusUnauthorized)
		return
	}
	out := rt.template
	h := w.Header()
	for k, v := range rt.answer.Header {
		h.Set(k, v)
	}
	if f.Kind == specs.KindLogin || f.Kind == specs.KindRefresh {
		obj, _ := rt.template.(map[string]any)
		obj = maps.Clone(obj)
		if obj == nil {
			obj = map[string]any{}
		}
		sub, sid := "floor-account", rand.Text()
		if refresh != nil {
			sub, sid = refresh.Subject, refresh.SID
		}
		var signed [2]string
		for _, t := range f.Tokens {
			i := 0
			if t.Token == specs.TokenRefresh {
				i = 1
			}
			if signed[i] == "" {
				if i == 1 && refresh != nil && !f.Rotate {
					signed[i] = presented
				} else {
					tok, err := rt.sign(t.Token, sub, sid)
					if err != nil {
						http.Error(w, "signing", http.StatusInternalServerError)
						return
					}
					signed[i] = tok
				}
			}
			if t.In == specs.InHeader {
				h.Set(t.Name, signed[i])
			} else {
				specs.SetPointer(obj, t.Pointer, signed[i])
			}
		}
		out = obj
	}
	if out == nil {
		w.WriteHeader(rt.answer.Status)
		return
	}
	b, err := json.Marshal(out)
	if err != nil {
		http.Error(w, "encoding", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(rt.answer.Status)
	_, _ = w.Write(b)
}

// passwordOK checks a login's password against the spec's demo account of that username: the one
// comparison a login cannot skip.
func (rt *floorRoute) passwordOK(body map[string]any) bool {
	var user, pass string
	for _, c := range rt.op.Flow.Credentials {
		v, _ := specs.GetPointer(body, c.Pointer)
		s, _ := v.(string)
		switch c.Field {
		case specs.FieldUsername:
			user = s
		case specs.FieldPassword:
			pass = s
		}
	}
	if pass == "" {
		return true // a login without a password (a company id alone)
	}
	for _, a := range rt.spec.Accounts {
		if a.Value(specs.FieldUsername) == user {
			return a.Value(specs.FieldPassword) == pass
		}
	}
	return false
}

func (rt *floorRoute) sign(use specs.TokenKind, sub, sid string) (string, error) {
	now := time.Now().Truncate(time.Second)
	life := rt.access
	if use == specs.TokenRefresh {
		life = rt.refresh
	}
	c := floorClaims{
		RegisteredClaims: jwt.RegisteredClaims{Issuer: rt.spec.Tokens.Issuer, Subject: sub, ExpiresAt: jwt.NewNumericDate(now.Add(life)),
			NotBefore: jwt.NewNumericDate(now), IssuedAt: jwt.NewNumericDate(now), ID: rand.Text()},
		Use: string(use), SID: sid,
	}
	return jwt.NewWithClaims(rt.method, c).SignedString(rt.key)
}

func (rt *floorRoute) verify(token string, use specs.TokenKind) (*floorClaims, error) {
	var c floorClaims
	if _, err := rt.parser.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return rt.key, nil }); err != nil {
		return nil, err
	}
	if c.Use != string(use) {
		return nil, errFloorRefused
	}
	return &c, nil
}
