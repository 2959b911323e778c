package sqlview

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/lore-dev/lore/internal/analysis/pipes"
	"github.com/lore-dev/lore/internal/errs"
	"github.com/lore-dev/lore/internal/sqlq"
)

// MaxRows caps the rows of an answer.
const MaxRows = 10000

// maxBytes caps the text of an answer's values.
const maxBytes = 32 << 20

// JSON is the type of a column of lists, maps or structs: its values are
// JSON arrays and objects.
const JSON pipes.Type = "json"

// Query is read-only SQL over one project's events in [From, To)
// microseconds.
type Query struct {
	SQL       string
	ProjectID int64
	From, To  int64
}

// Result is an answer: its columns, rows (values as pipes.Result's: a
// "time" column's values are microseconds) and whether MaxRows cut it.
type Result struct {
	pipes.Result
	Truncated bool
}

// columnReader is what database/sql's rows give beyond Scan: the answer's
// column names and types.
type columnReader interface {
	ColumnTypes() ([]*sql.ColumnType, error)
}

// Run checks q.SQL (Check) and runs it over the events view of the
// project and range, under ctx. A text refused, or one the engine cannot
// bind or compute (an unknown column, a bad cast), is an errs.Invalid
// error quoting why.
func (q Query) Run(ctx context.Context, ex sqlq.Executor) (Result, error) {
	if q.To <= q.From {
		return Result{}, errs.Invalidf("empty time range [%d, %d)", q.From, q.To)
	}
	if ex.Dialect().Name() == "clickhouse" {
		return q.runClickHouse(ctx, ex)
	}
	canonical, err := Check(ctx, ex, q.SQL)
	if err != nil {
		return Result{}, invalid(err)
	}
	cq := sqlq.Query{Name: "sqlview", SQL: viewSQL() + "SELECT * FROM (\n" + canonical + "\n) AS lore_sql LIMIT ?",
		Args: []any{q.ProjectID, q.From, q.To, int64(MaxRows + 1)}, Scope: sqlq.Scope{ProjectID: q.ProjectID, From: q.From, To: q.To}}
	return collect(ctx, ex, cq)
}

// collect runs cq and reads its answer: at most MaxRows rows (Truncated
// when there were more), at most maxBytes of values.
func collect(ctx context.Context, ex sqlq.Executor, cq sqlq.Query) (Result, error) {
	res := Result{Result: pipes.Result{Rows: [][]any{}}}
	size := 0
	err := ex.Run(ctx, cq, func(s sqlq.Scanner) error {
		if res.Columns == nil {
			cols, err := columns(s)
			if err != nil {
				return err
			}
			res.Columns = cols
		}
		if err := ctx.Err(); err != nil { // the driver's conversion of a row takes time too
			return err
		}
		if len(res.Rows) == MaxRows {
			res.Truncated = true
			return nil
		}
		vals := make([]any, len(res.Columns))
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := s.Scan(ptrs...); err != nil {
			return fmt.Errorf("read a row: %w", err)
		}
		for i, v := range vals {
			if res.Columns[i].Type == pipes.Time {
				v = chTime(v) // ClickHouse's text; DuckDB's time.Time is left as it is
			}
			vals[i] = pipes.Normalize(v)
			size += sizeOf(vals[i])
		}
		if size > maxBytes {
			return errs.New(errs.TooLarge, "the answer holds more than %d MiB: select fewer columns or rows", maxBytes>>20)
		}
		res.Rows = append(res.Rows, vals)
		return nil
	})
	if err != nil {
		if ctx.Err() != nil { // the engine's interrupt says less than ctx
			return Result{}, fmt.Errorf("run the SQL: %w (%w)", ctx.Err(), err)
		}
		return Result{}, chInvalid(invalid(err))
	}
	if res.Columns == nil {
		res.Columns = []pipes.Column{}
	}
	return res, nil
}

// sizeOf is about how many bytes v takes in an answer: a string its
// length, a list or map its elements' and 16 bytes each, anything else 8.
func sizeOf(v any) int {
	switch x := v.(type) {
	case string:
		return len(x)
	case []any:
		n := 16
		for _, e := range x {
			n += 16 + sizeOf(e)
		}
		return n
	case map[string]any:
		n := 16
		for k, e := range x {
			n += 16 + len(k) + sizeOf(e)
		}
		return n
	}
	return 8
}

// columns are the answer's columns, named and typed as the engine says.
func columns(s sqlq.Scanner) ([]pipes.Column, error) {
	if ch, ok := s.(chColumns); ok {
		names, types := ch.ColumnNames(), ch.TypeNames()
		cols := make([]pipes.Column, len(names))
		for i := range names {
			cols[i] = pipes.Column{Name: names[i], Type: chTypeOf(types[i])}
		}
		return cols, nil
	}
	cr, ok := s.(columnReader)
	if !ok {
		return nil, errors.New("the store's rows do not say their columns")
	}
	cts, err := cr.ColumnTypes()
	if err != nil {
		return nil, fmt.Errorf("read the answer's columns: %w", err)
	}
	cols := make([]pipes.Column, len(cts))
	for i, ct := range cts {
		cols[i] = pipes.Column{Name: ct.Name(), Type: typeOf(ct.DatabaseTypeName())}
	}
	return cols, nil
}

// typeOf maps an engine type name to an answer's column type.
func typeOf(t string) pipes.Type {
	t = strings.ToUpper(t)
	switch {
	case strings.HasPrefix(t, "TIMESTAMP") || t == "DATE":
		return pipes.Time
	case t == "BOOLEAN":
		return pipes.Bool
	case strings.Contains(t, "INT") || t == "FLOAT" || t == "DOUBLE" || strings.HasPrefix(t, "DECIMAL"):
		return pipes.Number
	case strings.HasPrefix(t, "LIST") || strings.HasPrefix(t, "MAP") || strings.HasPrefix(t, "STRUCT") ||
		strings.HasPrefix(t, "ARRAY") || strings.HasSuffix(t, "[]") || strings.HasPrefix(t, "UNION"):
		return JSON
	}
	return pipes.String
}

// invalid classifies err: a refused text, and what the engine could not
// bind or compute for it, are the caller's mistake (errs.Invalid, quoting
// the reason once: the message is the whole text, and the refusal is the
// detail); an engine out of memory is a 503 to try later (the store's
// memory is shared with ingest and other queries); the rest (deadlines,
// I/O) stays as it is.
func invalid(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var ce *Error
	if errors.As(err, &ce) {
		return &errs.Error{Kind: errs.Invalid, Msg: "SQL refused: " + ce.Error(), Detail: ce}
	}
	var de *duckdb.Error
	if errors.As(err, &de) && de.Type == duckdb.ErrorTypeOutOfMemory || sqlq.OutOfMemory(err) {
		return &errs.Error{Kind: errs.Unavailable, RetryAfter: 5, Err: err,
			Msg: "the SQL needs more memory than the store may use now (lore serve --store-memory): aggregate more, select fewer rows or a shorter range, or try again later"}
	}
	if de == nil {
		return err
	}
	switch de.Type {
	case duckdb.ErrorTypeInterrupt, duckdb.ErrorTypeIO, duckdb.ErrorTypeFatal, duckdb.ErrorTypeInternal,
		duckdb.ErrorTypeConnection, duckdb.ErrorTypeTransaction, duckdb.ErrorTypeNetwork, duckdb.ErrorTypeHTTP:
		return err
	}
	return &errs.Error{Kind: errs.Invalid, Msg: "SQL failed: " + de.Msg}
}

// errUnsupported says the store's engine has no SQL view.
func errUnsupported(ex sqlq.Executor) error {
	return errs.New(errs.Unsupported, "read-only SQL runs on DuckDB and ClickHouse; this store's engine is %s", ex.Dialect().Name())
}
