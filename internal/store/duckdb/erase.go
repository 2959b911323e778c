package duckdb

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/lore-dev/lore/internal/store/rollup"
)

// Erased is what ErasePerson deleted: the count of events, and the
// anonymous ids and sessions the person's events named, so that the
// stores kept beside this one (the recordings) can erase theirs.
type Erased struct {
	Events       int64    `json:"erased_events"`
	AnonymousIDs []string `json:"-"`
	Sessions     []string `json:"-"`
}

// ErasePerson deletes a person's events — those with their user id, and
// those of the anonymous ids the person was identified from — their
// identities, the field catalogue's examples that are one of their ids
// and their archived events (the cold tier's files are rewritten without
// them), recomputes the narrative rollups' minutes their events were in
// (error groups keep messages and trace ids), then rebuilds the in-memory product and error indexes without
// them, removes the product index's snapshot file, and asks the next
// Open to compact the file so the deleted rows' bytes leave the disk.
// Appends wait while it runs.
func (s *Store) ErasePerson(ctx context.Context, project int64, userID string) (Erased, error) {
	var out Erased
	if userID == "" {
		return out, fmt.Errorf("erase a person of project %d: empty user id", project)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return out, fmt.Errorf("erase person %q: store is closed", userID)
	}
	// The field catalogue's flush writes without the append lock: a
	// transaction that meets it conflicts, and is tried again.
	err := retryConflicts(ctx, func() (err error) {
		out, err = s.eraseTx(ctx, project, userID)
		return err
	})
	if err != nil {
		return out, err
	}
	archived, err := s.eraseArchived(ctx, project, userID, out.AnonymousIDs)
	out.Events += archived
	if err != nil {
		return out, err
	}
	ids := append(append([]string{userID}, out.AnonymousIDs...), out.Sessions...)
	if err := retryConflicts(ctx, func() error { return s.eraseExamples(ctx, project, ids) }); err != nil {
		return out, fmt.Errorf("erase person %q: %w", userID, err)
	}
	if err := s.reindexLocked(ctx, true, true); err != nil {
		return out, fmt.Errorf("erase person %q: %w", userID, err)
	}
	if err := os.WriteFile(filepath.Join(s.dir, compactMarker), nil, 0o644); err != nil {
		return out, fmt.Errorf("erase person %q: %w", userID, err)
	}
	return out, nil
}

// eraseTx deletes a person's rows in one transaction (ErasePerson).
func (s *Store) eraseTx(ctx context.Context, project int64, userID string) (Erased, error) {
	var out Erased
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return out, fmt.Errorf("erase person %q: %w", userID, err)
	}
	defer tx.Rollback()
	const theirs = `project_id = $1 AND (user_id = $2 OR (anonymous_id <> '' AND anonymous_id IN
		(SELECT anonymous_id FROM idents WHERE project_id = $1 AND user_id = $2)))`
	if out.AnonymousIDs, err = queryTexts(ctx, tx, `SELECT DISTINCT anonymous_id FROM events WHERE `+theirs+` AND anonymous_id <> ''
		UNION SELECT anonymous_id FROM idents WHERE project_id = $1 AND user_id = $2`, project, userID); err != nil {
		return out, fmt.Errorf("erase person %q: %w", userID, err)
	}
	if out.Sessions, err = queryTexts(ctx, tx, `SELECT DISTINCT session_id FROM events WHERE `+theirs+` AND session_id <> ''`, project, userID); err != nil {
		return out, fmt.Errorf("erase person %q: %w", userID, err)
	}
	minutes, err := rollup.MinutesOf(ctx, tx, project, theirs, project, userID)
	if err != nil {
		return out, fmt.Errorf("erase person %q: %w", userID, err)
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM events WHERE `+theirs, project, userID)
	if err != nil {
		return out, fmt.Errorf("erase the events of person %q: %w", userID, err)
	}
	out.Events, _ = res.RowsAffected()
	// The narrative's rollups of those minutes are recomputed without
	// them: the error groups keep messages and sample trace ids.
	if err := rollup.Erased(ctx, tx, project, minutes); err != nil {
		return out, fmt.Errorf("erase person %q: %w", userID, err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM idents WHERE project_id = ? AND user_id = ?`, project, userID); err != nil {
		return out, fmt.Errorf("erase the identities of person %q: %w", userID, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE ingest_state SET events = greatest(events - ?, 0) WHERE id = 1`, out.Events); err != nil {
		return out, fmt.Errorf("erase person %q: count: %w", userID, err)
	}
	if err := tx.Commit(); err != nil {
		return out, fmt.Errorf("erase person %q: commit: %w", userID, err)
	}
	return out, nil
}

// eraseExamples removes ids from the field catalogue's examples of a
// project, in a transaction of its own: short, so that it rarely meets
// the catalogue's flush.
func (s *Store) eraseExamples(ctx context.Context, project int64, ids []string) error {
	var catalogue bool
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) > 0 FROM duckdb_tables() WHERE table_name = 'field_values'`).Scan(&catalogue); err != nil {
		return fmt.Errorf("find the field catalogue: %w", err)
	}
	if !catalogue {
		return nil
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE field_values SET examples = list_filter(examples, x -> NOT list_contains($2::VARCHAR[], x))
		WHERE project_id = $1 AND list_has_any(examples, $2::VARCHAR[])`, project, ids); err != nil {
		return fmt.Errorf("erase from the field catalogue's examples: %w", err)
	}
	return nil
}

// retryConflicts runs fn again, up to seven more times, while it fails
// with a DuckDB transaction conflict (another writer changed the rows) or
// a checkpoint refused for another open write transaction.
func retryConflicts(ctx context.Context, fn func() error) error {
	for attempt := 1; ; attempt++ {
		err := fn()
		if err == nil || attempt == 8 {
			return err
		}
		if msg := strings.ToLower(err.Error()); !strings.Contains(msg, "conflict") && !strings.Contains(msg, "other write transactions") {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(attempt) * 20 * time.Millisecond):
		}
	}
}

// Reindex rebuilds the in-memory indexes that hold events DeleteEvents
// deleted since the last call (see reindexLocked), so that funnels,
// retention, paths and issues' counts no longer count them; deleting
// only logs without a person, spans or checks rebuilds nothing. It always
// checkpoints. Appends wait while it runs: a product index rebuild takes
// about 5µs per product event kept.
func (s *Store) Reindex(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("rebuild the indexes: store is closed")
	}
	start := time.Now()
	product, errs := s.staleProduct, s.staleErrors
	if err := s.reindexLocked(ctx, product, errs); err != nil {
		return fmt.Errorf("rebuild the indexes: %w", err)
	}
	s.staleProduct, s.staleErrors = false, false
	if product || errs {
		s.log.Info("rebuilt the in-memory indexes after deleting events", "product", product, "errors", errs, "took", time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// reindexLocked rebuilds from the tables, after events were deleted, the
// in-memory indexes that count them — the product index (funnels,
// retention, paths) with the identities' cache when product, removing its
// snapshot file (written again at Close), and the error index (issues'
// counts and users) when errs — then checkpoints. The caller holds s.mu,
// so no Append runs meanwhile.
func (s *Store) reindexLocked(ctx context.Context, product, errs bool) error {
	if product {
		s.idents = identCache{}
		if s.product != nil {
			if _, err := s.product.Load(ctx, s); err != nil {
				return err
			}
		}
		if err := os.Remove(filepath.Join(s.dir, productSnapshotFile)); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("remove the product index's snapshot: %w", err)
		}
	}
	if errs {
		if err := s.errs.Load(ctx, s); err != nil {
			return err
		}
	}
	// A checkpoint is refused while another write transaction (the field
	// catalogue's flush) is open: tried again, then left to DuckDB's own.
	if err := retryConflicts(ctx, func() error {
		_, err := s.db.ExecContext(ctx, `CHECKPOINT`)
		return err
	}); err != nil {
		s.log.Warn("no checkpoint after deleting events; DuckDB checkpoints later", "err", err)
	}
	return nil
}

// queryTexts runs a query of one text column.
func queryTexts(ctx context.Context, tx sqlTx, q string, args ...any) ([]string, error) {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
