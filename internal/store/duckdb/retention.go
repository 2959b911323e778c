package duckdb

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/lore-dev/lore/internal/store"
	"github.com/lore-dev/lore/internal/store/productindex"
	"github.com/lore-dev/lore/internal/store/rollup"
)

// DeleteEvents deletes a project's events of one kind older than before
// (µs), keeping the event count in ingest_state, and returns how many it
// deleted; with an archive (Options.ArchiveDir) they are written there
// first. The narrative rollups' minutes they were in are recomputed
// without them (a story must not tell deleted events). The space they held is reused by new rows at once and given
// back to the file system when the store is next opened
// (Options.CompactFree).
// An archive that cannot be written fails it with store.ErrArchive,
// nothing deleted.
func (s *Store) DeleteEvents(ctx context.Context, project int64, kind string, before int64) (int64, error) {
	return s.deleteEvents(ctx, project, kind, before, true)
}

// DeleteEventsUnarchived is DeleteEvents without the cold tier: the disk
// watermark's last resort when the archive cannot be written.
func (s *Store) DeleteEventsUnarchived(ctx context.Context, project int64, kind string, before int64) (int64, error) {
	return s.deleteEvents(ctx, project, kind, before, false)
}

func (s *Store) deleteEvents(ctx context.Context, project int64, kind string, before int64, archive bool) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, fmt.Errorf("delete %s events of project %d: store is closed", kind, project)
	}
	// The cold tier first: nothing is deleted that could not be archived.
	// When the deletion then fails, the files this run wrote go again, so
	// that the next run does not archive the same rows twice.
	// With a bucket, the files are uploaded before the rows go: a failed
	// upload leaves them in the hot store, for the next run.
	// A crash before the commit is undone at the next Open
	// (archive_pending.go).
	committed := false
	run := ""
	if archive && s.archive != "" {
		run = strconv.FormatInt(time.Now().UnixNano(), 36)
		if err := s.notePending(project, kind, run); err != nil {
			return 0, fmt.Errorf("%w: %w", store.ErrArchive, err)
		}
		var put []string
		defer func() {
			ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
			defer cancel()
			if !committed {
				if err := s.unarchive(ctx, project, kind, run, put); err != nil {
					s.log.Error("cannot remove the archive files of a failed deletion: their events may be archived twice", "project", project, "kind", kind, "err", err)
					return // the note stays: the next Open tries again
				}
			}
			s.donePending(ctx, run)
		}()
		n, err := s.archiveEvents(ctx, project, kind, before, run)
		if err != nil {
			return 0, err
		}
		if n > 0 && s.remote != nil {
			if put, err = s.uploadRun(ctx, project, kind, run); err != nil {
				return 0, err
			}
		}
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("delete %s events of project %d: %w", kind, project, err)
	}
	defer tx.Rollback()
	// Which in-memory indexes hold some of these rows (Reindex rebuilds
	// only those).
	var inProduct, inErrors int64
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FILTER (WHERE `+productindex.Rows+`),
		count(*) FILTER (WHERE kind = 'error') FROM events WHERE project_id = ? AND kind = ? AND ts < ?`, project, kind, before).Scan(&inProduct, &inErrors); err != nil {
		return 0, fmt.Errorf("delete %s events of project %d: %w", kind, project, err)
	}
	// The events leave the narrative's rollups too: their minutes are
	// recomputed from what stays (stories read the events store only, as
	// a rebuild of the rollups would).
	const doomed = `project_id = ? AND kind = ? AND ts < ?`
	minutes, err := rollup.MinutesOf(ctx, tx, project, doomed, project, kind, before)
	if err != nil {
		return 0, fmt.Errorf("delete %s events of project %d: %w", kind, project, err)
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM events WHERE `+doomed, project, kind, before)
	if err != nil {
		return 0, fmt.Errorf("delete %s events of project %d before %d: %w", kind, project, before, err)
	}
	n, _ := res.RowsAffected()
	if err := rollup.Erased(ctx, tx, project, minutes); err != nil {
		return 0, fmt.Errorf("delete %s events of project %d: %w", kind, project, err)
	}
	if run != "" {
		if _, err := tx.ExecContext(ctx, `INSERT INTO archive_runs VALUES (?)`, run); err != nil {
			return 0, fmt.Errorf("delete %s events of project %d: note archive run %s: %w", kind, project, run, err)
		}
	}
	if n > 0 {
		if _, err := tx.ExecContext(ctx, `UPDATE ingest_state SET events = greatest(events - ?, 0) WHERE id = 1`, n); err != nil {
			return 0, fmt.Errorf("count deleted events: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("delete %s events of project %d: commit: %w", kind, project, err)
	}
	committed = true
	s.staleProduct = s.staleProduct || inProduct > 0
	s.staleErrors = s.staleErrors || inErrors > 0
	if n > 0 {
		// The next Open compacts the file, whatever share of it is free
		// (a checkpoint frees only the row groups emptied whole).
		if err := os.WriteFile(filepath.Join(s.dir, compactMarker), nil, 0o644); err != nil {
			s.log.Warn("cannot ask for compaction at the next start", "err", err)
		}
	}
	return n, nil
}

// compactMarker, in the store's directory, asks the next Open to compact
// the file: retention deleted events since it was last compacted.
const compactMarker = "compact-at-open"

// DeleteSideBefore deletes what the side indexes and rollups hold of a
// project's time before before (µs) — the token filters of blocks that
// end before it, the narrative's minutes, edges, errors and releases, the
// field catalogue's hours and days (with their examples) —
// and the token filters of blocks that end before emptyBefore and have no
// events left. Retention calls it with the oldest time any kind still
// keeps (before) and the newest time some kind no longer keeps
// (emptyBefore). It returns the rows it deleted, of every table: 0 when
// the project had nothing that old, as in most of retention's runs.
func (s *Store) DeleteSideBefore(ctx context.Context, project int64, emptyBefore, before int64) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, fmt.Errorf("delete side indexes of project %d: store is closed", project)
	}
	var empty []int64 // min_ts of the blocks whose events are all gone
	var n int64
	// The field catalogue's flush writes without the append lock: a
	// transaction that meets it conflicts, and is tried again.
	if err := retryConflicts(ctx, func() (err error) {
		empty, n, err = s.deleteSideTx(ctx, project, emptyBefore, before)
		return err
	}); err != nil {
		return 0, err
	}
	s.blocks.Drop(project, before, empty)
	return n, nil
}

// deleteSideTx is DeleteSideBefore's transaction; it returns the min_ts
// of the emptied blocks it deleted and the rows it deleted in all.
func (s *Store) deleteSideTx(ctx context.Context, project int64, emptyBefore, before int64) ([]int64, int64, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, 0, fmt.Errorf("delete side indexes of project %d: %w", project, err)
	}
	defer tx.Rollback()
	var deleted int64
	exec := func(q string) error {
		res, err := tx.ExecContext(ctx, q, project, before)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		deleted += n
		return err
	}
	for _, q := range []string{
		`DELETE FROM blocks WHERE project_id = ? AND max_ts < ?`,
		`DELETE FROM narrative_minutes WHERE project_id = ? AND minute < ?`,
		`DELETE FROM narrative_edges WHERE project_id = ? AND hour < ?`,
		`DELETE FROM narrative_edge_hours WHERE project_id = ? AND hour < ?`,
		`DELETE FROM narrative_errors WHERE project_id = ? AND minute < ?`,
		`DELETE FROM narrative_releases WHERE project_id = ? AND minute < ?`,
	} {
		if err := exec(q); err != nil {
			return nil, 0, fmt.Errorf("delete side indexes of project %d before %d: %s: %w", project, before, q, err)
		}
	}
	var catalogue bool
	if err := tx.QueryRowContext(ctx, `SELECT count(*) > 0 FROM duckdb_tables() WHERE table_name = 'field_values'`).Scan(&catalogue); err != nil {
		return nil, 0, fmt.Errorf("delete side indexes of project %d: %w", project, err)
	}
	if catalogue {
		for _, q := range []string{
			`DELETE FROM field_seen WHERE project_id = ? AND hour < ?`,
			`DELETE FROM field_values WHERE project_id = ? AND day < ?`,
		} {
			if err := exec(q); err != nil {
				return nil, 0, fmt.Errorf("delete the field catalogue of project %d before %d: %s: %w", project, before, q, err)
			}
		}
	}
	var empty []int64
	rows, err := tx.QueryContext(ctx, `SELECT b.min_ts FROM blocks b WHERE b.project_id = $1 AND b.max_ts < $2
		AND NOT EXISTS (SELECT 1 FROM events e WHERE e.project_id = $1 AND e.ts BETWEEN b.min_ts AND b.max_ts)`, project, emptyBefore)
	if err != nil {
		return nil, 0, fmt.Errorf("find emptied blocks of project %d: %w", project, err)
	}
	for rows.Next() {
		var ts int64
		if err := rows.Scan(&ts); err != nil {
			rows.Close()
			return nil, 0, fmt.Errorf("find emptied blocks of project %d: %w", project, err)
		}
		empty = append(empty, ts)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("find emptied blocks of project %d: %w", project, err)
	}
	if len(empty) > 0 {
		if _, err := tx.ExecContext(ctx, `DELETE FROM blocks b WHERE b.project_id = $1 AND b.max_ts < $2
		AND NOT EXISTS (SELECT 1 FROM events e WHERE e.project_id = $1 AND e.ts BETWEEN b.min_ts AND b.max_ts)`, project, emptyBefore); err != nil {
			return nil, 0, fmt.Errorf("delete emptied blocks of project %d: %w", project, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, 0, fmt.Errorf("delete side indexes of project %d: commit: %w", project, err)
	}
	return empty, deleted + int64(len(empty)), nil
}

// FreeBytes reports the bytes of the database file's free blocks (the
// space deleted rows left, reused by new rows and given back to the file
// system when the store is next opened: see compactFile) and the file's
// size in blocks' bytes.
func (s *Store) FreeBytes(ctx context.Context) (free, total int64, err error) {
	var blockSize, freeBlocks, totalBlocks int64
	if err := s.db.QueryRowContext(ctx, `SELECT block_size, free_blocks, total_blocks FROM pragma_database_size() WHERE database_name = 'lore'`).
		Scan(&blockSize, &freeBlocks, &totalBlocks); err != nil {
		return 0, 0, fmt.Errorf("read the size of %q: %w", s.path, err)
	}
	return freeBlocks * blockSize, totalBlocks * blockSize, nil
}

// compactFile gives the space of deleted rows back to the file system,
// before the store opens the file: when retention deleted events since
// the last compaction (compactMarker) or at least minFree of its blocks
// are free, the database is copied into a fresh file (COPY FROM DATABASE,
// DuckDB's documented way to compact: a CHECKPOINT reclaims the space of
// deleted rows only partially and VACUUM not at all, and rewriting the
// tables in place left the free blocks inside the file, not at its end,
// in every trial here) that then replaces it. A crash midway leaves the
// old file whole: the copy is written beside it and renamed over it only
// once synced. It returns the file's size before and after.
func compactFile(ctx context.Context, path string, minFree float64, rowGroupSize int, log *slog.Logger) (before, after int64, err error) {
	before = fileSize(path)
	marker := filepath.Join(filepath.Dir(path), compactMarker)
	wanted := fileExists(marker)
	if before == 0 || minFree <= 0 {
		return before, before, nil
	}
	tmp := path + ".compact"
	os.Remove(tmp)
	db, err := sql.Open("duckdb", "?temp_directory="+url.QueryEscape(tempDir(filepath.Dir(path))))
	if err != nil {
		return before, before, fmt.Errorf("compact %q: %w", path, err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	quote := func(p string) string { return "'" + strings.ReplaceAll(p, "'", "''") + "'" }
	if _, err := db.ExecContext(ctx, `ATTACH `+quote(path)+` AS src; CHECKPOINT src`); err != nil {
		return before, before, fmt.Errorf("compact %q: attach: %w", path, err)
	}
	var freeBlocks, totalBlocks int64
	if err := db.QueryRowContext(ctx, `SELECT free_blocks, total_blocks FROM pragma_database_size() WHERE database_name = 'src'`).Scan(&freeBlocks, &totalBlocks); err != nil {
		return before, before, fmt.Errorf("compact %q: database size: %w", path, err)
	}
	if totalBlocks == 0 || (!wanted && float64(freeBlocks) < minFree*float64(totalBlocks)) {
		return before, before, nil
	}
	start := time.Now()
	for _, q := range []string{
		fmt.Sprintf(`ATTACH %s AS dst (ROW_GROUP_SIZE %d)`, quote(tmp), rowGroupSize),
		`COPY FROM DATABASE src TO dst`,
		`CHECKPOINT dst`,
		`DETACH dst`,
		`DETACH src`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			os.Remove(tmp)
			return before, before, fmt.Errorf("compact %q: %s: %w", path, q, err)
		}
	}
	if err := syncFile(tmp); err != nil {
		os.Remove(tmp)
		return before, before, fmt.Errorf("compact %q: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return before, before, fmt.Errorf("compact %q: %w", path, err)
	}
	os.Remove(tmp + ".wal")
	if err := syncFile(filepath.Dir(path)); err != nil {
		return before, fileSize(path), fmt.Errorf("compact %q: %w", path, err)
	}
	os.Remove(marker)
	after = fileSize(path)
	log.Info("compacted the events store", "before", before, "after", after, "free_blocks", freeBlocks, "total_blocks", totalBlocks, "took", time.Since(start))
	return before, after, nil
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// DayCount is how many events a UTC day holds, all projects and kinds.
type DayCount struct {
	Day    int64 // the day's start, µs
	Events int64
}

// DayCounts counts the events of each UTC day, oldest first: the disk
// watermark (lifecycle.Watermark) reads it to choose the days to drop.
func (s *Store) DayCounts(ctx context.Context) ([]DayCount, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT ts // 86400000000 * 86400000000 AS day, count(*) FROM events GROUP BY day ORDER BY day`)
	if err != nil {
		return nil, fmt.Errorf("count events by day: %w", err)
	}
	defer rows.Close()
	var out []DayCount
	for rows.Next() {
		var d DayCount
		if err := rows.Scan(&d.Day, &d.Events); err != nil {
			return nil, fmt.Errorf("count events by day: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count events by day: %w", err)
	}
	return out, nil
}
