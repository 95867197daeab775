#!/usr/bin/env bash
# Runs every Go fuzz target of the module for FUZZTIME each (a duration, or Nx for a count).
#
# Go 1.26's fuzz coordinator can fail a target at the end of a duration-based -fuzztime with a
# bare "context deadline exceeded" and no failing input (golang/go#75804, fixed in Go 1.27): a
# worker still busy when the deadline fires, which a loaded machine makes likely. A target that
# fails that way, without writing a failing input under testdata/fuzz, is run once more; a second
# failure, or any failure that wrote an input, fails the run.
set -euo pipefail

GO=${GO:-go}
FUZZTIME=${FUZZTIME:-30s}
FUZZMINIMIZETIME=${FUZZMINIMIZETIME:-10s}

fuzz_one() { # package dir, package, target
  "$GO" test "$2" -run '^$' -fuzz "^$3\$" -fuzztime "$FUZZTIME" -fuzzminimizetime "$FUZZMINIMIZETIME" 2>&1
}

corpus_files() { # package dir, target
  if [[ -d "$1/testdata/fuzz/$2" ]]; then find "$1/testdata/fuzz/$2" -type f | sort; fi
}

for pkg in $("$GO" list ./...); do
  dir=$("$GO" list -f '{{.Dir}}' "$pkg")
  for target in $("$GO" test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
    echo "== $pkg $target"
    before=$(corpus_files "$dir" "$target")
    if out=$(fuzz_one "$dir" "$pkg" "$target"); then
      echo "$out" | tail -n 2
      continue
    fi
    echo "$out"
    after=$(corpus_files "$dir" "$target")
    if [[ "$before" == "$after" ]] && grep -q 'context deadline exceeded' <<<"$out"; then
      echo "== $pkg $target: no failing input written; the Go 1.26 fuzz deadline race (golang/go#75804): once more"
      if out=$(fuzz_one "$dir" "$pkg" "$target"); then
        echo "$out" | tail -n 2
        continue
      fi
      echo "$out"
    fi
    echo "FAIL: $pkg $target (a failing input, if any, is under $dir/testdata/fuzz/$target)" >&2
    exit 1
  done
done
