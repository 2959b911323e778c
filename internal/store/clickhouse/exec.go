package clickhouse

import (
	"context"
	"fmt"

	"github.com/lore-dev/lore/internal/sqlq"
)

var _ sqlq.Executor = (*Store)(nil)

// Run executes a compiled query under ctx's deadline (or the store's
// query timeout when ctx has none) and hands each row to row: its
// arguments interpolated as literals (q is left as it was), the answer
// read as TabSeparatedWithNamesAndTypes, join_use_nulls on (a LEFT JOIN's
// missing side is NULL, as in DuckDB). Errors name q.Name and carry the
// server's message; a context that ends kills the query on the server.
func (s *Store) Run(ctx context.Context, q sqlq.Query, row func(sqlq.Scanner) error) error {
	sql, err := interpolate(q.SQL, q.Args)
	if err != nil {
		return fmt.Errorf("query %s: %w", q.Name, err)
	}
	if s.compat {
		sql = compat(sql)
	}
	if err := s.each(ctx, s.db, sql, func(r *rows) error { return row(r) }); err != nil {
		return fmt.Errorf("query %s: %w", q.Name, err)
	}
	return nil
}
