package app

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/pgtest"
)

// TestReadyFollowsTheStores: GET /readyz answers 200 while the events
// store and the metadata database answer, and 503 with Retry-After, naming
// which one does not (and nothing of its internals: the probe needs no
// key), when the PostgreSQL server of --meta is gone or the events store
// no longer answers; GET /healthz stays 200 (the process is up).
func TestReadyFollowsTheStores(t *testing.T) {
	pg := pgtest.Launch(t)
	defer pg.Stop()
	dbURL := pg.NewDatabase(t)
	ctx, cancel := context.WithCancel(context.Background())
	a, err := Open(ctx, Config{DataDir: t.TempDir(), Meta: dbURL, Addr: "127.0.0.1:0", IngestKey: "k-ingest",
		ReadKey: "k-read", Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		cancel()
		t.Fatalf("open: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx) }()
	defer func() {
		cancel()
		<-done // the stores this test broke may not close cleanly
	}()
	base := "http://" + a.Addr()
	c := &http.Client{Timeout: 10 * time.Second}
	probe := func(path string) (int, string, string) {
		t.Helper()
		resp, err := c.Get(base + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		buf := make([]byte, 4096)
		for {
			n, err := resp.Body.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		return resp.StatusCode, b.String(), resp.Header.Get("Retry-After")
	}
	if code, body, _ := probe("/readyz"); code != 200 || !strings.Contains(body, "ready") {
		t.Fatalf("readyz with both stores up: %d %s", code, body)
	}

	pg.Stop()
	code, body, retry := probe("/readyz")
	if code != 503 || retry == "" || !strings.Contains(body, "the metadata database does not answer") {
		t.Errorf("readyz with PostgreSQL stopped: %d %q Retry-After %q, want 503 naming the metadata database", code, body, retry)
	}
	if strings.Contains(strings.ToLower(body), "postgres") || strings.Contains(body, "127.0.0.1") {
		t.Errorf("readyz tells a caller without a key the database's internals: %s", body)
	}
	if code, body, _ := probe("/healthz"); code != 200 {
		t.Errorf("healthz with PostgreSQL stopped: %d %s, want 200 (the process is up)", code, body)
	}

	if err := a.engine.Close(); err != nil {
		t.Fatalf("close the events store: %v", err)
	}
	if code, body, _ := probe("/readyz"); code != 503 || !strings.Contains(body, "the events store does not answer") {
		t.Errorf("readyz with the events store closed: %d %q, want 503 naming the events store", code, body)
	}
}
