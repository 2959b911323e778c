package e2e

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestIngestStraightIntoADataDirectory imports a file with `lore ingest
// --data DIR` (no server), then serves that directory and finds the events
// processed as the server's ingest processes them: an error log with a
// stack trace opens an issue, every log carries its pattern id; the keys
// of the project it created are printed once.
func TestIngestStraightIntoADataDirectory(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	now := time.Now().UTC()
	for i := range 500 {
		fmt.Fprintf(&b, "%s ERROR checkout failed for order %d\n", now.Add(-time.Duration(i)*time.Second).Format(time.RFC3339), i)
	}
	file := filepath.Join(t.TempDir(), "legacy.log")
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	crash := fmt.Sprintf(`{"ts":%q,"level":"error","service":"billing","msg":"charge failed","error.type":"ValueError","error.stack":"Traceback (most recent call last):\n  File \"/app/billing/charge.py\", line 42, in charge\n    amount = parse(req)\nValueError: bad amount"}`+"\n",
		now.Add(-time.Minute).Format(time.RFC3339Nano))
	jsonFile := filepath.Join(t.TempDir(), "billing.ndjson")
	if err := os.WriteFile(jsonFile, []byte(crash), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runCLI(t, "ingest", "--data", dir, file, jsonFile)
	if code != 0 || !strings.Contains(out, "imported 501 events, rejected 0 lines") {
		t.Fatalf("lore ingest --data (%d): %s %s", code, out, errOut)
	}
	if !strings.Contains(errOut, "ingest key: lore_in_") || !strings.Contains(errOut, "read key:   lore_rd_") {
		t.Errorf("lore ingest --data on a new directory does not print its keys: %s", errOut)
	}
	p := startLore(t, dir)
	counts, total := facetCounts(t, p.url, "checkout failed", "service")
	if total != 500 || counts["legacy"] != 500 {
		t.Fatalf("served %d events (%v), want 500 from service legacy (the file's name)", total, counts)
	}
	counts, _ = facetCounts(t, p.url, "service:legacy", "level")
	if counts["error"] != 500 {
		t.Fatalf("levels of plain-text lines: %v", counts)
	}
	counts, _ = facetCounts(t, p.url, "service:legacy", "pattern_id")
	if len(counts) != 1 {
		t.Errorf("the 500 lines of one template have pattern ids %v, want one", counts)
	}
	var issues struct {
		Issues []struct {
			Title string `json:"title"`
			Count int64  `json:"count"`
		} `json:"issues"`
	}
	getJSON(t, p.url, "/api/v1/issues", url.Values{"from": {"now-1d"}, "sort": {"count"}}, &issues)
	// Every error is an issue: the 500 error lines of one template are one
	// issue, the logged exception another.
	if len(issues.Issues) != 2 || issues.Issues[0].Count != 500 || !strings.Contains(issues.Issues[1].Title, "ValueError") || issues.Issues[1].Count != 1 {
		t.Errorf("issues after lore ingest --data: %+v, want the template's 500 errors and one ValueError", issues.Issues)
	}
}

// TestHealthAndMetrics checks what an operator scrapes.
func TestHealthAndMetrics(t *testing.T) {
	// Retention runs at start (and hourly): finding nothing to delete, it
	// keeps the node's remembered answers, which the figures below count.
	a := startApp(t)
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(a.URL() + path)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: %v %v", path, resp, err)
		}
		resp.Body.Close()
	}
	post(t.Context(), http.DefaultClient, a.URL(), "/api/v1/ingest", ingestKey, "application/x-ndjson", []byte("{\"msg\":\"ok\"}\n{\"msg\":\n"))
	flush(t, a)
	// The same service map over a past hour twice: the second is the
	// resolver's cached answer.
	past := url.Values{"from": {time.Now().Add(-2 * time.Hour).UTC().Format(time.RFC3339)}, "to": {time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)}}
	var m map[string]any
	getJSON(t, a.URL(), "/api/v1/services/map", past, &m)
	getJSON(t, a.URL(), "/api/v1/services/map", past, &m)
	resp, err := http.Get(a.URL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`lore_events_accepted_total{path="/api/v1/ingest"} 1`,
		`lore_events_rejected_total{path="/api/v1/ingest",reason="invalid JSON"} 1`,
		"lore_ingest_queue_events 0",
		"# TYPE lore_commit_seconds histogram",
		"lore_commit_seconds_count 1",
		"lore_store_events 1",
		"lore_store_disk_bytes ",
		"lore_query_cache_misses_total ",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q:\n%s", want, body)
		}
	}
	for _, name := range []string{"lore_query_cache_hits_total", "lore_query_cache_entries"} {
		var v int
		if i := strings.Index(string(body), "\n"+name+" "); i < 0 {
			t.Errorf("/metrics lacks %s", name)
		} else if fmt.Sscan(string(body[i+len(name)+2:]), &v); v < 1 {
			t.Errorf("%s %d after the same past service map twice, want at least 1", name, v)
		}
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("Content-Type %q", ct)
	}
}
