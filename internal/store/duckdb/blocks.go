package duckdb

import (
	"context"
	"fmt"

	"github.com/lore-dev/lore/internal/store/blockfilter"
)

// loadBlocks reads the blocks table's filters into the block set
// (internal/store/blockfilter).
func (s *Store) loadBlocks(ctx context.Context) error {
	rows, err := s.db.QueryContext(ctx, `SELECT project_id, min_ts, max_ts, rows, keys, grams FROM blocks`)
	if err != nil {
		return fmt.Errorf("load block filters: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			project     int64
			b           blockfilter.Block
			keys, grams []byte
		)
		if err := rows.Scan(&project, &b.MinTS, &b.MaxTS, &b.Rows, &keys, &grams); err != nil {
			return fmt.Errorf("load block filters: %w", err)
		}
		if b.Keys, err = blockfilter.Unmarshal(keys); err != nil {
			return fmt.Errorf("load keys filter of block at %d: %w", b.MinTS, err)
		}
		if b.Grams, err = blockfilter.Unmarshal(grams); err != nil {
			return fmt.Errorf("load grams filter of block at %d: %w", b.MinTS, err)
		}
		s.blocks.Add(project, &b)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load block filters: %w", err)
	}
	return nil
}
