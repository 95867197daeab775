package doctest

// The runnable-block convention, as docs/*.md and README.md use it:
//
//   - A fenced block whose info string is "sh runnable" (```sh runnable) is run; any other block
//     is only read.
//   - It runs with bash (set -euo pipefail), in a fresh temporary directory, against a fresh mock:
//     `authconform serve --addr 127.0.0.1:0` (every bundled spec) started in process for that
//     block alone. $MOCK is the mock's root URL; a document says once that a reader's $MOCK is
//     http://127.0.0.1:8080, the address `make run` serves. `authconform` on PATH is this test
//     binary acting as the command (the same code as bin/authconform).
//   - The directory holds what a reader in a clone has at hand: specs/ and examples/ (linked), but
//     examples/targets/*.yaml are copies with http://127.0.0.1:8080 replaced by $MOCK, so a block
//     may run `authconform test --target examples/targets/pixfile.yaml` exactly as printed.
//   - A line `# => TEXT` states an answer: TEXT must appear in what the commands before it (since
//     the previous `# =>` lines) printed, stdout and stderr together. Several `# =>` lines in a row
//     are all required. Any command that exits non-zero fails the block (write `cmd || echo "exit
//     $?"` and `# => exit 1` to show a refusal).
//   - A block that uses curl is skipped when curl is absent, except under CI=true (.ci/run), where
//     that is a failure.

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/authconform/authconform/internal/cli"
)

// asCLI, set in the environment, makes this test binary the authconform command (see TestMain).
const asCLI = "AUTHCONFORM_DOCTEST_AS_CLI"

// makeRunAddr is the address `make run` serves and the documents show.
const makeRunAddr = "http://127.0.0.1:8080"

// stepEnd separates the output of one step of a block from the next.
const stepEnd = "@@authconform-doctest-step-end@@"

var root = filepath.Join("..", "..")

func TestMain(m *testing.M) {
	if os.Getenv(asCLI) == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := cli.Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// docFiles are the documents whose blocks and links are checked: README.md and docs/*.md.
func docFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	return append([]string{filepath.Join(root, "README.md")}, files...)
}

// block is one fenced code block of a document.
type block struct {
	file  string
	line  int // of the opening fence
	info  string
	lines []string
}

func (b block) runnable() bool {
	f := strings.Fields(b.info)
	return len(f) == 2 && f[0] == "sh" && f[1] == "runnable"
}

// blocks returns the fenced blocks of a document, and its text outside them.
func blocks(t *testing.T, file string) (bs []block, prose []string) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var cur *block
	for i, l := range strings.Split(string(data), "\n") {
		trimmed := strings.TrimSpace(l)
		switch {
		case cur == nil && strings.HasPrefix(trimmed, "```"):
			cur = &block{file: file, line: i + 1, info: strings.TrimSpace(strings.TrimPrefix(trimmed, "```"))}
		case cur != nil && trimmed == "```":
			bs = append(bs, *cur)
			cur = nil
		case cur != nil:
			cur.lines = append(cur.lines, l)
		default:
			prose = append(prose, l)
		}
	}
	if cur != nil {
		t.Errorf("%s:%d: a fenced block never closes", file, cur.line)
	}
	return bs, prose
}

// step is a run of commands and the answers stated after them.
type step struct {
	line   int // of its first command
	script []string
	want   []string
}

var answer = regexp.MustCompile(`^\s*# => ?(.*)$`)

func steps(b block) []step {
	var out []step
	cur := step{line: b.line + 1}
	for i, l := range b.lines {
		if m := answer.FindStringSubmatch(l); m != nil {
			cur.want = append(cur.want, strings.TrimSpace(m[1]))
			continue
		}
		if len(cur.want) > 0 {
			out = append(out, cur)
			cur = step{line: b.line + 1 + i}
		}
		cur.script = append(cur.script, l)
	}
	return append(out, cur)
}

func TestRunnableBlocks(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the documents' commands against a mock")
	}
	var all []block
	for _, f := range docFiles(t) {
		bs, _ := blocks(t, f)
		for _, b := range bs {
			if b.runnable() {
				all = append(all, b)
			}
		}
	}
	// The documents this convention was written for must keep some runnable blocks.
	for _, doc := range []string{"README.md", "mock.md", "admin-api.md", "testing.md", "certification.md"} {
		n := 0
		for _, b := range all {
			if filepath.Base(b.file) == doc {
				n++
			}
		}
		if n == 0 {
			t.Errorf("%s has no runnable block", doc)
		}
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	wrapper := fmt.Sprintf("#!/bin/sh\n%s=1 exec '%s' \"$@\"\n", asCLI, exe)
	if err := os.WriteFile(filepath.Join(bin, "authconform"), []byte(wrapper), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("bash"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("bash is not installed; CI must run every runnable block")
		}
		t.Skip("bash is not installed")
	}
	_, curlErr := exec.LookPath("curl")
	for _, b := range all {
		name := fmt.Sprintf("%s:%d", filepath.Base(b.file), b.line)
		t.Run(name, func(t *testing.T) {
			t.Parallel() // each block has its own mock and directory
			if curlErr != nil && strings.Contains(strings.Join(b.lines, "\n"), "curl ") {
				if os.Getenv("CI") == "true" {
					t.Fatal("curl is not installed; CI must run every runnable block")
				}
				t.Skip("curl is not installed")
			}
			runBlock(t, b, bin)
		})
	}
}

// syncBuffer is a bytes.Buffer safe to read while serve writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startMu makes in-process mocks start one at a time: serve pauses the collector while it
// prepares and restores GOGC after, and two overlapping starts would restore each other's pause.
var startMu sync.Mutex

// startMock runs `authconform serve --addr 127.0.0.1:0` in process until the test ends and
// returns its root URL.
func startMock(t *testing.T) string {
	t.Helper()
	startMu.Lock()
	defer startMu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	out, errb, done := &syncBuffer{}, &syncBuffer{}, make(chan int, 1)
	go func() {
		done <- cli.Run(ctx, []string{"serve", "--addr", "127.0.0.1:0"}, strings.NewReader(""), out, errb, func(string) string { return "" })
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Error("the mock did not stop")
		}
	})
	listening := regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := listening.FindStringSubmatch(out.String()); m != nil {
			return m[1]
		}
	}
	t.Fatalf("the mock printed no listening line; stdout %q stderr %q", out.String(), errb.String())
	return ""
}

// workdir makes the directory a block runs in: specs/ and examples/ as in a clone, with the
// example targets pointed at mock.
func workdir(t *testing.T, mock string) string {
	t.Helper()
	dir := t.TempDir()
	abs, err := filepath.Abs(root)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(abs, "specs"), filepath.Join(dir, "specs")); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(filepath.Join(abs, "examples"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "examples", "targets"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() == "targets" {
			continue
		}
		if err := os.Symlink(filepath.Join(abs, "examples", e.Name()), filepath.Join(dir, "examples", e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	targets, err := filepath.Glob(filepath.Join(abs, "examples", "targets", "*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range targets {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		data = bytes.ReplaceAll(data, []byte(makeRunAddr), []byte(mock))
		if err := os.WriteFile(filepath.Join(dir, "examples", "targets", filepath.Base(f)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func runBlock(t *testing.T, b block, bin string) {
	mock := startMock(t)
	for _, p := range execBlock(b, bin, mock, workdir(t, mock)) {
		t.Error(p)
	}
}

// execBlock runs a block's steps in one bash and returns what went wrong: a step whose commands
// failed, or a stated answer missing from its step's output.
func execBlock(b block, bin, mock, dir string) (problems []string) {
	st := steps(b)
	var script strings.Builder
	script.WriteString("set -euo pipefail\n")
	for _, s := range st {
		script.WriteString(strings.Join(s.script, "\n"))
		fmt.Fprintf(&script, "\nprintf '\\n%s\\n'\n", stepEnd)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", script.String())
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "MOCK="+mock, "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"NO_PROXY=127.0.0.1,localhost", "no_proxy=127.0.0.1,localhost")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	segments := strings.Split(out.String(), stepEnd)
	for i, s := range st {
		if i >= len(segments)-1 { // the step did not finish
			return append(problems, fmt.Sprintf("%s:%d: the commands from here failed (%v); output:\n%s", b.file, s.line, err, segments[len(segments)-1]))
		}
		for _, w := range s.want {
			if !strings.Contains(segments[i], w) {
				problems = append(problems, fmt.Sprintf("%s:%d: the output lacks %q; it was:\n%s", b.file, s.line, w, segments[i]))
			}
		}
	}
	if err != nil {
		problems = append(problems, fmt.Sprintf("%s:%d: the block failed: %v; output:\n%s", b.file, b.line, err, out.String()))
	}
	return problems
}

// TestExecBlockFails: the runner itself fails a block whose command fails or whose stated answer
// is not printed, and passes one that prints what it states.
func TestExecBlockFails(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash is not installed")
	}
	for _, tc := range []struct {
		name  string
		lines []string
		want  string // in the problems; "" for none
	}{
		{"passes", []string{"echo hello $MOCK", "# => hello http://mock.invalid", "X=1", "echo $X", "# => 1"}, ""},
		{"answer missing", []string{"echo hello", "# => goodbye"}, `lacks "goodbye"`},
		{"answer of another step", []string{"echo hello", "# => hello", "echo world", "# => hello"}, `x.md:4: the output lacks "hello"`},
		{"command fails", []string{"false", "echo never", "# => never"}, "x.md:2: the commands from here failed"},
		{"last command fails", []string{"echo ok", "# => ok", "exit 3"}, "x.md:4: the commands from here failed (exit status 3)"},
		{"pipe fails", []string{"false | cat", "# => "}, "failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := strings.Join(execBlock(block{file: "x.md", line: 1, info: "sh runnable", lines: tc.lines}, t.TempDir(), "http://mock.invalid", t.TempDir()), "\n")
			if tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) {
				t.Errorf("problems %q; want %q", got, tc.want)
			}
		})
	}
}

var link = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// TestDocLinks: every relative link of README.md and docs/*.md points at a file of this
// repository (a clone has nothing beside it).
func TestDocLinks(t *testing.T) {
	abs, err := filepath.Abs(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range docFiles(t) {
		_, prose := blocks(t, f)
		for _, l := range prose {
			for _, m := range link.FindAllStringSubmatch(l, -1) {
				target := m[1]
				if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") || strings.HasPrefix(target, "#") {
					continue
				}
				target, _, _ = strings.Cut(target, "#")
				p, err := filepath.Abs(filepath.Join(filepath.Dir(f), target))
				if err != nil {
					t.Fatal(err)
				}
				if p != abs && !strings.HasPrefix(p, abs+string(filepath.Separator)) {
					t.Errorf("%s: link %s leaves the repository", f, m[1])
					continue
				}
				if _, err := os.Stat(p); err != nil {
					t.Errorf("%s: link %s points at nothing", f, m[1])
				}
			}
		}
	}
}

// TestReadmeShort: the README is read in ten minutes (issue 19: under 150 lines) and names no
// file outside the repository.
func TestReadmeShort(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(data), "\n"); n >= 150 {
		t.Errorf("README.md has %d lines; keep it under 150 and move the rest to docs/", n)
	}
	if strings.Contains(string(data), "../") {
		t.Error("README.md names a path outside the repository (../)")
	}
}
