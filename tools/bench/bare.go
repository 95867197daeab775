package main

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"time"
)

// canned is one captured answer of the mock.
type canned struct {
	Status int               `json:"status"`
	Header map[string]string `json:"header"`
	Body   []byte            `json:"body"`
}

// serveBare is the ceiling: net/http answering each known request with the mock's captured bytes,
// doing nothing else. It runs in its own process, like the mock.
func serveBare(addr, cannedFile string) error {
	raw, err := os.ReadFile(cannedFile)
	if err != nil {
		return err
	}
	var answers map[string]canned
	if err := json.Unmarshal(raw, &answers); err != nil {
		return err
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		a, ok := answers[r.Method+" "+r.URL.Path]
		if !ok {
			if r.URL.Path == "/__ready" {
				return
			}
			http.NotFound(w, r)
			return
		}
		for k, v := range a.Header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(a.Status)
		_, _ = w.Write(a.Body)
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	return srv.Serve(ln)
}
