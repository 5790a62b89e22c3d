// Command hello is the seed of tapstack: the Go net/http "hello world" that
// tapstack's HTTP server answers exactly like (GET /hello → "Hello, world!\n"),
// plus the /bytes/N endpoint `make bench` uses for bulk transfers (N bytes,
// byte i = i % 251, N up to 2^31).
//
// It uses only the standard library and is the "Go" contender of
// `make bench` (tools/bench/bench.sh builds it with GO111MODULE=off):
//
//	go run docs/examples/hello/main.go
//	curl http://localhost:8080/hello
package main

import (
	"io"
	"log"
	"net/http"
	"strconv"
	"strings"
)

const period = 251

// pattern holds 256 whole periods, so any write that starts at a multiple
// of the period and is a whole number of periods long keeps byte i = i % 251.
var pattern = func() []byte {
	b := make([]byte, period*256)
	for i := range b {
		b[i] = byte(i % period)
	}
	return b
}()

func bytesHandler(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.ParseUint(strings.TrimPrefix(r.URL.Path, "/bytes/"), 10, 64)
	if err != nil || n > 1<<31 {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.FormatUint(n, 10))
	if r.Method == http.MethodHead {
		return
	}
	for n > 0 {
		chunk := uint64(len(pattern))
		if chunk > n {
			chunk = n
		}
		if _, err := w.Write(pattern[:chunk]); err != nil {
			return
		}
		n -= chunk
	}
}

func main() {
	http.HandleFunc("/hello", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "Hello, world!\n")
	})
	http.HandleFunc("/bytes/", bytesHandler)
	log.Fatal(http.ListenAndServe(":8080", nil))
}
