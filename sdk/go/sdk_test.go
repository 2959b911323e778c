package lore

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"
)

// lines is an io.Writer collecting the handler's records.
type lines struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lines) records(t *testing.T) []map[string]any {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.buf.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("invalid JSON line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

func TestHandlerFields(t *testing.T) {
	var w lines
	log := slog.New(NewHandler(&w, &HandlerOptions{Service: "checkout", Env: "prod", Release: "1.2.3", Level: slog.LevelDebug}))
	tc, _ := ParseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	ctx := WithRequestID(ContextWithTrace(context.Background(), tc), "req-1")
	SetUser(ctx, "u-7")
	log.With("order", 42).WithGroup("payment").ErrorContext(ctx, "card \"declined\"\n", "amount", 12.5, "err", io.EOF, slog.Group("card", "brand", "visa"))
	log.Log(ctx, slog.LevelError+4, "out of memory")
	log.DebugContext(context.Background(), "no trace")

	// An OpenTelemetry span in the context wins.
	sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{1, 2, 3}, SpanID: trace.SpanID{4, 5, 6}, TraceFlags: trace.FlagsSampled})
	log.InfoContext(trace.ContextWithSpanContext(ctx, sc), "in a span")

	r := w.records(t)
	if len(r) != 4 {
		t.Fatalf("%d records", len(r))
	}
	want := map[string]any{"level": "error", "message": "card \"declined\"\n", "service": "checkout", "env": "prod", "release": "1.2.3",
		"trace_id": "4bf92f3577b34da6a3ce929d0e0e4736", "span_id": "00f067aa0ba902b7", "request_id": "req-1", "user_id": "u-7",
		"order": 42.0, "payment.amount": 12.5, "payment.err": "EOF", "payment.card.brand": "visa"}
	for k, v := range want {
		if r[0][k] != v {
			t.Errorf("%s = %v, want %v", k, r[0][k], v)
		}
	}
	if _, err := time.Parse(time.RFC3339Nano, r[0]["ts"].(string)); err != nil {
		t.Errorf("ts: %v", err)
	}
	if r[1]["level"] != "fatal" || r[2]["level"] != "debug" || r[2]["trace_id"] != nil {
		t.Errorf("levels and absent trace: %v / %v", r[1], r[2])
	}
	if r[3]["trace_id"] != sc.TraceID().String() || r[3]["span_id"] != sc.SpanID().String() {
		t.Errorf("OTel span ids: %v", r[3])
	}
}

func TestTraceparent(t *testing.T) {
	for _, bad := range []string{"", "00-0000000000000000000000000000000-00f067aa0ba902b7-01", "00-00000000000000000000000000000000-00f067aa0ba902b7-01", "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7"} {
		if _, ok := ParseTraceparent(bad); ok {
			t.Errorf("ParseTraceparent(%q) accepted", bad)
		}
	}
	tc := NewTrace()
	back, ok := ParseTraceparent(tc.Traceparent())
	if !ok || back != tc {
		t.Fatalf("round trip %v → %v", tc, back)
	}
	if c := tc.Child(); c.TraceID != tc.TraceID || c.SpanID == tc.SpanID {
		t.Fatal("a child keeps the trace and gets a new span")
	}
}

// TestClientRetriesAndFlushes: a batch refused with 503 is sent again
// after Retry-After, every line arrives once, and Close flushes.
func TestClientRetriesAndFlushes(t *testing.T) {
	var mu sync.Mutex
	var got []string
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if r.Header.Get("Authorization") != "Bearer k1" || r.URL.Query().Get("service") != "svc" || r.Header.Get("Content-Encoding") != "gzip" {
			t.Errorf("request %s %v", r.URL, r.Header)
		}
		if calls == 1 {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(503)
			return
		}
		zr, _ := gzip.NewReader(r.Body)
		b, _ := io.ReadAll(zr)
		got = append(got, strings.Split(strings.TrimSpace(string(b)), "\n")...)
	}))
	defer srv.Close()
	c := NewClient(ClientOptions{Endpoint: srv.URL, Key: "k1", Service: "svc", FlushInterval: time.Hour, MaxBatchBytes: 200})
	log := slog.New(NewHandler(c, nil))
	for i := range 10 {
		log.Info("line", "i", i)
	}
	if err := c.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 10 || c.Sent() != 10 || c.Dropped() != 0 {
		t.Fatalf("got %d lines (sent %d, dropped %d): %v", len(got), c.Sent(), c.Dropped(), got)
	}
	if _, err := c.Write([]byte("late\n")); err == nil {
		t.Error("a closed client accepted a line")
	}
}

// TestClientBoundedMemory: with nowhere to send, the buffer stops at its
// bound and counts what it drops; a 400 is not retried.
func TestClientBoundedMemory(t *testing.T) {
	block := make(chan struct{})
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		<-block
		w.WriteHeader(400)
	}))
	defer srv.Close()
	var errs []error
	c := NewClient(ClientOptions{Endpoint: srv.URL, Key: "k", MaxBufferBytes: 1000, MaxBatchBytes: 100, FlushInterval: time.Millisecond, OnError: func(err error) { errs = append(errs, err) }})
	line := []byte(strings.Repeat("x", 99) + "\n")
	for range 100 {
		c.Write(line)
	}
	if c.Dropped() < 80 {
		t.Errorf("dropped %d of 100 lines over a 1000-byte buffer", c.Dropped())
	}
	close(block)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if c.Sent() != 0 || c.Dropped() != 100 || len(errs) == 0 || !strings.Contains(errs[0].Error(), "400") {
		t.Errorf("sent %d dropped %d errs %v", c.Sent(), c.Dropped(), errs)
	}
}

// TestMiddlewareTransportRetry: a frontend with the middleware calls a
// backend through the Transport and Retry; the backend fails once. Both
// services' records carry one trace id, the retry is marked, the request
// id travels, and the route pattern is logged.
func TestMiddlewareTransportRetry(t *testing.T) {
	var w lines
	back := slog.New(NewHandler(&w, &HandlerOptions{Service: "backend"}))
	front := slog.New(NewHandler(&w, &HandlerOptions{Service: "frontend"}))
	failures := 1
	bmux := http.NewServeMux()
	bmux.HandleFunc("POST /charge/{id}", func(rw http.ResponseWriter, r *http.Request) {
		back.InfoContext(r.Context(), "charging")
		if failures > 0 {
			failures--
			rw.Header().Set("Retry-After", "0")
			rw.WriteHeader(503)
			return
		}
		io.WriteString(rw, "ok")
	})
	backend := httptest.NewServer(Middleware(back, bmux))
	defer backend.Close()
	client := &http.Client{Transport: &Transport{Logger: front}}
	fmux := http.NewServeMux()
	fmux.HandleFunc("GET /checkout", func(rw http.ResponseWriter, r *http.Request) {
		SetUser(r.Context(), "u-9")
		req, _ := http.NewRequestWithContext(r.Context(), "POST", backend.URL+"/charge/7", strings.NewReader("{}"))
		resp, err := Retry(client, req, RetryPolicy{Attempts: 3, Base: time.Millisecond})
		if err != nil {
			t.Error(err)
			return
		}
		resp.Body.Close()
		front.InfoContext(r.Context(), "checkout done")
	})
	frontend := httptest.NewServer(Middleware(front, fmux))
	defer frontend.Close()
	req, _ := http.NewRequest("GET", frontend.URL+"/checkout", nil)
	req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	req.Header.Set("X-Request-Id", "req-42")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("X-Request-Id") != "req-42" {
		t.Errorf("X-Request-Id = %q", resp.Header.Get("X-Request-Id"))
	}
	r := w.records(t)
	var retried, backendEnds, frontEnd int
	for _, m := range r {
		if m["trace_id"] != "4bf92f3577b34da6a3ce929d0e0e4736" || m["request_id"] != "req-42" {
			t.Errorf("record without the trace or request id: %v", m)
		}
		if m["service"] == "backend" && m["endpoint"] == "/charge/{id}" {
			backendEnds++
		}
		if m["service"] == "frontend" && m["endpoint"] == "/checkout" {
			frontEnd++
			if m["user_id"] != "u-9" || m["http_status"] != 200.0 || m["duration_ms"] == nil {
				t.Errorf("frontend request end = %v", m)
			}
		}
		if m["retry_attempt"] == 1.0 {
			retried++
		}
	}
	if backendEnds != 2 || frontEnd != 1 || retried != 3 {
		t.Errorf("backend ends %d (want 2), frontend ends %d (want 1), retry_attempt=1 records %d (want the call and the backend's two): %v", backendEnds, frontEnd, retried, r)
	}
	// The backend's span is a child of the call's span, which is a child
	// of the frontend's.
	spans := map[string]map[string]any{}
	for _, m := range r {
		spans[m["span_id"].(string)] = m
	}
	for _, m := range r {
		if m["service"] == "backend" {
			call := spans[m["parent_span_id"].(string)]
			if call == nil || !strings.HasPrefix(call["message"].(string), "call POST") || spans[call["parent_span_id"].(string)]["service"] != "frontend" {
				t.Errorf("backend record %v: its parent is not the frontend's call", m)
			}
		}
	}
}
