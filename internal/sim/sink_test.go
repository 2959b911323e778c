package sim

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
)

func TestHTTPSinkResendsAfterRetryAfter(t *testing.T) {
	var mu sync.Mutex
	var got [][]byte
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if r.URL.Path != PathLogs || r.Header.Get("Authorization") != "Bearer k3y" ||
			r.Header.Get("Content-Type") != ContentTypeJSONL || r.Header.Get("Content-Encoding") != "gzip" {
			t.Errorf("request %s with headers %v", r.URL.Path, r.Header)
		}
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			t.Errorf("body not gzip: %v", err)
			return
		}
		body, _ := io.ReadAll(zr)
		got = append(got, body)
		if calls == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	body := []byte(`{"kind":"event","name":"Order Completed"}` + "\n")
	start := time.Now()
	if err := NewHTTPSink(srv.URL+"/", "k3y", srv.Client()).Logs(context.Background(), body); err != nil {
		t.Fatalf("Logs: %v", err)
	}
	if calls != 2 || !bytes.Equal(got[0], body) || !bytes.Equal(got[1], body) {
		t.Fatalf("%d calls, bodies %q", calls, got)
	}
	if waited := time.Since(start); waited < 900*time.Millisecond {
		t.Fatalf("resent after %v, before Retry-After", waited)
	}
}

func TestHTTPSinkReturnsClientErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != PathTraces || r.Header.Get("Content-Type") != ContentTypeOTLP {
			t.Errorf("request %s %v", r.URL.Path, r.Header)
		}
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"error":"cannot decode OTLP body"}`)
	}))
	defer srv.Close()
	err := NewHTTPSink(srv.URL, "k", nil).Spans(context.Background(), []byte{1, 2})
	if err == nil || !strings.Contains(err.Error(), "cannot decode OTLP body") || !strings.Contains(err.Error(), "400") {
		t.Fatalf("got %v, want the server's 400 error", err)
	}
}

func TestHTTPSinkStopsWaitingWhenContextEnds(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "30")
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := NewHTTPSink(srv.URL, "k", nil).Logs(ctx, []byte("{}\n")); err == nil {
		t.Fatal("no error although the server never accepted")
	}
}

func TestRetryAfter(t *testing.T) {
	f := func(in string, want time.Duration) {
		t.Helper()
		if got := retryAfter(in); got != want {
			t.Errorf("retryAfter(%q) = %v, want %v", in, got, want)
		}
	}
	f("", time.Second)
	f("3", 3*time.Second)
	f(" 0 ", 0)
	f("junk", time.Second)
	f("100000", 5*time.Minute)
	f("Mon, 02 Jan 2006 15:04:05 GMT", 0) // in the past
}
