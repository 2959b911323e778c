package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/lore-dev/lore/internal/errs"
	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
)

var _ sqlq.Executor = (*Store)(nil)

// Run executes a compiled query under ctx's deadline (or the store's
// query timeout when ctx has none) and hands each row to row: its
// arguments interpolated as literals (q is left as it was), the answer
// read as TabSeparatedWithNamesAndTypes, join_use_nulls on (a LEFT JOIN's
// missing side is NULL, as in DuckDB). Errors name q.Name and carry the
// server's message; a context that ends kills the query on the server. On
// a server too old for window functions (18.16), a query that uses them
// is store.ErrUnsupported (a 501), not a failure.
func (s *Store) Run(ctx context.Context, q sqlq.Query, row func(sqlq.Scanner) error) error {
	sql, err := interpolate(q.SQL, q.Args)
	if err != nil {
		return fmt.Errorf("query %s: %w", q.Name, err)
	}
	if s.cluster != "" {
		if s.compat {
			sql = literalBools(inlineWith(sql))
		}
		sql = semiJoinsAsIn(sql)
	}
	if s.compat {
		sql = compat(sql)
	}
	if err := s.each(ctx, s.db, sql, func(r *rows) error { return row(r) }); err != nil {
		if s.compat && windowed(sql, err) {
			return errs.Wrap(errs.Unsupported, store.ErrUnsupported,
				"query %s uses window functions, which this ClickHouse server is too old for (21.x and later have them): docs/scaling.md", q.Name)
		}
		return fmt.Errorf("query %s: %w", q.Name, err)
	}
	return nil
}

// windowed says whether err is an old server's syntax error at a window
// function of sql (OVER, which 18.16 does not read).
func windowed(sql string, err error) bool {
	var ce *Error
	return errors.As(err, &ce) && ce.Code == 62 && strings.Contains(sql, ") OVER (")
}
