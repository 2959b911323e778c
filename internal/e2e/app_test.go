package e2e

import (
	"context"
	"log/slog"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/app"
)

// startApp runs a whole Lore server in-process on a free loopback port;
// opts change its configuration.
func startApp(t testing.TB, opts ...func(*app.Config)) *app.App {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cfg := app.Config{
		DataDir: t.TempDir(), Addr: "127.0.0.1:0", IngestKey: ingestKey, ReadKey: readKey, AdminKey: adminKey,
		Log: slog.New(slog.DiscardHandler),
	}
	for _, o := range opts {
		o(&cfg)
	}
	a, err := app.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return a
}

// flush waits until everything acknowledged is searchable.
func flush(t testing.TB, a *app.App) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := a.Pipeline().Flush(ctx); err != nil {
		t.Fatal(err)
	}
}

type searchResult struct {
	Events []struct {
		TS           string            `json:"ts"`
		Kind         string            `json:"kind"`
		Level        string            `json:"level"`
		Service      string            `json:"service"`
		TraceID      string            `json:"trace_id"`
		SpanID       string            `json:"span_id"`
		ParentSpanID string            `json:"parent_span_id"`
		UserID       string            `json:"user_id"`
		Name         string            `json:"name"`
		Message      string            `json:"message"`
		HTTPStatus   int               `json:"http_status"`
		DurationMS   float64           `json:"duration_ms"`
		RetryAttempt int               `json:"retry_attempt"`
		Attributes   map[string]string `json:"attributes"`
	} `json:"events"`
	NextCursor string `json:"next_cursor"`
}

type journeyResult struct {
	searchResult
	Story []struct {
		TS      string `json:"ts"`
		Service string `json:"service"`
		Text    string `json:"text"`
	} `json:"story"`
	Summary struct {
		Services   []string `json:"services"`
		DurationMS float64  `json:"duration_ms"`
		Retries    int      `json:"retries"`
		Errors     int      `json:"errors"`
		Outcome    string   `json:"outcome"`
	} `json:"summary"`
}

func search(t testing.TB, base, q, from, to string, limit int) searchResult {
	t.Helper()
	var r searchResult
	getJSON(t, base, "/api/v1/search", url.Values{"q": {q}, "from": {from}, "to": {to}, "limit": {strconv.Itoa(limit)}}, &r)
	return r
}
