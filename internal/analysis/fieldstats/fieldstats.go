// Package fieldstats reads the field catalogue (the data dictionary's
// source): which fields were seen with which type from which service per
// hour, and a sketch of each field's values per day. The catalogue's rows
// are written by the fields processor through the store's
// store.FieldRecorder (tables field_seen and field_values); these query
// objects read them through the store's Dialect on any sqlq.Executor, so
// every engine with those two tables answers the data dictionary.
//
// A catalogue may hold several rows for one key (an engine that appends
// each flush instead of merging it): the reads add them up — counts sum,
// first and last times widen, sketches merge bytewise (max) and examples
// unite up to store.MaxFieldExamples — so the answer is the same.
package fieldstats

import (
	"context"
	"fmt"
	"slices"

	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
)

const (
	hour = int64(3_600_000_000)
	day  = 24 * hour
)

// Usage is a query object: the catalogue's rows of the hours overlapping
// [From, To) (µs), summed per field, type and service — Hour is the
// earliest such hour, Count the total, FirstTS and LastTS the extremes —
// in order of field, type and service.
type Usage struct {
	ProjectID int64
	From, To  int64
}

// Key identifies the query, for caching its answer.
func (q Usage) Key() string {
	return fmt.Sprintf("fieldstats.usage:%d:%d:%d", q.ProjectID, q.From, q.To)
}

// Scope is the project and range the query reads.
func (q Usage) Scope() sqlq.Scope { return sqlq.Scope{ProjectID: q.ProjectID, From: q.From, To: q.To} }

// Query compiles the query in d's spelling.
func (q Usage) Query(d sqlq.Dialect) (sqlq.Query, error) {
	var b sqlq.Builder
	b.Add("SELECT field, type, service, min(hour), "+d.Int64("sum(count)")+", min(first_ts), max(last_ts) FROM field_seen "+
		"WHERE project_id = ? AND hour > ? AND hour < ? GROUP BY field, type, service ORDER BY field, type, service",
		q.ProjectID, q.From-hour, q.To)
	return b.Query("fieldstats.usage", q.Scope())
}

// Run answers the query on ex.
func (q Usage) Run(ctx context.Context, ex sqlq.Executor) ([]store.FieldSeen, error) {
	return seenRows(ctx, ex, q.ProjectID, q)
}

// FirstSeen is a query object: per field and type, over the whole
// catalogue of the project, the first time it was ever seen (FirstTS),
// the last (LastTS), its earliest hour and its total count (Service
// empty), in order of field and type.
type FirstSeen struct {
	ProjectID int64
}

// Key identifies the query, for caching its answer.
func (q FirstSeen) Key() string { return fmt.Sprintf("fieldstats.first_seen:%d", q.ProjectID) }

// Scope is the project the query reads (every time).
func (q FirstSeen) Scope() sqlq.Scope {
	return sqlq.Scope{ProjectID: q.ProjectID, From: -1 << 63, To: 1<<63 - 1}
}

// Query compiles the query in d's spelling.
func (q FirstSeen) Query(d sqlq.Dialect) (sqlq.Query, error) {
	var b sqlq.Builder
	b.Add("SELECT field, type, '', min(hour), "+d.Int64("sum(count)")+", min(first_ts), max(last_ts) FROM field_seen "+
		"WHERE project_id = ? GROUP BY field, type ORDER BY field, type", q.ProjectID)
	return b.Query("fieldstats.first_seen", q.Scope())
}

// Run answers the query on ex.
func (q FirstSeen) Run(ctx context.Context, ex sqlq.Executor) ([]store.FieldSeen, error) {
	return seenRows(ctx, ex, q.ProjectID, q)
}

// compiler is a query object of this package.
type compiler interface {
	Query(d sqlq.Dialect) (sqlq.Query, error)
}

// seenRows runs a query of field_seen rows (field, type, service, hour,
// count, first, last).
func seenRows(ctx context.Context, ex sqlq.Executor, project int64, c compiler) ([]store.FieldSeen, error) {
	q, err := c.Query(ex.Dialect())
	if err != nil {
		return nil, fmt.Errorf("read field catalogue of project %d: %w", project, err)
	}
	var out []store.FieldSeen
	err = ex.Run(ctx, q, func(row sqlq.Scanner) error {
		r := store.FieldSeen{ProjectID: project}
		if err := row.Scan(&r.Field, &r.Type, &r.Service, &r.Hour, &r.Count, &r.FirstTS, &r.LastTS); err != nil {
			return err
		}
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read field catalogue of project %d: %w", project, err)
	}
	return out, nil
}

// ValueDays is a query object: what the catalogue knows of the fields'
// values on the days overlapping [From, To) (µs), one row per day and
// field, in order of field and day.
type ValueDays struct {
	ProjectID int64
	From, To  int64
}

// Key identifies the query, for caching its answer.
func (q ValueDays) Key() string {
	return fmt.Sprintf("fieldstats.value_days:%d:%d:%d", q.ProjectID, q.From, q.To)
}

// Scope is the project and range the query reads.
func (q ValueDays) Scope() sqlq.Scope {
	return sqlq.Scope{ProjectID: q.ProjectID, From: q.From, To: q.To}
}

// Query compiles the query in d's spelling.
func (q ValueDays) Query(sqlq.Dialect) (sqlq.Query, error) {
	var b sqlq.Builder
	b.Add("SELECT day, field, sketch, examples FROM field_values WHERE project_id = ? AND day > ? AND day < ? ORDER BY field, day",
		q.ProjectID, q.From-day, q.To)
	return b.Query("fieldstats.value_days", q.Scope())
}

// Run answers the query on ex, merging the rows of one day and field.
func (q ValueDays) Run(ctx context.Context, ex sqlq.Executor) ([]store.FieldValues, error) {
	cq, err := q.Query(ex.Dialect())
	if err != nil {
		return nil, fmt.Errorf("read field values of project %d: %w", q.ProjectID, err)
	}
	var out []store.FieldValues
	err = ex.Run(ctx, cq, func(row sqlq.Scanner) error {
		v := store.FieldValues{ProjectID: q.ProjectID}
		var sketch, ex any
		if err := row.Scan(&v.Day, &v.Field, &sketch, &ex); err != nil {
			return err
		}
		v.Sketch, v.Examples = bytesOf(sketch), stringsOf(ex)
		if n := len(out); n > 0 && out[n-1].Day == v.Day && out[n-1].Field == v.Field {
			last := &out[n-1]
			last.Sketch = store.MergeSketch(last.Sketch, v.Sketch)
			last.Examples = store.MergeExamples(last.Examples, v.Examples)
			return nil
		}
		out = append(out, v)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read field values of project %d: %w", q.ProjectID, err)
	}
	return out, nil
}

// bytesOf is a sketch as an engine returns it: bytes, or a string of them.
func bytesOf(v any) []byte {
	switch x := v.(type) {
	case []byte:
		return slices.Clone(x)
	case string:
		return []byte(x)
	}
	return nil
}

// stringsOf is a list of strings as an engine returns it.
func stringsOf(v any) []string {
	switch xs := v.(type) {
	case []string:
		return slices.Clone(xs)
	case []any:
		out := make([]string, 0, len(xs))
		for _, x := range xs {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return []string{}
}
