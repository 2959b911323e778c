package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestLatencyPercentiles sends spans and logs as JSON lines and reads the
// spans' duration percentiles back, for all services and for one, as the
// Overview's p95 number does.
func TestLatencyPercentiles(t *testing.T) {
	a := startApp(t)
	var b strings.Builder
	now := time.Now().UTC()
	for i := range 100 {
		svc := []string{"checkout", "payment"}[i%2]
		fmt.Fprintf(&b, `{"ts":%q,"kind":"span","service":%q,"name":"POST /pay","duration_ms":%d}`+"\n",
			now.Add(-time.Duration(i)*time.Second).Format(time.RFC3339Nano), svc, (i+1)*10)
	}
	fmt.Fprintf(&b, `{"ts":%q,"service":"checkout","msg":"slow log","duration_ms":99999}`+"\n", now.Format(time.RFC3339Nano))
	code, _, body, err := post(t.Context(), http.DefaultClient, a.URL(), "/api/v1/ingest", ingestKey, "application/x-ndjson", []byte(b.String()))
	if err != nil || code != 200 {
		t.Fatalf("ingest: %d %s %v", code, body, err)
	}
	flush(t, a)
	var all, pay struct {
		Spans int64   `json:"spans"`
		P50   float64 `json:"p50_ms"`
		P95   float64 `json:"p95_ms"`
		P99   float64 `json:"p99_ms"`
	}
	getJSON(t, a.URL(), "/api/v1/latency", url.Values{"from": {"now-1h"}}, &all)
	if all.Spans != 100 || all.P50 != 505 || all.P95 != 950.5 || all.P99 != 990.1 {
		t.Errorf("latency of every span = %+v, want 100 spans, p50 505, p95 950.5, p99 990.1 ms", all)
	}
	getJSON(t, a.URL(), "/api/v1/latency", url.Values{"from": {"now-1h"}, "q": {"service:payment"}}, &pay)
	if pay.Spans != 50 || pay.P50 != 510 {
		t.Errorf("latency of payment = %+v, want 50 spans, p50 510 ms", pay)
	}
}
