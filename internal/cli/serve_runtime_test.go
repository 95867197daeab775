package cli

import (
	"fmt"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestLogWriterFlushesOnTimeAndClose(t *testing.T) {
	var out syncBuffer
	l := newLogWriter(&out, 10*time.Millisecond)
	fmt.Fprintln(l, "first line")
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(out.String(), "first line") {
		if time.Now().After(deadline) {
			t.Fatal("a logged line did not reach the output within 5s without Close")
		}
		time.Sleep(time.Millisecond)
	}

	// Concurrent writers (run with -race): every line arrives whole, all of them by Close.
	slow := newLogWriter(&out, time.Hour)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range 500 {
				fmt.Fprintf(slow, "writer %d line %d\n", w, n)
			}
		}()
	}
	wg.Wait()
	if err := slow.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 1+8*500 {
		t.Fatalf("got %d lines, want %d", len(lines), 1+8*500)
	}
	for _, line := range lines[1:] {
		var w, n int
		if _, err := fmt.Sscanf(line, "writer %d line %d", &w, &n); err != nil {
			t.Fatalf("torn line %q: %v", line, err)
		}
	}
}

func TestPauseGCRestoresSettings(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(123))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(1 << 40))
	resume := pauseGC(64 << 20)
	if got := debug.SetGCPercent(-1); got != -1 {
		t.Errorf("GOGC while paused: %d, want off", got)
	}
	if got := debug.SetMemoryLimit(-1); got != 64<<20 {
		t.Errorf("memory limit while paused: %d, want 64 MiB", got)
	}
	resume()
	if got := debug.SetGCPercent(123); got != 123 {
		t.Errorf("GOGC after resume: %d, want 123", got)
	}
	if got := debug.SetMemoryLimit(-1); got != 1<<40 {
		t.Errorf("memory limit after resume: %d", got)
	}
	// A lower GOMEMLIMIT stays the bound while paused.
	debug.SetMemoryLimit(32 << 20)
	resume = pauseGC(64 << 20)
	if got := debug.SetMemoryLimit(-1); got != 32<<20 {
		t.Errorf("memory limit while paused under a lower GOMEMLIMIT: %d, want 32 MiB", got)
	}
	resume()
}

func TestServingGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	for _, tc := range []struct {
		name    string
		gogc    string // the environment variable
		applied int    // what the runtime applied from it at start
		want    int
	}{
		{"GOGC unset: the serving target", "", 100, servingGCPercent},
		{"GOGC set: the runtime's value stays", "150", 150, 150},
		{"GOGC=off: stays off", "off", -1, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			debug.SetGCPercent(tc.applied)
			servingGC(func(k string) string {
				if k == "GOGC" {
					return tc.gogc
				}
				return ""
			})
			if now := debug.SetGCPercent(-1); now != tc.want {
				t.Errorf("GOGC in force %d, want %d", now, tc.want)
			}
		})
	}
}
