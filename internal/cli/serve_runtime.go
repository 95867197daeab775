package cli

import (
	"bufio"
	"io"
	"runtime/debug"
	"sync"
	"time"
)

// The serving process's runtime: how its log reaches stderr, and its collector at start.

// logFlushInterval bounds how late a request log line reaches stderr.
const logFlushInterval = 100 * time.Millisecond

// logWriter batches the request log: the mock logs every request, and one write(2) per line to
// a terminal or a pipe cost a login about a tenth of its throughput (docs/benchmarks.md). Lines
// are written when 32 KiB are pending and at least every logFlushInterval, and all of them on
// Close. It is safe for concurrent use.
type logWriter struct {
	mu   sync.Mutex
	buf  *bufio.Writer
	stop chan struct{}
	done chan struct{}
}

func newLogWriter(w io.Writer, every time.Duration) *logWriter {
	l := &logWriter{buf: bufio.NewWriterSize(w, 32<<10), stop: make(chan struct{}), done: make(chan struct{})}
	go l.flushEvery(every)
	return l
}

func (l *logWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logWriter) flush() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Flush()
}

func (l *logWriter) flushEvery(every time.Duration) {
	defer close(l.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			_ = l.flush() // a broken stderr is not worth stopping the mock for
		case <-l.stop:
			return
		}
	}
}

// Close stops the periodic flush and writes what is pending.
func (l *logWriter) Close() error {
	close(l.stop)
	<-l.done
	return l.flush()
}

// startMemoryLimit is the heap the start may grow to with collection paused (serve).
const startMemoryLimit = 256 << 20

// servingGCPercent is the collector's target (GOGC) while the mock serves, unless the GOGC
// environment variable sets one. The serving heap is small (a few tens of MiB) and churns fast:
// at Go's default of 100 the collector took about a tenth of the process under a login load,
// and the login measured 0.81 to 0.84 of the floor server; at 200 it measured 0.91 to 1.02, for
// some tens of MiB more RSS under load (docs/benchmarks.md, issue 15).
const servingGCPercent = 200

// servingGC sets the collector's target for serving, unless the user set GOGC: the runtime has
// applied theirs already, and it stays.
func servingGC(getenv func(string) string) {
	if getenv == nil || getenv("GOGC") == "" {
		debug.SetGCPercent(servingGCPercent)
	}
}

// pauseGC stops garbage collection until resume is called, except past a heap of limit bytes
// (or a lower GOMEMLIMIT); resume restores GOGC and GOMEMLIMIT as they were.
func pauseGC(limit int64) (resume func()) {
	memLimit := debug.SetMemoryLimit(-1)
	debug.SetMemoryLimit(min(memLimit, limit))
	gcPercent := debug.SetGCPercent(-1)
	return func() {
		debug.SetGCPercent(gcPercent)
		debug.SetMemoryLimit(memLimit)
	}
}
