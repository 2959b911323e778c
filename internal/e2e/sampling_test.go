package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestSampledCountsAreEstimated keeps a tenth of a project's info logs:
// the histogram counts the stored events and estimates the total before
// sampling (each kept info log standing for ten), and says it is
// estimated; the errors, always kept, count once.
func TestSampledCountsAreEstimated(t *testing.T) {
	a := startOn(t, t.TempDir())
	base := a.URL()
	if code, body := putLifecycle(t, base, "sampling", `{"info_logs": 0.1}`); code != 200 {
		t.Fatalf("PUT sampling: %d %s", code, body)
	}
	var b strings.Builder
	now := time.Now().UTC()
	for i := range 3000 {
		level := "info"
		if i%100 == 0 {
			level = "error"
		}
		fmt.Fprintf(&b, `{"ts":%q,"level":%q,"service":"shop","msg":"order %d"}`+"\n", now.Add(-time.Duration(i)*time.Second).Format(time.RFC3339Nano), level, i)
	}
	if code, _, body, err := post(context.Background(), http.DefaultClient, base, "/api/v1/ingest", ingestKey, "application/x-ndjson", []byte(b.String())); err != nil || code != 200 {
		t.Fatalf("ingest: %d %s %v", code, body, err)
	}
	flush(t, a.App)
	var h struct {
		Buckets []struct {
			Count    int64 `json:"count"`
			Estimate int64 `json:"estimate"`
		} `json:"buckets"`
		Sampled *struct {
			Kept           int64 `json:"kept"`
			Total          int64 `json:"total"`
			EstimatedTotal int64 `json:"estimated_total"`
		} `json:"sampled"`
	}
	getJSON(t, base, "/api/v1/histogram", url.Values{"from": {"now-2h"}, "to": {"now+1m"}}, &h)
	if h.Sampled == nil {
		t.Fatal("the histogram does not say its counts are sampled")
	}
	s := h.Sampled
	t.Logf("stored %d, of which %d info logs kept at 0.1; estimated %d", s.Total, s.Kept, s.EstimatedTotal)
	if s.Total != s.Kept+30 || s.Kept < 200 || s.Kept > 420 {
		t.Errorf("stored %d events, %d of them sampled info logs: want the 30 errors and about 297 info logs", s.Total, s.Kept)
	}
	if s.EstimatedTotal != 10*s.Kept+30 {
		t.Errorf("estimated %d, want %d (each kept info log for ten, the errors once)", s.EstimatedTotal, 10*s.Kept+30)
	}
	var sum int64
	for _, b := range h.Buckets {
		if b.Estimate != 0 {
			sum += b.Estimate
		} else {
			sum += b.Count
		}
	}
	if sum != s.EstimatedTotal {
		t.Errorf("the buckets' estimates add up to %d, the total says %d", sum, s.EstimatedTotal)
	}
}
