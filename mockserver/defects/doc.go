// Package defects is the mutation testing of the suites (docs/mutation.md): deliberate defects,
// realistic bugs a vendor might ship that the suites must catch, and benign variants, choices the
// specs leave open that the suites must accept. Each is defined over flow kinds and spec features,
// never over a vendor, and applies to every served spec that has its feature.
//
// A Set of chosen defects and variants attaches to the mock from outside, as a
// mockserver.Extension: nothing in package mockserver knows a defect. Each catalog entry installs
// itself through the extension points of mockserver.Hooks, and only through them:
//
//   - operation overrides (mockserver.Operation): a flow's statuses, token places or rotation, an
//     operation's security, the accounts its flow sees;
//   - decorators around the spec's token issuer (tokens.go: claims left out, lifetimes changed,
//     checks switched off, opaque tokens) and around the store (store.go: revocations that
//     revoke nothing, keys that outlive their deletion, ...);
//   - handler middleware (http.go): request edits before the mock sees a request, or answers of
//     its own, and response edits after, on the buffered answer.
//
// One defect lives below HTTP: matching header names case-sensitively needs the header's bytes as
// sent, which net/http does not keep. Set.Listener renames the chosen names on the wire; whoever
// serves a Set that has such a defect wraps the listener once, and a request that did not come
// through a wrapped listener is answered 500 with the reason, so forgetting it cannot pass
// silently.
//
// Adding a breakage. Every check must be shown failing here: `make mutation` fails when a check
// has no defect that makes it fail. A new catalog entry is a Mutation in catalog.go (defects) or variants.go
// (variants): a name, the flow it touches, a one-line summary, what it needs in words, the check
// IDs expected to catch it, a predicate over the spec (applies) and install, which receives the
// chosen spec's install context (mount) and uses one of its helpers. A middleware-style breakage,
// like those the runner's tests build by hand, is an onRequest (change the request, or answer it
// yourself: return true) or an onResponse (edit status, headers or body of the mock's answer),
// optionally limited to flow kinds:
//
//	{
//		Name: "login-answers-teapot", Flow: "login", Catches: []string{"LOG-01"},
//		Summary: "a successful login answers 418", Needs: "a login",
//		applies: specHas(kindIs(specs.KindLogin)),
//		install: func(m *mount) {
//			m.onResponse(func(_ *mockserver.Operation, _ *http.Request, res *bufferedResponse) {
//				if res.status == http.StatusOK {
//					res.status = http.StatusTeapot
//				}
//			}, specs.KindLogin)
//		},
//	},
//
// `make mutation` (tools/mutation) then proves the suites catch it on every bundled spec it
// applies to, and `make docs` adds it to docs/mutation.md.
package defects
