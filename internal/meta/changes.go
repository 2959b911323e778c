package meta

import (
	"context"
	"fmt"
)

// Deletions in the events store (retention, an erasure) are counted per
// project in store_changes, so that every node sharing the metadata
// database drops the answers it remembered of the deleted data, not only
// the node that deleted it (docs/scaling.md, "Several nodes").

// BumpStoreChanges counts one more deletion of project's events (0 for a
// deletion of no one project), after it is done.
func (s *Store) BumpStoreChanges(ctx context.Context, project int64) error {
	if _, err := s.db.ExecContext(ctx, `INSERT INTO store_changes (project_id, counter) VALUES (?, 1)
		ON CONFLICT (project_id) DO UPDATE SET counter = store_changes.counter + 1`, project); err != nil {
		return fmt.Errorf("count a deletion of project %d's events: %w", project, err)
	}
	return nil
}

// StoreChanges returns the deletions counted so far, by project: a
// project's count moves whenever a node deleted some of its events.
func (s *Store) StoreChanges(ctx context.Context) (map[int64]int64, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT project_id, counter FROM store_changes`)
	if err != nil {
		return nil, fmt.Errorf("read the deletions' counts: %w", err)
	}
	defer rows.Close()
	out := map[int64]int64{}
	for rows.Next() {
		var p, n int64
		if err := rows.Scan(&p, &n); err != nil {
			return nil, fmt.Errorf("read the deletions' counts: %w", err)
		}
		out[p] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the deletions' counts: %w", err)
	}
	return out, nil
}
