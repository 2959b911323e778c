package sim

import (
	"bytes"
	"testing"
	"time"
)

func TestWorkloadExactAndDeterministic(t *testing.T) {
	start := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	f := func(n int) {
		t.Helper()
		a := Workload(7, n, start, 6*time.Hour)
		b := Workload(7, n, start, 6*time.Hour)
		total := 0
		for i, r := range a {
			total += r.Events
			if r.Events <= 0 || len(r.Body) == 0 {
				t.Fatalf("n=%d: request %d is empty: %+v", n, i, r)
			}
			if r.Path == PathLogs && bytes.Count(r.Body, []byte("\n")) != r.Events {
				t.Fatalf("n=%d: request %d has %d lines, says %d events", n, i, bytes.Count(r.Body, []byte("\n")), r.Events)
			}
		}
		if total != n {
			t.Fatalf("Workload(%d) has %d events", n, total)
		}
		if len(a) != len(b) {
			t.Fatalf("n=%d: %d vs %d requests for the same seed", n, len(a), len(b))
		}
		for i := range a {
			if !bytes.Equal(a[i].Body, b[i].Body) {
				t.Fatalf("n=%d: request %d differs for the same seed", n, i)
			}
		}
	}
	f(1)
	f(1999)
	f(20000)
}

func BenchmarkWorkload(b *testing.B) {
	start := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	const n = 100000
	for b.Loop() {
		Workload(1, n, start, 24*time.Hour)
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
