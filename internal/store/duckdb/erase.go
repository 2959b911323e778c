package duckdb

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// ErasePerson deletes a person's events — those with their user id, and
// those of the anonymous ids the person was identified from — and their
// identities, then rebuilds the in-memory product and error indexes
// without them, and asks the next Open to compact the file so the deleted
// rows' bytes leave the disk. It returns how many events it deleted.
// Appends wait while it runs.
func (s *Store) ErasePerson(ctx context.Context, project int64, userID string) (int64, error) {
	if userID == "" {
		return 0, fmt.Errorf("erase a person of project %d: empty user id", project)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, fmt.Errorf("erase person %q: store is closed", userID)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("erase person %q: %w", userID, err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `DELETE FROM events WHERE project_id = $1 AND (user_id = $2 OR (anonymous_id <> '' AND anonymous_id IN
		(SELECT anonymous_id FROM idents WHERE project_id = $1 AND user_id = $2)))`, project, userID)
	if err != nil {
		return 0, fmt.Errorf("erase the events of person %q: %w", userID, err)
	}
	n, _ := res.RowsAffected()
	if _, err := tx.ExecContext(ctx, `DELETE FROM idents WHERE project_id = ? AND user_id = ?`, project, userID); err != nil {
		return 0, fmt.Errorf("erase the identities of person %q: %w", userID, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE ingest_state SET events = greatest(events - ?, 0) WHERE id = 1`, n); err != nil {
		return 0, fmt.Errorf("erase person %q: count: %w", userID, err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("erase person %q: commit: %w", userID, err)
	}
	s.idents = identCache{}
	if s.product != nil {
		if _, err := s.product.load(ctx, s.db); err != nil {
			return n, err
		}
	}
	fresh := newErrorIndex()
	if err := fresh.load(ctx, s.db); err != nil {
		return n, err
	}
	s.errs.mu.Lock()
	s.errs.projects = fresh.projects
	s.errs.mu.Unlock()
	if _, err := s.db.ExecContext(ctx, `CHECKPOINT`); err != nil {
		return n, fmt.Errorf("erase person %q: checkpoint: %w", userID, err)
	}
	if err := os.WriteFile(filepath.Join(s.dir, compactMarker), nil, 0o644); err != nil {
		return n, fmt.Errorf("erase person %q: %w", userID, err)
	}
	return n, nil
}
