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

func TestWorkloadCoversAboutTheSpan(t *testing.T) {
	start := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	d := &decodeSink{t: t}
	for _, r := range Workload(3, 30000, start, 2*time.Hour) {
		var err error
		if r.Path == PathLogs {
			err = d.Logs(t.Context(), r.Body)
		} else {
			err = d.Spans(t.Context(), r.Body)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	evs := d.sorted()
	got := time.UnixMicro(evs[len(evs)-1].ts).Sub(start)
	if len(evs) != 30000 || got < time.Hour || got > 4*time.Hour {
		t.Fatalf("%d events over %v, want 30000 over about 2h", len(evs), got)
	}
}
