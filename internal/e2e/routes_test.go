package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/app"
)

// TestRoutesRefuseBadInput walks every route the server registers (its
// own route table, so a route added later is walked too) with malformed
// input: path values that are not ids, each query parameter the handlers
// read set to garbage, and bodies that are not what the route reads. Bad
// input is the client's error, never the server's: no answer is a 5xx,
// every error is a JSON body with an "error" (Loki's push answers plain
// text, as Loki does), a 400 quotes the bad value it refuses, and the
// server logs nothing at ERROR level for any of it.
func TestRoutesRefuseBadInput(t *testing.T) {
	logs := &errorRecords{}
	a := startApp(t, func(c *app.Config) { c.Log = slog.New(logs) })
	routes := a.Routes()
	if len(routes) < 50 {
		t.Fatalf("the route table lists %d routes: %v", len(routes), routes)
	}
	hc := &http.Client{Timeout: 30 * time.Second}
	base := a.URL()
	walked := 0
	for _, pattern := range routes {
		method, path, ok := strings.Cut(pattern, " ")
		if !ok {
			method, path = http.MethodGet, pattern
		}
		if method == http.MethodOptions || path == "/metrics" {
			continue
		}
		// What the route answers without the bad part: a 400 that differs
		// from it is about the bad part, and must quote it.
		baseCode, _, baseBody := routeCall(t, hc, base, badRequest{method: method, target: fillPath(path, "1")})
		for _, c := range badRequests(method, path) {
			walked++
			before := logs.count()
			code, ctype, body := routeCall(t, hc, base, c)
			what := fmt.Sprintf("%s (%s %s): %d %s", pattern, c.method, c.target, code, clip(body))
			if code >= 500 && code != http.StatusNotImplemented {
				t.Errorf("%s: a server error for bad input", what)
			}
			if code >= 400 {
				checkErrorBody(t, what, path, ctype, body)
			}
			if code == http.StatusBadRequest && c.bad != "" && (code != baseCode || !bytes.Equal(body, baseBody)) && !strings.Contains(errorMessage(body), c.bad) {
				t.Errorf("%s: the 400 does not quote the bad value %q", what, c.bad)
			}
			if recs := logs.since(before); len(recs) > 0 && code < 500 {
				t.Errorf("%s: a client error logged at ERROR: %s", what, recs)
			}
		}
	}
	t.Logf("%d routes, %d requests", len(routes), walked)
}

// badRequest is one malformed request: target is the path and query; bad,
// when set, is the value a 400 must quote.
type badRequest struct {
	method, target, ctype string
	body                  []byte
	bad                   string
}

// The query parameters the handlers read, each with a value no handler
// can take.
var badParams = map[string]string{
	"from": "garbage-from", "to": "garbage-to", "cursor": "garbage-cursor",
	"limit": "garbage-limit", "step": "garbage-step", "at": "garbage-at",
	"before": "garbage-before", "q": `garbage-q:(`, "field": "garbage-field",
	"by": "garbage-by", "status": "garbage-status", "sort": "garbage-sort",
	"min_severity": "garbage-severity", "trace_id": "garbage-trace",
	"event_id": "garbage-event", "compression": "garbage-compression",
	"format": "garbage-format", "window": "garbage-window", "interval": "garbage-interval",
}

var wildcard = regexp.MustCompile(`\{[^}]*\}`)

// fillPath is a path of the pattern with v for each wildcard, and v below
// a subtree pattern ("/api/").
func fillPath(pattern, v string) string {
	p := wildcard.ReplaceAllString(pattern, v)
	if strings.HasSuffix(p, "/") && !strings.Contains(pattern, "{") && pattern != "/" {
		p += v
	}
	return p
}

func badRequests(method, path string) []badRequest {
	fill := func(v string) string { return fillPath(path, v) }
	var out []badRequest
	// The path's values are not ids.
	if strings.Contains(path, "{") {
		out = append(out, badRequest{method: method, target: fill("garbage-path"), bad: "garbage-path"})
	}
	ok := fill("1")
	for name, v := range badParams {
		out = append(out, badRequest{method: method, target: ok + "?" + url.Values{name: {v}}.Encode(), bad: v})
	}
	out = append(out, badRequest{method: method, target: ok + "?limit=-5", bad: "-5"},
		badRequest{method: method, target: ok + "?from=now&to=now-1h"})
	if method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch || method == http.MethodDelete {
		for _, b := range []string{``, `{"garbage`, `[1,2`, `null`, `"text"`, `{"garbage_field":1}`, `{"name":7,"steps":"x","query":[]}`} {
			out = append(out, badRequest{method: method, target: ok, ctype: "application/json", body: []byte(b)})
		}
		out = append(out, badRequest{method: method, target: ok, ctype: "application/x-garbage", body: []byte("garbage")})
	}
	return out
}

// routeCall sends c with the read key, and again with the ingest key when
// the route answers that reading needs the other one, or with the admin
// key when it needs a member or an admin.
func routeCall(t *testing.T, hc *http.Client, base string, c badRequest) (int, string, []byte) {
	t.Helper()
	code, ctype, body := routeSend(t, hc, base, c, readKey)
	if code == http.StatusForbidden && bytes.Contains(body, []byte("ingest")) {
		code, ctype, body = routeSend(t, hc, base, c, ingestKey)
	} else if code == http.StatusForbidden {
		code, ctype, body = routeSend(t, hc, base, c, adminKey)
	}
	return code, ctype, body
}

func routeSend(t *testing.T, hc *http.Client, base string, c badRequest, key string) (int, string, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, c.method, base+c.target, bytes.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	if c.ctype != "" {
		req.Header.Set("Content-Type", c.ctype)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", c.method, c.target, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: %v", c.method, c.target, err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), b
}

// plainErrors are the routes whose protocol answers errors as plain text.
var plainErrors = map[string]bool{"/loki/api/v1/push": true, "/api/prom/push": true}

// checkErrorBody checks an error answer is JSON with an "error" (a message,
// or Elasticsearch's error object), or plain text where the protocol says so.
func checkErrorBody(t *testing.T, what, path, ctype string, body []byte) {
	t.Helper()
	if plainErrors[path] && strings.HasPrefix(ctype, "text/plain") {
		if len(bytes.TrimSpace(body)) == 0 {
			t.Errorf("%s: an empty error", what)
		}
		return
	}
	if !strings.HasPrefix(ctype, "application/json") {
		t.Errorf("%s: an error of type %q, not JSON", what, ctype)
		return
	}
	var v struct {
		Error  json.RawMessage `json:"error"`
		Errors json.RawMessage `json:"errors"` // the rows refused, for the ingest routes
	}
	if err := json.Unmarshal(body, &v); err != nil {
		t.Errorf("%s: an error body that is not JSON: %v", what, err)
		return
	}
	empty := func(m json.RawMessage) bool { s := string(m); return s == "" || s == `""` || s == "null" || s == "[]" }
	if empty(v.Error) && empty(v.Errors) {
		t.Errorf("%s: no error message", what)
	}
}

// errorMessage is the "error" of a JSON error body when it is a message,
// else the whole body (Elasticsearch's error object, the ingest routes'
// rejected rows).
func errorMessage(body []byte) string {
	var v struct {
		Error any `json:"error"`
	}
	if json.Unmarshal(body, &v) == nil {
		if s, ok := v.Error.(string); ok {
			return s
		}
	}
	return string(body)
}

func clip(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}

// errorRecords is a slog handler that keeps the records at ERROR level.
type errorRecords struct {
	mu   sync.Mutex
	recs *[]string
	attr []slog.Attr
}

func (h *errorRecords) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelError }

func (h *errorRecords) Handle(_ context.Context, r slog.Record) error {
	var sb strings.Builder
	sb.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&sb, " %s=%v", a.Key, a.Value)
		return true
	})
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.recs == nil {
		h.recs = new([]string)
	}
	*h.recs = append(*h.recs, sb.String())
	return nil
}

func (h *errorRecords) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *errorRecords) WithGroup(string) slog.Handler      { return h }

func (h *errorRecords) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.recs == nil {
		return 0
	}
	return len(*h.recs)
}

func (h *errorRecords) since(n int) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.recs == nil || len(*h.recs) <= n {
		return nil
	}
	return append([]string(nil), (*h.recs)[n:]...)
}
