package duckdb

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
)

var (
	_ sqlq.Executor   = (*Store)(nil)
	_ store.Narrative = (*Store)(nil)
)

// Dialect is DuckDB's: the spelling the analyses build their queries in.
func (s *Store) Dialect() sqlq.Dialect { return sqlq.DuckDB{} }

// Run executes a compiled query under ctx's deadline, or the store's
// QueryTimeout when ctx has none, and hands each row to row. The query's
// arguments are bound through bindArgs on a copy, so q (and its Key) is
// left as it was.
func (s *Store) Run(ctx context.Context, q sqlq.Query, row func(sqlq.Scanner) error) error {
	args := append([]any(nil), q.Args...)
	err := s.eachRow(ctx, q.SQL, args, func(rows *sql.Rows) error { return row(rows) })
	if err != nil {
		return fmt.Errorf("query %s: %w", q.Name, err)
	}
	return nil
}

// eachRow runs q and calls fn for every row.
func (s *Store) eachRow(ctx context.Context, q string, args []any, fn func(*sql.Rows) error) error {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
