package monitor

import (
	"math"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/meta"
)

func TestDecide(t *testing.T) {
	f := func(r Reading, op string, threshold float64, want string) {
		t.Helper()
		if got := Decide(r, op, threshold); got != want {
			t.Errorf("Decide(%+v, %q, %g) = %s, want %s", r, op, threshold, got, want)
		}
	}
	f(Reading{Value: 11}, ">", 10, meta.StateAlert)
	f(Reading{Value: 10}, ">", 10, meta.StateOK)
	f(Reading{Value: 10}, ">=", 10, meta.StateAlert)
	f(Reading{Value: 0}, "<", 1, meta.StateAlert) // "too few events" monitors
	f(Reading{Value: 1}, "<=", 1, meta.StateAlert)
	f(Reading{Value: 2}, "<=", 1, meta.StateOK)
	f(Reading{Value: 5}, "", 1, meta.StateAlert) // > by default
	f(Reading{NoData: true, Value: 99}, ">", 1, meta.StateNoData)
	f(Reading{Value: math.NaN()}, ">", 1, meta.StateNoData)
	f(Reading{Value: 5}, "!=", 1, meta.StateOK) // unknown ops never fire
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

func TestNotifies(t *testing.T) {
	f := func(from, to string, muted, want bool) {
		t.Helper()
		if got := Notifies(from, to, muted); got != want {
			t.Errorf("Notifies(%s→%s, muted %v) = %v, want %v", from, to, muted, got, want)
		}
	}
	f(meta.StateOK, meta.StateAlert, false, true)
	f(meta.StateNoData, meta.StateAlert, false, true)
	f(meta.StateAlert, meta.StateOK, false, true) // recovery
	f(meta.StateAlert, meta.StateNoData, false, true)
	f(meta.StateNoData, meta.StateOK, false, false) // a new monitor's first reading
	f(meta.StateAlert, meta.StateAlert, false, false)
	f(meta.StateOK, meta.StateAlert, true, false) // muted
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
