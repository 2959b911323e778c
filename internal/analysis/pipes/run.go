package pipes

import (
	"context"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"time"

	"github.com/lore-dev/lore/internal/errs"
	"github.com/lore-dev/lore/internal/sqlq"
)

// Result is an answer: its columns and rows. A time column's values are
// microseconds since the epoch; numbers are int64 or float64; NULL is
// nil.
type Result struct {
	Columns []Column `json:"columns"`
	Rows    [][]any  `json:"rows"`
}

// Query is a pipeline over one project's events in [From, To)
// microseconds: the query object the API, the CLI, dashboards and
// monitors run.
type Query struct {
	Pipeline  *Pipeline
	ProjectID int64
	From, To  int64
}

// Archive is implemented by an executor whose store keeps older days
// outside its events table (DuckDB's cold tier, `lore serve --archive`).
// ArchivedEvents returns the events table's columns that use wants (at
// least project_id and ts) and a FROM item reading them from the
// project's archived rows of the days overlapping [from, to), named by
// the store's own listing of its files (never by the query's text); src
// is "" when the archive holds none of those days.
type Archive interface {
	ArchivedEvents(ctx context.Context, project, from, to int64, use func(column string) bool) (cols []string, src string, err error)
}

// Sampling is implemented by an executor whose store may hold events a
// project's sampling kept (lore.sample_rate). SampleWeight returns an SQL
// expression of an event's weight in an estimated count — 1/rate for an
// event sampling kept, NULL for any other — when a day of [from, to) may
// hold such events, else "" (counts stay plain, and cost what they did).
type Sampling interface {
	SampleWeight(ctx context.Context, project, from, to int64) string
}

// Run compiles q for the executor's engine and runs it there (under
// ctx's deadline, or the store's). When the executor has an archive
// (Archive) and the range reaches archived days, the one statement reads
// those days' files too, only the columns the pipeline names; when its
// store sampled events in the range (Sampling), counts of events are
// estimates before sampling, their columns marked Estimated.
//
// Exact percentiles and uniq hold every value of their groups; when the
// engine runs out of memory for them, Run runs the pipeline again at the
// next approxLevel (percentiles from a t-digest and uniq over hashes,
// then uniq from a HyperLogLog) and marks those columns Approximate: an
// answer, marked, as Grafana or Kibana would give, rather than an error.
// Only when the last level too runs out of memory is the answer an
// Unavailable error naming --store-memory.
//
// When the last pipe is a timechart, its answer has every bucket of the
// range for every series, empty ones filled (0 for counts, NULL for
// values of the events): buckets.fill.
func (q Query) Run(ctx context.Context, ex sqlq.Executor) (Result, error) {
	var weight string
	if sm, ok := ex.(Sampling); ok {
		weight = sm.SampleWeight(ctx, q.ProjectID, q.From, q.To)
	}
	c, err := compile(q.Pipeline, ex.Dialect(), q.ProjectID, q.From, q.To, nil, weight, levelExact)
	if err != nil {
		return Result{}, err
	}
	var arch *cold
	if a, ok := ex.(Archive); ok {
		words := identifiers(c.Query.SQL)
		cols, src, err := a.ArchivedEvents(ctx, q.ProjectID, q.From, q.To, func(col string) bool { return words[col] })
		if err != nil {
			return Result{}, fmt.Errorf("pipes: list the archived days of [%d, %d): %w", q.From, q.To, err)
		}
		if src != "" {
			arch = &cold{cols: cols, src: src}
			if c, err = compile(q.Pipeline, ex.Dialect(), q.ProjectID, q.From, q.To, arch, weight, levelExact); err != nil {
				return Result{}, err
			}
		}
	}
	res, err := run(ctx, ex, c)
	level := levelExact
	for err != nil && sqlq.OutOfMemory(err) && c.degradable && level < levelSketched && ctx.Err() == nil {
		level++
		if c, err = compile(q.Pipeline, ex.Dialect(), q.ProjectID, q.From, q.To, arch, weight, level); err != nil {
			return Result{}, err
		}
		res, err = run(ctx, ex, c)
	}
	if err != nil {
		if sqlq.OutOfMemory(err) {
			msg := "the query needs more memory than the store may use now (lore serve --store-memory); try a shorter range or fewer groups"
			if level > levelExact {
				msg = "the query needs more memory than the store may use now (lore serve --store-memory), even with approximate percentiles and uniq; try a shorter range or fewer groups"
			}
			return Result{}, &errs.Error{Kind: errs.Unavailable, RetryAfter: 5, Err: err, Msg: msg}
		}
		return Result{}, err
	}
	return res, nil
}

// run runs a compiled pipeline and reads its rows (a timechart's with
// every bucket filled: Compiled.fill).
func run(ctx context.Context, ex sqlq.Executor, c Compiled) (Result, error) {
	res := Result{Columns: c.Columns, Rows: [][]any{}}
	n := len(c.Columns)
	err := ex.Run(ctx, c.Query, func(s sqlq.Scanner) error {
		vals := make([]any, n)
		ptrs := make([]any, n)
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := s.Scan(ptrs...); err != nil {
			return fmt.Errorf("read a row: %w", err)
		}
		for i, v := range vals {
			vals[i] = Normalize(v)
		}
		res.Rows = append(res.Rows, vals)
		return nil
	})
	if err == nil && c.fill != nil {
		res.Rows = c.fill.fill(res.Rows)
	}
	return res, err
}

// identifiers is the set of words of a compiled statement that could name
// a column: a superset of the columns it reads (the names inside quoted
// aliases, such as "c:p95(duration_ms)", and the SQL's own words are in
// it too, which costs nothing).
func identifiers(sql string) map[string]bool {
	words := map[string]bool{}
	start := -1
	for i := 0; i <= len(sql); i++ {
		word := i < len(sql) && (sql[i] == '_' || sql[i] >= 'a' && sql[i] <= 'z' || sql[i] >= 'A' && sql[i] <= 'Z' || start >= 0 && sql[i] >= '0' && sql[i] <= '9')
		switch {
		case word && start < 0:
			start = i
		case !word && start >= 0:
			words[sql[start:i]] = true
			start = -1
		}
	}
	return words
}

// Normalize maps a driver's value to int64, float64, string, bool or nil
// (NaN and infinities, which JSON cannot hold, become nil); a time to its
// microseconds; lists, maps and structs to []any and map[string]any of
// such values; a decimal to float64; anything else to its text.
func Normalize(v any) any {
	switch x := v.(type) {
	case nil, string, bool, int64:
		return x
	case []byte:
		return string(x)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil
		}
		return x
	case float32:
		return Normalize(float64(x))
	case int:
		return int64(x)
	case int32:
		return int64(x)
	case int16:
		return int64(x)
	case int8:
		return int64(x)
	case uint64:
		if x <= math.MaxInt64 {
			return int64(x)
		}
		return float64(x)
	case uint32:
		return int64(x)
	case uint16:
		return int64(x)
	case uint8:
		return int64(x)
	case *big.Int:
		if x.IsInt64() {
			return x.Int64()
		}
		f, _ := new(big.Float).SetInt(x).Float64()
		return f
	case time.Time:
		return x.UnixMicro()
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = Normalize(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = Normalize(e)
		}
		return out
	case interface{ Float64() float64 }: // DuckDB's DECIMAL
		return Normalize(x.Float64())
	case fmt.Stringer:
		return x.String()
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Map { // DuckDB's MAP
		out := make(map[string]any, rv.Len())
		for it := rv.MapRange(); it.Next(); {
			out[fmt.Sprint(Normalize(it.Key().Interface()))] = Normalize(it.Value().Interface())
		}
		return out
	}
	return fmt.Sprint(v)
}
