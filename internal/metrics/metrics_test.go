package metrics

import (
	"strings"
	"testing"
)

func TestExposition(t *testing.T) {
	r := New()
	c := r.Counter("lore_events_rejected_total", "Events rejected.", "path", "reason")
	c.Add(2, "/api/v1/ingest", "invalid JSON")
	c.Add(1, "/api/v1/ingest", `quote"d`)
	r.Gauge("lore_queue_depth", "Pending events.", func() float64 { return 7 })
	r.HistogramFunc("lore_commit_seconds", "Commit latency.", func() Histogram {
		return Histogram{Bounds: []float64{0.001, 0.01}, Counts: []uint64{3, 5}, Count: 6, Sum: 0.04}
	})
	var b strings.Builder
	r.Write(&b)
	out := b.String()
	for _, want := range []string{
		"# TYPE lore_events_rejected_total counter\n",
		`lore_events_rejected_total{path="/api/v1/ingest",reason="invalid JSON"} 2` + "\n",
		`lore_events_rejected_total{path="/api/v1/ingest",reason="quote\"d"} 1` + "\n",
		"lore_queue_depth 7\n",
		`lore_commit_seconds_bucket{le="0.01"} 5` + "\n",
		`lore_commit_seconds_bucket{le="+Inf"} 6` + "\n",
		"lore_commit_seconds_count 6\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
}
