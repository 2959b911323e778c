package e2e

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/cli"
)

func runCLI(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = cli.Main(context.Background(), args, cli.Stdio{In: strings.NewReader(""), Out: &out, Err: &errb})
	return out.String(), errb.String(), code
}

// TestCLIIngestQueryStory imports a gzipped log file with good and bad lines
// through `lore ingest`, then reads it with `lore query` and `lore story`.
func TestCLIIngestQueryStory(t *testing.T) {
	a := startApp(t)
	now := time.Now().UTC()
	trace := "4bf92f3577b34da6a3ce929d0e0e4736"
	var raw bytes.Buffer
	fmt.Fprintf(&raw, `{"time":%q,"level":"info","msg":"user_789 started checkout","trace_id":%q,"user_id":"user_789"}`+"\n", now.Add(-3*time.Second).Format(time.RFC3339Nano), trace)
	fmt.Fprintf(&raw, `{"time":%q,"level":"error","msg":"payment gateway returned 429","trace_id":%q,"http_status":429,"user_id":"user_789"}`+"\n", now.Add(-2*time.Second).Format(time.RFC3339Nano), trace)
	fmt.Fprintf(&raw, "{\"broken\": \n")
	fmt.Fprintf(&raw, "%s WARN inventory low for sku 42\n", now.Add(-time.Second).Format("2006-01-02 15:04:05.000"))
	path := filepath.Join(t.TempDir(), "payment-service.log.gz")
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(raw.Bytes())
	zw.Close()
	if err := os.WriteFile(path, gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	out, errOut, code := runCLI(t, "ingest", "--url", a.URL(), "--key", ingestKey, path)
	if code != 0 {
		t.Fatalf("lore ingest exited %d: %s %s", code, out, errOut)
	}
	for _, want := range []string{"imported 3 events, rejected 1 lines", "invalid JSON", "payment-service.log.gz:3:"} {
		if !strings.Contains(out, want) {
			t.Errorf("ingest summary lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "lines/s") {
		t.Errorf("ingest printed no progress: %q", errOut)
	}
	flush(t, a)

	out, errOut, code = runCLI(t, "query", "level:error service:payment-service", "--from", "now-1h", "--url", a.URL(), "--key", adminKey)
	if code != 0 || !strings.Contains(out, "payment gateway returned 429") || strings.Contains(out, "started checkout") {
		t.Fatalf("lore query (%d): %s %s", code, out, errOut)
	}
	out, _, code = runCLI(t, "query", "--json", "--url", a.URL(), "--key", adminKey, "service:payment-service")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 3 {
		t.Fatalf("lore query --json: %d lines, want 3:\n%s", len(lines), out)
	}
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil || m["service"] != "payment-service" {
			t.Errorf("JSON line %q: %v", l, err)
		}
	}

	out, errOut, code = runCLI(t, "story", "trace", trace, "--url", a.URL(), "--key", adminKey)
	if code != 0 || !strings.Contains(out, "started checkout") || !strings.Contains(out, "429") || !strings.Contains(out, "failed") {
		t.Fatalf("lore story (%d):\n%s%s", code, out, errOut)
	}

	_, errOut, code = runCLI(t, "query", "level:error", "--url", a.URL(), "--key", ingestKey)
	if code == 0 || !strings.Contains(errOut, "read key") {
		t.Fatalf("query with an ingest key must fail clearly: %d %s", code, errOut)
	}
}
