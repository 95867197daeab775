package mockserver

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// readBody reads what io.ReadAll reads, whatever length the request declares.
func TestReadBodyMatchesReadAll(t *testing.T) {
	long := strings.Repeat("x", 5000)
	for _, body := range []string{"", "{}", `{"username":"user","password":"pass"}`, long} {
		for _, declared := range []int64{-1, 0, 1, int64(len(body)) - 1, int64(len(body)), int64(len(body)) + 1, 1 << 30} {
			got, err := readBody(strings.NewReader(body), declared, 1<<20)
			if err != nil || string(got) != body {
				t.Errorf("body of %d declared %d: got %d bytes, %v", len(body), declared, len(got), err)
			}
		}
	}
	// Over the limit: MaxBytesReader's error, as with io.ReadAll.
	rec := httptest.NewRecorder()
	_, err := readBody(http.MaxBytesReader(rec, io.NopCloser(strings.NewReader(long)), 100), int64(len(long)), 100)
	var tooBig *http.MaxBytesError
	if !errors.As(err, &tooBig) {
		t.Errorf("over the limit: %v", err)
	}
	_, err = readBody(http.MaxBytesReader(rec, io.NopCloser(strings.NewReader(long)), 100), 50, 100)
	if !errors.As(err, &tooBig) {
		t.Errorf("over the limit, declared under it: %v", err)
	}
	// A reader's error other than EOF is returned.
	boom := errors.New("boom")
	if _, err := readBody(io.MultiReader(bytes.NewReader([]byte("ab")), errReader{boom}), 10, 100); !errors.Is(err, boom) {
		t.Errorf("reader error: %v", err)
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
