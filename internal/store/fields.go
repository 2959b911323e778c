package store

import "context"

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

// FieldCatalog stores the field catalogue that the fields processor
// maintains at ingest. Methods are safe for concurrent use.
type FieldCatalog interface {
	// RecordFields merges rows into the catalogue: counts add up, first
	// and last times widen, sketches merge bytewise (max) and examples
	// are united up to MaxFieldExamples. Rows of one call have distinct
	// keys.
	RecordFields(ctx context.Context, seen []FieldSeen, values []FieldValues) error
	// FieldUsage returns the rows of hours overlapping [from, to)
	// (microseconds), summed per field, type and service: Hour is the
	// earliest such hour, Count the total, FirstTS/LastTS the extremes.
	FieldUsage(ctx context.Context, projectID, from, to int64) ([]FieldSeen, error)
	// FieldFirstSeen returns, per field and type, the first time it was
	// ever seen (FirstTS) and the last (LastTS), over the whole catalogue;
	// Service is empty and Count the total.
	FieldFirstSeen(ctx context.Context, projectID int64) ([]FieldSeen, error)
	// FieldValueDays returns the value rows of days overlapping [from, to).
	FieldValueDays(ctx context.Context, projectID, from, to int64) ([]FieldValues, error)
}
