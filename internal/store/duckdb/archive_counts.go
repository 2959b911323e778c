package duckdb

import (
	"context"
	"fmt"
)

// countSource renders what a count scans: the plan's hot rows (p.sql)
// and, when the range reaches days the cold tier holds, the archived
// rows of those days (read_parquet over their files), joined by UNION
// ALL, each as SELECT cols. The block filters prune only the hot rows;
// the archive's are filtered by the query alone. ok is false when neither
// can hold a row. With a bucket, the archived days in range are fetched
// into the cache first (an error when they cannot be).
func (s *Store) countSource(ctx context.Context, p plan, cols string, colArgs []any) (src string, args []any, ok bool, err error) {
	files, err := s.archiveFiles(ctx, p.project, p.rng)
	if err != nil {
		return "", nil, false, err
	}
	if !p.none {
		src, args = p.sql(cols, colArgs, "", nil, "")
	}
	if len(files) == 0 {
		return src, args, !p.none, nil
	}
	if src != "" {
		src += " UNION ALL "
	}
	src += fmt.Sprintf("SELECT %s FROM %s WHERE project_id = ? AND ts >= ? AND ts < ? AND (%s)", cols, archiveSource(files), p.where)
	args = append(args, colArgs...)
	args = append(args, p.project, p.rng.From, p.rng.To)
	args = append(args, p.args...)
	return src, args, true, nil
}
