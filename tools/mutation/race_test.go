//go:build race

package main

// raceEnabled: under the race detector the matrix runs one spec (TestKillMatrix); the full
// matrix is `make mutation`, in CI too.
const raceEnabled = true
