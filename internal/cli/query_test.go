package cli

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestQueryMarksColumns: lore query prints a column the API marks
// estimated or approximate with the mark after its name, and says why on
// stderr (the table itself stays what a script reads).
func TestQueryMarksColumns(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/query" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"columns":[{"name":"endpoint","type":"string"},{"name":"n","type":"number","estimated":true},` +
			`{"name":"p95","type":"number","approximate":true}],"rows":[["/pay",2010,35.85]],"took_ms":3,"aggregate":true}`))
	}))
	defer srv.Close()
	var out, errOut bytes.Buffer
	err := runQuery(context.Background(), []string{"--url", srv.URL, "--key", "k", "| stats count() as n, p95(duration_ms) as p95 by endpoint"},
		Stdio{In: strings.NewReader(""), Out: &out, Err: &errOut})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || strings.Join(strings.Fields(lines[0]), " ") != "endpoint n (estimated) p95 (approximate)" || strings.Join(strings.Fields(lines[1]), " ") != "/pay 2010 35.85" {
		t.Errorf("table:\n%s", out.String())
	}
	if e := errOut.String(); !strings.Contains(e, "n: estimated before sampling") || !strings.Contains(e, "p95: approximate, the exact answer needed more memory than the server's --store-memory") {
		t.Errorf("stderr: %q", e)
	}
}
