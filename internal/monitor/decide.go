// Package monitor evaluates Lore's monitors (alert rules kept in the
// metadata database, internal/meta): it measures each monitor's value over
// its window with the events store's read API and the issue signals,
// decides its state (ok, alert or no_data), records each change in the
// monitor's history and posts it to the monitor's webhook.
//
// The decisions — is a monitor due, how a reading compares with its
// threshold, which state follows, whether a change notifies — are pure
// functions of their inputs and the time given, so they are tested with a
// fake clock; Evaluator does the I/O around them.
package monitor

import (
	"math"
	"slices"
	"time"

	"github.com/lore-dev/lore/internal/meta"
)

// Reading is one measurement of a monitor over its window. NoData means
// there was nothing to measure (no matching spans for a latency monitor, no
// matching events for an error rate); Value is then meaningless.
type Reading struct {
	Value   float64
	NoData  bool
	Samples int64 // the events the value was computed from
}

// Compare applies a monitor's comparison: is v op threshold? An unknown op
// never matches.
func Compare(op string, v, threshold float64) bool {
	switch op {
	case ">", "":
		return v > threshold
	case ">=":
		return v >= threshold
	case "<":
		return v < threshold
	case "<=":
		return v <= threshold
	}
	return false
}

// Decide is the state a reading puts a monitor in: no_data without data,
// alert when the value crosses the threshold, else ok.
func Decide(r Reading, op string, threshold float64) string {
	if r.NoData || math.IsNaN(r.Value) {
		return meta.StateNoData
	}
	if Compare(op, r.Value, threshold) {
		return meta.StateAlert
	}
	return meta.StateOK
}

// Due reports whether a monitor last evaluated at last (zero: never) is to
// be evaluated at now, given its interval.
func Due(last time.Time, interval time.Duration, now time.Time) bool {
	return last.IsZero() || !now.Before(last.Add(interval))
}

// Notifies reports whether a change of state from → to is sent to the
// monitor's webhook: entering alert, and leaving it (the recovery), unless
// the monitor is muted. Changes between ok and no_data only go to history.
func Notifies(from, to string, muted bool) bool {
	if muted || from == to {
		return false
	}
	return to == meta.StateAlert || from == meta.StateAlert
}

// Percentile is the p-th quantile (0..1) of values by linear interpolation
// between closest ranks (DuckDB's quantile_cont); NaN for none. It sorts
// values in place.
func Percentile(values []float64, p float64) float64 {
	if len(values) == 0 {
		return math.NaN()
	}
	slices.Sort(values)
	pos := p * float64(len(values)-1)
	lo := int(math.Floor(pos))
	hi := int(math.Ceil(pos))
	if lo == hi {
		return values[lo]
	}
	return values[lo] + (values[hi]-values[lo])*(pos-float64(lo))
}
