package duckdb

import (
	"context"
	"fmt"
	"time"

	"github.com/lore-dev/lore/internal/store"
	"github.com/lore-dev/lore/internal/store/rollup"
)

// The narrative rollups (internal/store/rollup) live in the store's
// database beside the events: the store keeps them in step — each
// batch's minutes in Append's transaction (rollup.Append), the minutes of
// deleted rows in the deletion's (rollup.MinutesOf, rollup.Erased), a
// rebuild at Open when they lag the events — and shows their readers as
// its own methods, which the analyses find by type assertion.

var (
	_ store.ServiceSeriesRollup = (*Store)(nil)
	_ store.ErrorGroupsRollup   = (*Store)(nil)
	_ store.ReleaseRollup       = (*Store)(nil)
	_ store.CallGraphReader     = (*Store)(nil)
)

// openRollups creates the rollup tables and rebuilds them when they do not
// reflect every committed batch.
func (s *Store) openRollups(ctx context.Context) error {
	s.rollups = rollup.New(s)
	if _, err := s.db.ExecContext(ctx, rollup.Schema); err != nil {
		return fmt.Errorf("create rollup schema in %q: %w", s.path, err)
	}
	seq, _, err := s.ingestMark(ctx)
	if err != nil {
		return err
	}
	if fresh, err := rollup.Fresh(ctx, s.db, seq); err != nil || fresh {
		if err != nil {
			return fmt.Errorf("open rollups in %q: %w", s.path, err)
		}
		return nil
	}
	start := time.Now()
	if err := s.rebuildRollups(ctx, seq); err != nil {
		return fmt.Errorf("rebuild rollups in %q (events at seq %d): %w", s.path, seq, err)
	}
	s.log.Info("rebuilt the narrative rollups", "seq", seq, "took", time.Since(start))
	return nil
}

// rebuildRollups recomputes the rollups from the events, in one
// transaction, as of the batch seq.
func (s *Store) rebuildRollups(ctx context.Context, seq uint64) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := rollup.Rebuild(ctx, tx, seq); err != nil {
		return err
	}
	return tx.Commit()
}

// RolledServiceSeries implements store.ServiceSeriesRollup with the
// per-minute rollup.
func (s *Store) RolledServiceSeries(ctx context.Context, r store.ServiceSeriesRequest) ([]store.ServicePoint, bool, error) {
	return s.rollups.RolledServiceSeries(ctx, r)
}

// RolledErrorGroups implements store.ErrorGroupsRollup with the
// per-minute error rollup.
func (s *Store) RolledErrorGroups(ctx context.Context, project int64, r store.Range, since int64, limit int) ([]store.ErrorGroup, bool, error) {
	return s.rollups.RolledErrorGroups(ctx, project, r, since, limit)
}

// RolledReleaseStarts implements store.ReleaseRollup with the per-minute
// release rollup.
func (s *Store) RolledReleaseStarts(ctx context.Context, project int64, r store.Range) ([]store.ReleaseStart, bool, error) {
	return s.rollups.RolledReleaseStarts(ctx, project, r)
}

// CallGraph implements store.CallGraphReader with the hourly call graph.
func (s *Store) CallGraph(ctx context.Context, project int64, r store.Range) ([]store.CallEdge, error) {
	return s.rollups.CallGraph(ctx, project, r)
}
