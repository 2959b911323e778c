package duckdb

import (
	"context"
	"fmt"

	"github.com/lore-dev/lore/internal/query"
	"github.com/lore-dev/lore/internal/store"
)

// sampleRateAttr is the attribute sampling puts on the events it keeps
// of a sampled class (lifecycle.AttrSampleRate).
const sampleRateAttr = "lore.sample_rate"

// SampledCounts counts, per step of the range, the events matching q
// that sampling kept and how many they stand for, so that a count can be
// estimated: the stored count plus Estimated - Kept. Buckets without a
// sampled event are left out.
func (s *Store) SampledCounts(ctx context.Context, project int64, rng store.Range, q *query.Query, step int64) ([]store.SampledBucket, error) {
	if step <= 0 || rng.To <= rng.From {
		return nil, fmt.Errorf("sampled counts: bad range or step")
	}
	where, args, err := compileQuery(q)
	if err != nil {
		return nil, fmt.Errorf("sampled counts: %w", err)
	}
	sql := fmt.Sprintf(`SELECT ts - (ts - %d) %% %d AS b, count(*),
		sum(1.0 / greatest(coalesce(try_cast(attr_values[list_position(attr_keys, '%s')] AS DOUBLE), 1), 0.0001))
		FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND list_contains(attr_keys, '%s') AND (%s)
		GROUP BY b ORDER BY b`, rng.From, step, sampleRateAttr, sampleRateAttr, where)
	rows, err := s.db.QueryContext(ctx, sql, append([]any{project, rng.From, rng.To}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("sampled counts: %w", err)
	}
	defer rows.Close()
	var out []store.SampledBucket
	for rows.Next() {
		var b store.SampledBucket
		if err := rows.Scan(&b.Start, &b.Kept, &b.Estimated); err != nil {
			return nil, fmt.Errorf("sampled counts: %w", err)
		}
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sampled counts: %w", err)
	}
	return out, nil
}
