package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// The Prism phase (opt-in, -prism or make bench-prism): Stoplight's Prism mock
// (npm @stoplight/prism-cli) serves the login scenario's spec, and the login request is driven
// against it and against our mock, interleaved, with the same load generator.

// loginSpecFile is the bundled spec the login scenario uses (pixfile), relative to the repository.
const loginSpecFile = "specs/pixfile.yaml"

// defaultPrismVersion is the newest Prism whose package.json admits Node 20 (engines.node
// >=18.20.1); 5.15.10 and later ask for Node >= 24.14.
const defaultPrismVersion = "5.14.2"

// prismInstallTimeout bounds `npm install`; prismStartTimeout a Prism start.
const (
	prismInstallTimeout = 5 * time.Minute
	prismStartTimeout   = 60 * time.Second
	prismColdStarts     = 3
)

// defaultPrismDir is where Prism is installed, outside the repository: one directory per version.
func defaultPrismDir() string {
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "authconform", "prism")
	}
	return filepath.Join(os.TempDir(), "authconform-prism")
}

// prismCompatSpec rewrites what Prism cannot serve in the spec and says what it changed. Pixfile's
// 200 answers declare the media type "*/*" (the vendor's Springfox page does); Prism then treats
// the answer as text and refuses to serialise the example object ("Cannot serialise complex
// objects as text", 500), and with Accept: application/json it finds no content (406). Declaring
// those answers application/json is the only change.
func prismCompatSpec(spec []byte) ([]byte, string) {
	n := bytes.Count(spec, []byte("'*/*':"))
	if n == 0 {
		return spec, "served as is"
	}
	return bytes.ReplaceAll(spec, []byte("'*/*':"), []byte("application/json:")),
		fmt.Sprintf("%d response media types '*/*' declared application/json (Prism answers them 500: cannot serialise complex objects as text)", n)
}

// installPrism installs @stoplight/prism-cli@version under dir/version with npm unless it is
// there, and returns the path of its executable.
func installPrism(ctx context.Context, dir, version string) (string, error) {
	prefix := filepath.Join(dir, version)
	exe := filepath.Join(prefix, "node_modules", ".bin", "prism")
	if _, err := os.Stat(exe); err == nil {
		return exe, nil
	}
	if err := os.MkdirAll(prefix, 0o755); err != nil {
		return "", err
	}
	fmt.Printf("prism: installing @stoplight/prism-cli@%s with npm into %s\n", version, prefix)
	c, cancel := context.WithTimeout(ctx, prismInstallTimeout)
	defer cancel()
	cmd := exec.CommandContext(c, "npm", "install", "--prefix", prefix, "--no-audit", "--no-fund", "--loglevel=error", "@stoplight/prism-cli@"+version)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("npm install @stoplight/prism-cli@%s: %v\n%s", version, err, tail(string(out), 20))
	}
	if _, err := os.Stat(exe); err != nil {
		return "", fmt.Errorf("npm installed no %s", exe)
	}
	return exe, nil
}

// nodeWanted is the engines.node of the installed Prism, "" when unknown.
func nodeWanted(exe string) string {
	raw, err := os.ReadFile(filepath.Join(filepath.Dir(exe), "..", "@stoplight", "prism-cli", "package.json"))
	if err != nil {
		return ""
	}
	var pkg struct {
		Engines struct {
			Node string `json:"node"`
		} `json:"engines"`
	}
	if json.Unmarshal(raw, &pkg) != nil {
		return ""
	}
	return pkg.Engines.Node
}

func commandOutput(ctx context.Context, name string, args ...string) string {
	c, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(c, name, args...).Output()
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(out))
}

// loginProbe answers whether base serves the login scenario's request with a 2xx.
func loginProbe(c *http.Client, base string) bool {
	s := scenarios()[0].steps[0]
	req, err := http.NewRequest(s.method, base+s.path, bytes.NewReader(s.body(nil)))
	if err != nil {
		return false
	}
	for h, v := range s.header {
		req.Header[h] = v
	}
	resp, err := c.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode < 300
}

// prismPhase runs Prism beside the mock on the login flow. Where node or npm is missing it says
// so and returns nil: the phase is optional.
func prismPhase(ctx context.Context, o options, cfg string) error {
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			fmt.Printf("\nprism: skipped: %s not found on PATH (Prism is an npm package, @stoplight/prism-cli)\n", tool)
			return nil
		}
	}
	fmt.Printf("\nprism: node %s, npm %s\n", commandOutput(ctx, "node", "--version"), commandOutput(ctx, "npm", "--version"))
	exe, err := installPrism(ctx, o.prismDir, o.prismVersion)
	if err != nil {
		return err
	}
	fmt.Printf("prism: %s (version %s; it asks for node %s)\n", exe, commandOutput(ctx, exe, "--version"), orDash(nodeWanted(exe)))

	raw, err := os.ReadFile(loginSpecFile)
	if err != nil {
		return fmt.Errorf("%w (run the bench from the repository root)", err)
	}
	spec, change := prismCompatSpec(raw)
	specFile := filepath.Join(o.prismDir, "pixfile-for-prism.yaml")
	if err := os.WriteFile(specFile, spec, 0o644); err != nil {
		return err
	}
	fmt.Printf("prism: serving %s: %s\n", loginSpecFile, change)

	startPrism := func(logTo io.Writer) (*proc, time.Duration, error) {
		addr, err := freeAddr()
		if err != nil {
			return nil, 0, err
		}
		host, port, _ := strings.Cut(addr, ":")
		return startProbe(exe, []string{"mock", "--host", host, "--port", port, specFile}, addr, loginProbe, prismStartTimeout, logTo)
	}
	startOurs := func() (*proc, time.Duration, error) {
		addr, err := freeAddr()
		if err != nil {
			return nil, 0, err
		}
		return startProbe(o.bin, []string{"serve", "--addr", addr, "--config", cfg}, addr, loginProbe, 10*time.Second, io.Discard)
	}
	// Cold start, both probed with the login request itself.
	var prismColds, ourColds []time.Duration
	var prismLog bytes.Buffer
	for range prismStarts(o.starts) {
		p, d, err := startPrism(&prismLog)
		if err != nil {
			return fmt.Errorf("starting prism: %w; its output:\n%s", err, tail(prismLog.String(), 20))
		}
		p.stop()
		prismColds = append(prismColds, d)
		m, d, err := startOurs()
		if err != nil {
			return err
		}
		m.stop()
		ourColds = append(ourColds, d)
	}

	prism, _, err := startPrism(io.Discard)
	if err != nil {
		return fmt.Errorf("starting prism: %w", err)
	}
	defer prism.stop()
	mock, _, err := startOurs()
	if err != nil {
		return err
	}
	defer mock.stop()

	login := scenarios()[0]
	targets := []*proc{mock, prism}
	names := []string{"authconform", "prism " + o.prismVersion}
	runs := [2][]result{}
	for _, t := range targets { // warm-up, not measured
		if _, err := drive(ctx, t.base, o.conns, o.dur/4, 0, login.steps, nil); err != nil {
			return err
		}
	}
	for r := range max(o.rounds, 1) {
		order := []int{0, 1}
		if r%2 == 1 {
			order = []int{1, 0}
		}
		for _, i := range order {
			res, err := drive(ctx, targets[i].base, o.conns, o.dur, 0, login.steps, nil)
			if err != nil {
				return err
			}
			runs[i] = append(runs[i], res)
		}
	}
	colds := [2][]time.Duration{ourColds, prismColds}
	fmt.Printf("prism vs authconform, login (POST /api/v2/login, %d connections, %d rounds of %s, median round):\n", o.conns, max(o.rounds, 1), o.dur)
	tw := newTable()
	fmt.Fprintln(tw, "server\treq/s\tp50\tp99\tRSS\tcold start\terrors\t")
	for i, t := range targets {
		m := median(runs[i])
		slices.Sort(colds[i])
		fmt.Fprintf(tw, "%s\t%.0f\t%s\t%s\t%s\t%s\t%d\t\n", names[i], m.rps(), us(m.pct(0.50)), us(m.pct(0.99)), mib(t.rss()),
			colds[i][len(colds[i])/2].Round(time.Millisecond/10), m.errors)
		if m.errors > 0 {
			fmt.Printf("  %s: first error: %s\n", names[i], m.firstErr)
		}
	}
	tw.Flush()
	fmt.Printf("  cold start: process start to the first 200 to the login request, median of %d starts each\n", len(prismColds))
	fmt.Println("  Prism answers the spec's example: X-Auth-Token \"string\" and the example's truncated token in the body, no real JWT;")
	fmt.Println("  it checks the request against the schema but no credential (any password gets 200), and keeps no state.")
	fmt.Println("  Prism logs every request at its default level (info), as the mock logs each request at its default; both to /dev/null.")
	return nil
}

// prismStarts is how many cold starts each server gets in the Prism phase: Prism takes seconds.
func prismStarts(starts int) int { return max(1, min(starts, prismColdStarts)) }
