package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// asCLI, set to 1 in the environment, makes this test binary the authconform command (TestMain):
// a test runs `authconform test` in processes of its own without building the binary.
const asCLI = "AUTHCONFORM_CLI_TEST_AS_CLI"

// stressSandbox is the --sandbox of TestParallelRunsOnOneMock's runs. With off the runs share the
// default world whose clock the ninth client moves, and the test fails: the control that shows
// what the sandboxes do (docs/sandboxes.md).
var stressSandbox = flag.String("stress-sandbox", "auto", "TestParallelRunsOnOneMock: the runs' --sandbox (off shows the test fail)")

// TestParallelRunsOnOneMock: eight `authconform test` runs at once, two per bundled spec, against
// one `authconform serve`, three rounds in a row, all pass, while a ninth client keeps moving the
// default world's clock hours on and back. Each run is a process of its own (this test binary as
// the command); the mock runs in this process, under the race detector in make test. Every run
// works in a fresh sandbox of its own, so neither the others nor the clock mover disturb it, and
// deletes it at the end.
//
// go test ./internal/cli -run TestParallelRunsOnOneMock -stress-sandbox off runs the same in the
// default world: runs fail (the tokens of one expire as another, or the mover, moves the clock).
func TestParallelRunsOnOneMock(t *testing.T) {
	if testing.Short() {
		t.Skip("eight conformance runs at once, three times: not with -short")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	root, _, serveErr, done := startServe(t, ctx)
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Error("serve did not stop")
		}
	}()
	names := []string{"efalia", "pixfile", "elyssa", "precrime"}
	targets := map[string]string{}
	for _, n := range names {
		targets[n] = writeTarget(t, n, root, "")
	}

	// The ninth client: the default world's clock five hours on, then back to real time, until
	// the runs end (bounded in count too).
	var moves atomic.Int64
	stop := make(chan struct{})
	var mover sync.WaitGroup
	mover.Go(func() {
		hc := &http.Client{Timeout: 10 * time.Second}
		for i := 0; i < 20000; i++ {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
			path, body := "/__authconform/clock", `{"advance":"5h"}`
			if i%2 == 1 {
				path, body = "/__authconform/clock/reset", ""
			}
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, root+path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			resp, err := hc.Do(req)
			if err != nil {
				if ctx.Err() == nil {
					t.Errorf("moving the default clock: %v", err)
				}
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("moving the default clock: %d", resp.StatusCode)
				return
			}
			moves.Add(1)
		}
	})
	defer func() { close(stop); mover.Wait() }()

	verdict := regexp.MustCompile(`(?m)^Verdict: .*$`)
	failed := regexp.MustCompile(`(?m)^\s*FAILED .*$`)
	for round := 1; round <= 3; round++ {
		before := moves.Load()
		type result struct {
			spec string
			err  error
			out  []byte
		}
		results := make(chan result, 2*len(names))
		for i := range 2 * len(names) {
			spec := names[i%len(names)]
			go func() {
				cmd := exec.CommandContext(ctx, self, "test", "--target", targets[spec], "--sandbox", *stressSandbox)
				cmd.Env = append(os.Environ(), asCLI+"=1")
				out, err := cmd.CombinedOutput()
				results <- result{spec, err, out}
			}()
		}
		for range 2 * len(names) {
			r := <-results
			if r.err != nil {
				t.Errorf("round %d, %s: %v: %s\n%s", round, r.spec, r.err, verdict.Find(r.out), strings.Join(failed.FindAllString(string(r.out), 10), "\n"))
				continue
			}
			if *stressSandbox == "auto" && !bytes.Contains(r.out, []byte("in a fresh sandbox of the mock")) {
				t.Errorf("round %d, %s: the run did not say it used a sandbox:\n%s", round, r.spec, r.out)
			}
		}
		if moved := moves.Load() - before; moved < 4 {
			t.Errorf("round %d: the default clock moved %d times during the runs; the test shows nothing", round, moved)
		}
		t.Logf("round %d: 8 runs, the default clock moved %d times meanwhile", round, moves.Load()-before)
	}
	if t.Failed() {
		t.Logf("the mock's log ends:\n%s", tail(serveErr.String(), 2000))
	}

	resp, err := http.Get(root + "/__authconform/sandboxes")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list struct{ Sandboxes []struct{ ID string } }
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil || len(list.Sandboxes) != 0 {
		t.Errorf("sandboxes left after the runs: %v %v", list.Sandboxes, err)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return fmt.Sprintf("...%s", s[len(s)-n:])
	}
	return s
}
