package server

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/lore-dev/lore/internal/errs"
	"github.com/lore-dev/lore/internal/meta"
	"github.com/lore-dev/lore/internal/metrics"
	"github.com/lore-dev/lore/internal/store"
)

// failingReader fails every search with an internal error that must not
// reach the client, or with a classified one.
type failingReader struct {
	store.Reader
	err error
}

func (f failingReader) Search(ctx context.Context, r store.SearchRequest) (store.SearchResult, error) {
	if r.Cursor != "" {
		return store.SearchResult{}, errs.Invalidf("invalid cursor %q: pass the next_cursor of a previous page", r.Cursor)
	}
	return store.SearchResult{}, f.err
}

// TestInternalErrorsAreNotEchoed: a 500 names a reference, never the
// internal text (which went to the log); a classified error says what was
// wrong; a malformed cursor is a 400 naming it.
func TestInternalErrorsAreNotEchoed(t *testing.T) {
	var logs strings.Builder
	s := New(Deps{
		Auth: fakeAuth{"rd": {ProjectID: 1, Role: meta.RoleRead}},
		Sink: testSink(&fakeQueue{}, DefaultLimits()), Reader: failingReader{err: fmt.Errorf("read events: %w", errors.New(`Binder Error: secret table "x" at /var/lib/lore`))},
		Log: slog.New(slog.NewTextHandler(&logs, nil)), Limits: DefaultLimits(),
	})
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	status, _, m := do(t, srv, "GET", "/api/v1/search", "rd", nil, nil)
	msg, _ := m["error"].(string)
	if status != 500 || strings.Contains(msg, "secret") || strings.Contains(msg, "Binder") || !strings.Contains(msg, "reference") {
		t.Errorf("internal error answered %d %q", status, msg)
	}
	ref := strings.Fields(strings.TrimPrefix(msg, "internal error (reference "))[0]
	if !strings.Contains(logs.String(), ref) || !strings.Contains(logs.String(), "secret table") {
		t.Errorf("the log does not hold the reference %q with the error:\n%s", ref, logs.String())
	}
	if n := strings.Count(logs.String(), "level=ERROR"); n != 1 {
		t.Errorf("the internal error is logged at ERROR %d times, want once:\n%s", n, logs.String())
	}
	logs.Reset()
	status, _, m = do(t, srv, "GET", "/api/v1/search?cursor=garbage", "rd", nil, nil)
	if status != 400 || !strings.Contains(m["error"].(string), `"garbage"`) {
		t.Errorf("bad cursor: %d %v", status, m)
	}
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("a client's error logged at ERROR:\n%s", logs.String())
	}
}

// TestSecurityHeaders: every response says nosniff and no-referrer; UI
// responses carry a Content Security Policy that allows the page's own
// inline script by hash, and forbid framing.
func TestSecurityHeaders(t *testing.T) {
	ui := fstest.MapFS{"index.html": {Data: []byte("<html><script>alert(1)</script></html>")}}
	s := New(Deps{Auth: fakeAuth{}, Sink: testSink(&fakeQueue{}, DefaultLimits()), Reader: fakeReader{}, Log: slog.New(slog.DiscardHandler), Limits: DefaultLimits(), UI: ui})
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	for _, path := range []string{"/", "/index.html", "/api/v1/search", "/healthz", "/metrics"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("%s: headers %v", path, resp.Header)
		}
		if path == "/" || path == "/index.html" {
			csp := resp.Header.Get("Content-Security-Policy")
			// sha256 of "alert(1)"
			if !strings.Contains(csp, "script-src 'self' 'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI='") ||
				!strings.Contains(csp, "frame-ancestors 'none'") || resp.Header.Get("X-Frame-Options") != "DENY" {
				t.Errorf("%s: CSP %q, X-Frame-Options %q", path, csp, resp.Header.Get("X-Frame-Options"))
			}
		}
	}
}

// TestMetricsLabelsAreRoutes: requests to random paths under a route, with
// or without a key, add no label of their own to /metrics.
func TestMetricsLabelsAreRoutes(t *testing.T) {
	reg := metrics.New()
	s := New(Deps{Auth: fakeAuth{"in": {ProjectID: 1, Role: meta.RoleIngest}}, Sink: testSink(&fakeQueue{}, DefaultLimits()), Reader: fakeReader{},
		Log: slog.New(slog.DiscardHandler), Limits: DefaultLimits(), Metrics: reg})
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	for i := range 50 {
		path := fmt.Sprintf("/capture/%d-%s", i, strings.Repeat("x", 200))
		for _, key := range []string{"", "in"} {
			body := `{"api_key":"` + key + `","event":"e","distinct_id":"u"}`
			resp, err := http.Post(srv.URL+path, "application/json", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
		resp, err := http.Post(srv.URL+"/api/7/envelope/"+strings.Repeat("y", i), "application/json", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.Contains(string(b), "xxxx") || strings.Contains(string(b), "yyyy") || len(b) > 64<<10 {
		t.Errorf("/metrics holds request paths (%d bytes)", len(b))
	}
}

// TestSlowUnauthenticatedBodiesDoNotBlockIngest: clients without a key
// trickling PostHog bodies (whose key is in the body) fill at most the
// pre-authentication slots; an authenticated client still ingests, and the
// slow bodies are cut off at the pre-authentication read deadline.
func TestSlowUnauthenticatedBodiesDoNotBlockIngest(t *testing.T) {
	limits := DefaultLimits()
	limits.MaxInflight = 2
	limits.InflightWait = 200 * time.Millisecond
	limits.PreauthReadTimeout = 1500 * time.Millisecond
	q := &fakeQueue{}
	s := New(Deps{Auth: fakeAuth{"in": {ProjectID: 1, Role: meta.RoleIngest}}, Sink: testSink(q, DefaultLimits()), Reader: fakeReader{},
		Log: slog.New(slog.DiscardHandler), Limits: limits})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := s.HTTPServer(ln.Addr().String())
	go hs.Serve(ln)
	defer hs.Close()
	base := "http://" + ln.Addr().String()
	var conns []net.Conn
	for range 8 {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		io.WriteString(c, "POST /capture/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"api_key\":")
		conns = append(conns, c)
	}
	time.Sleep(200 * time.Millisecond)
	for i := range 3 {
		req, _ := http.NewRequest("POST", base+"/api/v1/ingest", strings.NewReader(`{"msg":"authenticated"}`+"\n"))
		req.Header.Set("Authorization", "Bearer in")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("authenticated ingest %d while slow unauthenticated bodies trickle: %d", i, resp.StatusCode)
		}
	}
	// The slow bodies are answered: cut off at the read deadline (400) or
	// refused a pre-authentication slot (503).
	for _, c := range conns {
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil || !strings.Contains(line, " 400 ") && !strings.Contains(line, " 503 ") {
			t.Errorf("slow body answered %q, %v", line, err)
		}
	}
}
