package duckdb

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/lore-dev/lore/internal/store/productindex"
)

// projectTables are the tables of the store that hold a project's rows,
// each with a project_id column: the events, their identities, the token
// filters, the narrative's rollups and the sampled days. The field
// catalogue's (field_seen, field_values) exist only once it opened.
var projectTables = []string{"events", "idents", "blocks", "narrative_minutes", "narrative_edges",
	"narrative_edge_hours", "narrative_errors", "narrative_releases", "sampled_days"}

// DeleteProject deletes everything the store holds of a project, for
// good (a deleted project, meta.Store.DeleteProject): its events,
// identities, token filters, rollups, sampled days and field catalogue,
// in one transaction, then its archived days (the cold tier's directory
// and, with a bucket, its objects), unlike retention, which archives
// what it deletes. The in-memory indexes are rebuilt without it and the
// next Open compacts the file. It returns the events deleted from the
// hot store. Appends wait while it runs; deleting a project with nothing
// left deletes nothing and rebuilds nothing.
func (s *Store) DeleteProject(ctx context.Context, project int64) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, fmt.Errorf("delete project %d from the store: store is closed", project)
	}
	var n, rows, inProduct, inErrors int64
	// The field catalogue's flush writes without the append lock: a
	// transaction that meets it conflicts, and is tried again.
	if err := retryConflicts(ctx, func() (err error) {
		n, rows, inProduct, inErrors, err = s.deleteProjectTx(ctx, project)
		return err
	}); err != nil {
		return 0, err
	}
	s.blocks.Drop(project, math.MaxInt64, nil)
	archived, err := s.deleteArchivedProject(ctx, project)
	if err != nil {
		return n, err
	}
	if rows == 0 && archived == 0 {
		return 0, nil
	}
	if err := s.reindexLocked(ctx, inProduct > 0, inErrors > 0); err != nil {
		return n, fmt.Errorf("delete project %d from the store: %w", project, err)
	}
	if err := os.WriteFile(filepath.Join(s.dir, compactMarker), nil, 0o644); err != nil {
		s.log.Warn("cannot ask for compaction at the next start", "err", err)
	}
	s.log.Info("deleted a project from the events store", "project", project, "events", n, "rows", rows, "archived_files", archived)
	return n, nil
}

// deleteProjectTx deletes a project's rows from every table in one
// transaction; it returns its events deleted, the rows deleted in all,
// and how many of the events the product and error indexes held.
func (s *Store) deleteProjectTx(ctx context.Context, project int64) (events, rows, inProduct, inErrors int64, err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, 0, 0, 0, fmt.Errorf("delete project %d from the store: %w", project, err)
	}
	defer tx.Rollback()
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FILTER (WHERE `+productindex.Rows+`),
		count(*) FILTER (WHERE kind = 'error') FROM events WHERE project_id = ?`, project).Scan(&inProduct, &inErrors); err != nil {
		return 0, 0, 0, 0, fmt.Errorf("delete project %d from the store: %w", project, err)
	}
	tables := slices.Clone(projectTables)
	var catalogue bool
	if err := tx.QueryRowContext(ctx, `SELECT count(*) > 0 FROM duckdb_tables() WHERE table_name = 'field_values'`).Scan(&catalogue); err != nil {
		return 0, 0, 0, 0, fmt.Errorf("delete project %d from the store: %w", project, err)
	}
	if catalogue {
		tables = append(tables, "field_seen", "field_values")
	}
	for _, t := range tables {
		res, err := tx.ExecContext(ctx, `DELETE FROM `+t+` WHERE project_id = ?`, project)
		if err != nil {
			return 0, 0, 0, 0, fmt.Errorf("delete project %d from the store's table %s: %w", project, t, err)
		}
		n, _ := res.RowsAffected()
		if t == "events" {
			events = n
		}
		rows += n
	}
	if events > 0 {
		if _, err := tx.ExecContext(ctx, `UPDATE ingest_state SET events = greatest(events - ?, 0) WHERE id = 1`, events); err != nil {
			return 0, 0, 0, 0, fmt.Errorf("delete project %d from the store: count: %w", project, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, 0, 0, 0, fmt.Errorf("delete project %d from the store: commit: %w", project, err)
	}
	return events, rows, inProduct, inErrors, nil
}

// deleteArchivedProject removes a project's archived days: its directory
// in the archive and, with a bucket, its objects there. It returns the
// files (and objects) removed.
func (s *Store) deleteArchivedProject(ctx context.Context, project int64) (int, error) {
	if s.archive == "" {
		return 0, nil
	}
	dir := filepath.Join(s.archive, fmt.Sprintf("project_id=%d", project))
	var n int
	_ = filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return nil
	})
	var errs []error
	if err := os.RemoveAll(dir); err != nil {
		errs = append(errs, err)
	}
	if s.remote != nil {
		prefix := fmt.Sprintf("project_id=%d/", project)
		keys, err := s.remote.forgetMatching(ctx, func(k string) bool { return strings.HasPrefix(k, prefix) })
		if err != nil {
			errs = append(errs, err)
		}
		n += keys
	}
	if err := errors.Join(errs...); err != nil {
		return n, fmt.Errorf("delete project %d from the archive: %w", project, err)
	}
	return n, nil
}
