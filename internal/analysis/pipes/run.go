package pipes

import (
	"context"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"time"

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

// Run compiles q for the executor's engine and runs it there (under
// ctx's deadline, or the store's).
func (q Query) Run(ctx context.Context, ex sqlq.Executor) (Result, error) {
	c, err := Compile(q.Pipeline, ex.Dialect(), q.ProjectID, q.From, q.To)
	if err != nil {
		return Result{}, err
	}
	res := Result{Columns: c.Columns, Rows: [][]any{}}
	n := len(c.Columns)
	err = ex.Run(ctx, c.Query, func(s sqlq.Scanner) error {
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
	if err != nil {
		return Result{}, err
	}
	return res, nil
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
