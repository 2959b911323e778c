package server

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

	"github.com/lore-dev/lore/internal/errs"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/ingest"
	"github.com/lore-dev/lore/internal/meta"
	"github.com/lore-dev/lore/internal/store"
)

type fakeAuth map[string]meta.Principal

func (f fakeAuth) Authenticate(_ context.Context, key string) (meta.Principal, error) {
	if p, ok := f[key]; ok {
		return p, nil
	}
	return meta.Principal{}, meta.ErrUnknownKey
}

// fakeQueue stands in for the pipeline behind a real ingest sink: it
// records committed events; it can refuse as overloaded or block.
type fakeQueue struct {
	mu       sync.Mutex
	events   []event.Event
	overload bool
	block    chan struct{}
}

func (q *fakeQueue) Reserve(ctx context.Context, ev []event.Event) (ingest.Reservation, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.overload {
		return nil, &errs.Error{Kind: errs.Overloaded, Msg: "ingest queue is full; retry after the given delay", RetryAfter: 7}
	}
	return fakeReservation{q}, nil
}

type fakeReservation struct{ q *fakeQueue }

func (r fakeReservation) Release() {}

func (r fakeReservation) Commit(ctx context.Context, ev []event.Event) error {
	if r.q.block != nil {
		select {
		case <-r.q.block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	r.q.mu.Lock()
	defer r.q.mu.Unlock()
	r.q.events = append(r.q.events, ev...)
	return nil
}

// testSink is a real ingest sink over q.
func testSink(q *fakeQueue, limits Limits) *ingest.Sink {
	return ingest.NewSink(ingest.SinkConfig{Limits: ingest.Limits{MaxRows: limits.MaxLines, Event: ingest.DefaultEventLimits()}, Admitter: q})
}

type fakeReader struct{ store.Reader }

func newTestServer(t *testing.T, q *fakeQueue, limits Limits) *httptest.Server {
	t.Helper()
	s := New(Deps{
		Auth:   fakeAuth{"in": {ProjectID: 1, Role: meta.RoleIngest}, "rd": {ProjectID: 1, Role: meta.RoleRead}},
		Sink:   testSink(q, limits),
		Reader: fakeReader{},
		Log:    slog.New(slog.DiscardHandler),
		Limits: limits,
		Now:    func() time.Time { return time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC) },
	})
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return srv
}

func do(t *testing.T, srv *httptest.Server, method, path, key string, body []byte, header map[string]string) (int, http.Header, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, srv.URL+path, bytes.NewReader(body))
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s %s answered non-JSON %d: %q", method, path, resp.StatusCode, b)
	}
	return resp.StatusCode, resp.Header, m
}

func TestIngestAcceptsGoodLinesAndNamesBadOnes(t *testing.T) {
	q := &fakeQueue{}
	srv := newTestServer(t, q, DefaultLimits())
	body := []byte(`{"ts":"2026-11-21T11:59:00Z","level":"error","service":"payment-service","msg":"gateway 429"}
{"ts":"2026-11-21T11:59:01Z","msg":"half
level=info msg="logfmt line" service=cart
`)
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write(body)
	w.Close()
	status, _, m := do(t, srv, "POST", "/api/v1/ingest", "in", gz.Bytes(), map[string]string{"Content-Encoding": "gzip"})
	if status != 200 || m["accepted"] != 2.0 || m["rejected"] != 1.0 {
		t.Fatalf("%d %v", status, m)
	}
	errs := m["errors"].([]any)
	first := errs[0].(map[string]any)
	if first["line"] != 2.0 || !strings.HasPrefix(first["error"].(string), "invalid JSON") {
		t.Fatalf("errors = %v", errs)
	}
	if len(q.events) != 2 || q.events[0].Service != "payment-service" || q.events[1].Service != "cart" || q.events[0].ProjectID != 1 {
		t.Fatalf("stored %+v", q.events)
	}
}

func TestIngestRefusals(t *testing.T) {
	limits := DefaultLimits()
	limits.MaxBodyBytes = 1 << 10
	limits.MaxLines = 5
	q := &fakeQueue{}
	srv := newTestServer(t, q, limits)
	f := func(name, key string, body []byte, header map[string]string, wantStatus int, wantErr string) {
		t.Helper()
		status, _, m := do(t, srv, "POST", "/api/v1/ingest", key, body, header)
		if status != wantStatus || !strings.Contains(m["error"].(string), wantErr) {
			t.Errorf("%s: got %d %v, want %d with %q", name, status, m, wantStatus, wantErr)
		}
	}
	f("no key", "", []byte("x\n"), nil, 401, "missing API key")
	f("unknown key", "nope", []byte("x\n"), nil, 401, "unknown API key")
	f("read key", "rd", []byte("x\n"), nil, 403, "can only read")
	f("too large", "in", bytes.Repeat([]byte("a"), 2<<10), nil, 413, "too large")
	var bomb bytes.Buffer
	zw := gzip.NewWriter(&bomb)
	zw.Write(bytes.Repeat([]byte("0123456789\n"), 1000))
	zw.Close()
	f("decompresses too large", "in", bomb.Bytes(), map[string]string{"Content-Encoding": "gzip"}, 413, "too large")
	f("too many lines", "in", []byte("a\nb\nc\nd\ne\nf\ng\n"), nil, 413, "too many lines")
	f("corrupt gzip", "in", []byte("not gzip"), map[string]string{"Content-Encoding": "gzip"}, 400, "cannot decode")
	if len(q.events) != 0 {
		t.Fatalf("refused requests stored events: %+v", q.events)
	}
	status, _, m := do(t, srv, "GET", "/api/v1/search", "in", nil, nil)
	if status != 403 || !strings.Contains(m["error"].(string), "read key") {
		t.Errorf("ingest key reading: %d %v", status, m)
	}
}

func TestOverloadAnswers429WithRetryAfter(t *testing.T) {
	srv := newTestServer(t, &fakeQueue{overload: true}, DefaultLimits())
	status, h, m := do(t, srv, "POST", "/api/v1/ingest", "in", []byte(`{"msg":"x"}`+"\n"), nil)
	if status != 429 || h.Get("Retry-After") != "7" || !strings.Contains(m["error"].(string), "retry") {
		t.Fatalf("%d Retry-After=%q %v", status, h.Get("Retry-After"), m)
	}
}

func TestTooManyRequestsInFlightAnswers503(t *testing.T) {
	limits := DefaultLimits()
	limits.MaxInflight = 1
	limits.InflightWait = 50 * time.Millisecond
	q := &fakeQueue{block: make(chan struct{})}
	srv := newTestServer(t, q, limits)
	done := make(chan int)
	go func() {
		status, _, _ := do(t, srv, "POST", "/api/v1/ingest", "in", []byte(`{"msg":"slow"}`+"\n"), nil)
		done <- status
	}()
	time.Sleep(100 * time.Millisecond)
	status, h, _ := do(t, srv, "POST", "/api/v1/ingest", "in", []byte(`{"msg":"second"}`+"\n"), nil)
	if status != 503 || h.Get("Retry-After") == "" {
		t.Fatalf("second request while the first holds the only slot: %d %q", status, h.Get("Retry-After"))
	}
	close(q.block)
	if s := <-done; s != 200 {
		t.Fatalf("first request: %d", s)
	}
}

func TestReadErrorsAreClear(t *testing.T) {
	srv := newTestServer(t, &fakeQueue{}, DefaultLimits())
	f := func(path string, wantStatus int, wantErr string) {
		t.Helper()
		status, _, m := do(t, srv, "GET", path, "rd", nil, nil)
		if status != wantStatus || !strings.Contains(m["error"].(string), wantErr) {
			t.Errorf("%s: %d %v, want %d %q", path, status, m, wantStatus, wantErr)
		}
	}
	f("/api/v1/search?q=level:(error", 400, "bad query")
	f("/api/v1/search?from=yesterday-ish", 400, "bad time range")
	f("/api/v1/search?limit=-3", 400, "limit")
	f("/api/v1/facets", 400, "missing field")
	f("/api/v1/histogram?step=1s&from=now-30d", 400, "buckets")
	f("/api/v1/journeys/planet/x", 404, "trace, user or session")
	f("/api/v1/nothing", 404, "no API route")
}

// TestUnmatchedRequestsCounted: a request no route serves is counted in
// lore_http_requests_total under route="unmatched", never its raw path.
func TestUnmatchedRequestsCounted(t *testing.T) {
	srv := newTestServer(t, &fakeQueue{}, DefaultLimits())
	for _, p := range []string{"/api/v1/nothing", "/wp-login.php", "/api/7/nope/", "/v1/unknown"} {
		if status, _, _ := do(t, srv, "POST", p, "in", nil, nil); status != 404 {
			t.Errorf("POST %s: %d, want 404", p, status)
		}
	}
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if want := `lore_http_requests_total{route="unmatched",code="4xx"} 4`; !strings.Contains(string(b), want) {
		t.Errorf("metrics lack %s:\n%s", want, b)
	}
	for _, p := range []string{"wp-login", "nope", "unknown"} {
		if strings.Contains(string(b), p) {
			t.Errorf("metrics name the raw path %q:\n%s", p, b)
		}
	}
}
