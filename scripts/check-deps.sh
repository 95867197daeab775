#!/usr/bin/env bash
# Proves the dependency rules of docs/architecture.md; `make lint` runs it and CI fails on any finding.
set -euo pipefail
cd "$(dirname "$0")/.."
mod=$(go list -m)
fail=0
say() { echo "check-deps: $*" >&2; fail=1; }

# specs imports no other package of ours.
if go list -deps ./specs/ | grep -v "^$mod/specs\$" | grep -q "^$mod/"; then
  say "specs imports another package of ours: $(go list -deps ./specs/ | grep "^$mod/" | grep -v "^$mod/specs\$" | tr '\n' ' ')"
fi
# The suites judge from the spec alone; the mock never imports the suites.
for pair in "suites mockserver" "mockserver suites" "mockserver runner" "reports mockserver" "reports suites"; do
  set -- $pair
  if [ -d "$1" ] && go list -deps "./$1/..." 2>/dev/null | grep -q "^$mod/$2\(/\|\$\)"; then
    say "$1 imports $2 (directly or indirectly)"
  fi
done
# Inside the mock: the subpackages it calls (accounts, clock, config, example, store, tokens) never import the core, and the
# core never imports what wraps it from outside (defects, devtools).
for sub in accounts clock config example store tokens; do
  if [ -d "mockserver/$sub" ] && go list -deps "./mockserver/$sub/..." 2>/dev/null | grep -q "^$mod/mockserver\$"; then
    say "mockserver/$sub imports the mock's core"
  fi
done
for outer in defects devtools; do
  if go list -deps ./mockserver/ 2>/dev/null | grep -q "^$mod/mockserver/$outer\(/\|\$\)"; then
    say "the mock's core imports mockserver/$outer, which must wrap it from outside"
  fi
done
# The root module's one command is authconform: `go install ./...` builds nothing else. The
# project's tools (bench, mutation) are commands of the tools module (tools/go.mod).
mains=$(go list -f '{{if eq .Name "main"}}{{.ImportPath}}{{end}}' ./... | grep -v "^$mod\$" || true)
[ -z "$mains" ] || say "commands besides authconform in the root module (go install ./... would build them; put tools in tools/): $mains"
# Vendor knowledge lives in specs/*.yaml, never in generic Go code.
hits=$(git grep -il -E 'efalia|pixfile|elyssa|precrime|workey' -- 'mockserver/*.go' 'suites/*.go' 'runner/*.go' 'reports/*.go' ':!*_test.go' 2>/dev/null || true)
[ -z "$hits" ] || say "vendor names in generic Go code: $hits"
# A focused Ginkgo spec makes RunSpecs exit the process early.
focused=$(git grep -n -E '\b(FIt|FDescribe|FContext|FWhen|FEntry|FDescribeTable)\(' -- '*.go' 2>/dev/null || true)
[ -z "$focused" ] || say "focused Ginkgo specs: $focused"
[ $fail -eq 0 ] && echo "check-deps: ok"
exit $fail
