package monitor

import (
	"math"
	"testing"
	"time"
)

func TestCompare(t *testing.T) {
	f := func(op string, v, threshold float64, want bool) {
		t.Helper()
		if got := Compare(op, v, threshold); got != want {
			t.Errorf("Compare(%q, %g, %g) = %v, want %v", op, v, threshold, got, want)
		}
	}
	f(">", 11, 10, true)
	f(">", 10, 10, false)
	f(">=", 10, 10, true)
	f("<", 0, 1, true) // "too few events" monitors
	f("<=", 1, 1, true)
	f("<=", 2, 1, false)
	f("", 5, 1, true)    // > by default
	f("!=", 5, 1, false) // unknown ops never fire
	if o := observe(Reading{NoData: true, Value: 99}, Rule{Op: ">", Threshold: 1}); !o.noData {
		t.Error("a reading without data is observed as data")
	}
	if o := observe(Reading{Value: math.NaN()}, Rule{Op: ">", Threshold: 1}); !o.noData {
		t.Error("NaN is observed as data")
	}
}

func TestDue(t *testing.T) {
	t0 := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	f := func(last time.Time, interval time.Duration, now time.Time, want bool) {
		t.Helper()
		if got := Due(last, interval, now); got != want {
			t.Errorf("Due(%v, %v, %v) = %v, want %v", last, interval, now, got, want)
		}
	}
	f(time.Time{}, time.Minute, t0, true) // never evaluated
	f(t0, time.Minute, t0.Add(59*time.Second), false)
	f(t0, time.Minute, t0.Add(time.Minute), true)
	f(t0, time.Minute, t0.Add(-time.Hour), false) // clock went back
}

func TestPercentile(t *testing.T) {
	f := func(values []float64, p, want float64) {
		t.Helper()
		if got := Percentile(values, p); math.Abs(got-want) > 1e-9 {
			t.Errorf("Percentile(%v, %g) = %g, want %g", values, p, got, want)
		}
	}
	f([]float64{5}, 0.95, 5)
	f([]float64{3, 1, 2}, 0.5, 2)
	// 1..100: position 0.95*99 = 94.05, between 95 and 96.
	vals := make([]float64, 100)
	for i := range vals {
		vals[99-i] = float64(i + 1)
	}
	f(vals, 0.95, 95.05)
	if !math.IsNaN(Percentile(nil, 0.95)) {
		t.Error("Percentile of nothing is not NaN")
	}
}
