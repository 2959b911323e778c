package store

import (
	"context"
	"slices"
)

// FieldSeen is one row of the field catalogue: a field (a core column or
// an attribute key) seen with one type from one service during one hour.
// The catalogue is kept small on purpose — a few thousand rows a day — so
// that the data dictionary never has to unnest the events' attributes.
type FieldSeen struct {
	ProjectID int64
	Hour      int64 // start of the hour, microseconds since the epoch, UTC
	Field     string
	Type      string // "string", "number", "bool", "json"
	Service   string
	Count     int64
	FirstTS   int64 // microseconds; the first and last event time of the row
	LastTS    int64
}

// FieldValues holds what the catalogue knows of a field's values during one
// UTC day: a HyperLogLog sketch of its distinct values and a few examples.
type FieldValues struct {
	ProjectID int64
	Day       int64 // start of the day, microseconds since the epoch, UTC
	Field     string
	// Sketch is a HyperLogLog's registers. Two sketches of the same field
	// and day merge by taking the larger byte at each position, so a
	// backend can merge them without knowing the estimator.
	Sketch   []byte
	Examples []string // at most MaxFieldExamples distinct values
}

// MaxFieldExamples is how many example values a field keeps per day.
const MaxFieldExamples = 5

// FieldRecorder is the field catalogue's write path, which the fields
// processor flushes into (internal/fields): a backend with the catalogue's
// two tables (field_seen: project_id, hour, field, type, service, count,
// first_ts, last_ts; field_values: project_id, day, field, sketch,
// examples) implements it. The reads are query objects on any
// sqlq.Executor (internal/analysis/fieldstats), which add up the rows of
// one key, so a backend may merge a flush into the stored rows (as the
// DuckDB store does) or append it. Methods are safe for concurrent use.
type FieldRecorder interface {
	// RecordFields adds rows to the catalogue: counts add up, first
	// and last times widen, sketches merge bytewise (max, MergeSketch)
	// and examples are united up to MaxFieldExamples (MergeExamples).
	// Rows of one call have distinct keys.
	RecordFields(ctx context.Context, seen []FieldSeen, values []FieldValues) error
}

// MergeSketch merges HyperLogLog registers by taking the larger byte; a
// missing sketch (or one of another size) yields to the longer one.
func MergeSketch(a, b []byte) []byte {
	if len(a) != len(b) {
		if len(a) > len(b) {
			return a
		}
		return b
	}
	out := make([]byte, len(a))
	for i := range a {
		out[i] = max(a[i], b[i])
	}
	return out
}

// MergeExamples is a's examples, then b's not among them, up to
// MaxFieldExamples.
func MergeExamples(a, b []string) []string {
	out := append([]string{}, a...)
	for _, x := range b {
		if len(out) >= MaxFieldExamples {
			break
		}
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}
