// Package monitor evaluates Lore's monitors (alert rules kept in the
// metadata database, internal/meta): it measures each monitor's series
// over its window — events, latencies and error rates from the events
// store, issues, uptime checks, story cards, services leaving their
// baselines — moves each series through its states (ok, pending, alert,
// no_data; error when the measurement fails), records the changes and
// queues the notifications, with their evidence, in the outbox that
// internal/notify delivers.
//
// The decisions — is a monitor due, how a reading compares with its
// threshold, which state follows, what is notified (Advance, Plan) — are
// pure functions of their inputs and the time given, tested with a fake
// clock; Evaluator does the I/O around them.
package monitor

import (
	"math"
	"slices"
	"time"
)

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

// Due reports whether a monitor last evaluated at last (zero: never) is to
// be evaluated at now, given its interval.
func Due(last time.Time, interval time.Duration, now time.Time) bool {
	return last.IsZero() || !now.Before(last.Add(interval))
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
