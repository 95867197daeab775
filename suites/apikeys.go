package suites

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/authconform/authconform/specs"
)

// apiKey is a key the run created.
type apiKey struct {
	name, token, id string
}

func (r *run) keyOp(k specs.FlowKind) *specs.Operation {
	ops := r.spec.OperationsOf(k)
	if len(ops) == 0 {
		skipf("the spec documents no %s flow", k)
	}
	return ops[0]
}

// createKey creates an API key for the session's account through op and arranges its deletion
// when the check ends: the run never leaves behind what it created.
func (r *run) createKey(ctx context.Context, op *specs.Operation, s *session, rule string) (apiKey, *response) {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	k := apiKey{name: "authconform-" + hex.EncodeToString(b)}
	rq := &request{op: op}
	hs, q, why := r.authFor(op, *s.bearer())
	if why != "" {
		skipf("%s cannot be called with an access token: %s", op.Key(), why)
	}
	rq.headers, rq.query = hs, q
	if loc := op.Flow.KeyName; loc != nil && loc.In == specs.InBody {
		body := map[string]any{}
		specs.SetPointer(body, loc.Pointer, k.name)
		rq.body, _ = json.Marshal(body)
	}
	resp := r.send(ctx, rq)
	body := resp.json()
	if p, ok := op.Flow.Body.PointerOf("key.token"); ok {
		if v, ok := specs.GetPointer(body, p); ok {
			k.token, _ = v.(string)
		}
	}
	if p, ok := op.Flow.Body.PointerOf("key.id"); ok {
		if v, ok := specs.GetPointer(body, p); ok {
			k.id = fmt.Sprint(v)
		}
	}
	r.red.add(k.token)
	r.expectAccepted(resp, rule)
	if del := r.spec.OperationsOf(specs.KindAPIKeyDelete); len(del) > 0 && k.token != "" {
		DeferCleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, _ = r.c.do(ctx, r.deleteKeyRequest(del[0], s, k))
		})
	}
	if k.token == "" {
		failf("no key in the create response where the spec puts it: got %s\nrule: %s\nresponse: %s", r.c.summary(resp), rule, r.c.describe(resp))
	}
	return k, resp
}

func (r *run) deleteKeyRequest(op *specs.Operation, s *session, k apiKey) *request {
	rq := &request{op: op}
	rq.headers, rq.query, _ = r.authFor(op, *s.bearer())
	if loc := op.Flow.KeyValue; loc != nil {
		switch loc.In {
		case specs.InBody:
			body := map[string]any{}
			specs.SetPointer(body, loc.Pointer, k.token)
			rq.body, _ = json.Marshal(body)
		case specs.InHeader:
			rq.headers = append(rq.headers, header{loc.Name, k.token})
		case specs.InQuery:
			if rq.query == nil {
				rq.query = map[string][]string{}
			}
			rq.query.Set(loc.Name, k.token)
		}
	}
	return rq
}

// listed reports whether the account's key list shows k (by name, token or id).
func (r *run) listed(ctx context.Context, s *session, k apiKey) (bool, *response) {
	op := r.keyOp(specs.KindAPIKeyList)
	resp := r.authedCall(ctx, op, s)
	r.expectAccepted(resp, "listing API keys")
	var items []any
	switch v := resp.json().(type) {
	case []any:
		items = v
	case map[string]any:
		for _, x := range v {
			if a, ok := x.([]any); ok {
				items = append(items, a...)
			}
		}
	}
	for _, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			continue
		}
		for _, x := range m {
			if sv := fmt.Sprint(x); sv == k.name || sv == k.token || (k.id != "" && sv == k.id) {
				return true, resp
			}
		}
	}
	return false, resp
}

// keyScheme is the scheme of op that carries API keys, if any.
func keyScheme(op *specs.Operation) *specs.Scheme {
	for _, alt := range op.Security {
		for _, sc := range alt {
			if sc.AcceptsKind(specs.CredAPIKey) {
				return sc
			}
		}
	}
	return nil
}

// apiKeyCred is the key as a credential of the account.
func apiKeyCred(k apiKey, s *session) *cred {
	return &cred{kind: specs.CredAPIKey, value: k.token, acct: s.acct}
}

// apiKeyChecks are the checks of the API-key flows, grouped under the create operation.
func apiKeyChecks(g *group) {
	r := g.r

	g.it("KEY-01", func(ctx SpecContext) {
		s := r.mustLogin(ctx, roleValid)
		_, resp := r.createKey(ctx, g.op, s, req("KEY-01").Rule)
		expectConforms(ctx, r, resp, req("KEY-01").Rule)
	})

	g.it("KEY-06", func(ctx SpecContext) {
		rule := req("KEY-06").Rule
		r.keyOp(specs.KindAPIKeyList)
		s := r.mustLogin(ctx, roleValid)
		k, _ := r.createKey(ctx, g.op, s, rule+" (creating the key)")
		ok, resp := r.listed(ctx, s, k)
		if !ok {
			failf("the key just created (name %s) is not in its owner's list: got %s\nrule: %s\nresponse: %s", k.name, r.c.summary(resp), rule, r.c.describe(resp))
		}
	})

	g.it("KEY-04", func(ctx SpecContext) {
		rule := req("KEY-04").Rule
		r.keyOp(specs.KindAPIKeyList)
		r.account(roleOther)
		s := r.mustLogin(ctx, roleValid)
		o := r.mustLogin(ctx, roleOther)
		k, _ := r.createKey(ctx, g.op, s, rule+" (creating the key)")
		if ok, resp := r.listed(ctx, o, k); ok {
			failf("the key created by the valid account (name %s) is listed to the other account: got %s\nrule: %s\nresponse: %s", k.name, r.c.summary(resp), rule, r.c.describe(resp))
		}
	})

	g.it("KEY-07", func(ctx SpecContext) {
		rule := req("KEY-07").Rule
		p := r.needProbe()
		s := r.mustLogin(ctx, roleValid)
		k, _ := r.createKey(ctx, g.op, s, rule+" (creating the key)")
		cr := apiKeyCred(k, s)
		if _, _, why := r.authFor(p, *cr); why != "" {
			skipf("%s accepts no API key: %s", p.Key(), why)
		}
		resp := r.mustCall(ctx, p, cr, nil)
		if sc := keyScheme(p); sc != nil {
			ptr, refusedValue := formPointer(credentialForm{scheme: sc, kind: specs.CredAPIKey})
			r.expectAcceptedUnless(resp, ptr, refusedValue, rule+" (on "+p.Key()+")")
			return
		}
		r.expectAccepted(resp, rule+" (on "+p.Key()+")")
	})

	g.it("KEY-03", func(ctx SpecContext) {
		rule := req("KEY-03").Rule
		del := r.keyOp(specs.KindAPIKeyDelete)
		s := r.mustLogin(ctx, roleValid)
		k, _ := r.createKey(ctx, g.op, s, rule+" (creating the key)")
		// Refused after deletion is judged only where the key worked before: under a reading
		// where keys work nowhere on the spec's operations, there is nothing to lose.
		worked := false
		if p := r.probeOp(); p != nil {
			if _, _, why := r.authFor(p, *apiKeyCred(k, s)); why == "" {
				worked = r.mustCall(ctx, p, apiKeyCred(k, s), nil).status == p.Flow.Status
			}
		}
		resp := r.send(ctx, r.deleteKeyRequest(del, s, k))
		expectConforms(ctx, r, resp, rule+" (the delete itself)")
		if len(r.spec.OperationsOf(specs.KindAPIKeyList)) > 0 {
			if ok, resp := r.listed(ctx, s, k); ok {
				failf("the deleted key (name %s) is still listed: got %s\nrule: %s\nresponse: %s", k.name, r.c.summary(resp), rule, r.c.describe(resp))
			}
		}
		if p := r.probeOp(); p != nil && worked {
			r.expectRefused(ctx, r.mustCall(ctx, p, apiKeyCred(k, s), nil), specs.FailInvalidCredential, rule+" (the deleted key, on "+p.Key()+")")
		}
	})

	g.it("KEY-08", func(ctx SpecContext) {
		rule := req("KEY-08").Rule
		del := r.keyOp(specs.KindAPIKeyDelete)
		r.keyOp(specs.KindAPIKeyList)
		r.account(roleOther)
		s := r.mustLogin(ctx, roleValid)
		o := r.mustLogin(ctx, roleOther)
		k, _ := r.createKey(ctx, g.op, s, rule+" (creating the key)")
		resp := r.send(ctx, r.deleteKeyRequest(del, o, k))
		if !refused(del, resp.status) {
			failf("expected a refusal (a 4xx) when another account deletes the key: got %s\nrule: %s\nresponse: %s", r.c.summary(resp), rule, r.c.describe(resp))
		}
		if ok, lr := r.listed(ctx, s, k); !ok {
			failf("the key is gone from its owner's list after another account tried to delete it: got %s\nrule: %s\nresponse: %s", r.c.summary(lr), rule, r.c.describe(lr))
		}
	})

	g.it("KEY-09", func(ctx SpecContext) {
		del := r.keyOp(specs.KindAPIKeyDelete)
		if _, ok := del.Flow.Failure(specs.FailNotFound); !ok {
			skipf("%s names no status for a key that is not the caller's (notFound)", del.Key())
		}
		r.account(roleOther)
		s := r.mustLogin(ctx, roleValid)
		o := r.mustLogin(ctx, roleOther)
		k, _ := r.createKey(ctx, g.op, s, req("KEY-09").Rule+" (creating the key)")
		r.expectRefused(ctx, r.send(ctx, r.deleteKeyRequest(del, o, k)), specs.FailNotFound, req("KEY-09").Rule)
	})
}
