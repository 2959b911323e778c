package duckdb

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/lore-dev/lore/internal/store"
)

// The cold tier: before retention or the disk watermark deletes a
// project's events of a kind, DeleteEvents writes them to the archive
// directory as zstd-compressed Parquet, partitioned the Hive way:
//
//	ARCHIVE/project_id=1/kind=log/day=2026-11-01/part-<uuid>.parquet
//
// A search whose range reaches a day the archive holds reads that day's
// files too (read_parquet over the day directories in range) and merges
// them with the hot rows, newest first. Erasing a person rewrites the
// project's files that hold them.

const dayMicros = int64(24 * time.Hour / time.Microsecond)

// archiveEvents writes a project's events of kind older than before to
// the archive, in files named part-<run>-<uuid>.parquet, and returns how
// many it wrote. The caller holds s.mu.
func (s *Store) archiveEvents(ctx context.Context, project int64, kind string, before int64, run string) (int64, error) {
	if s.archive == "" {
		return 0, nil
	}
	var n int64
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM events WHERE project_id = ? AND kind = ? AND ts < ?`, project, kind, before).Scan(&n); err != nil {
		return 0, fmt.Errorf("archive %s events of project %d: %w", kind, project, err)
	}
	if n == 0 {
		return 0, nil
	}
	if err := os.MkdirAll(s.archive, 0o755); err != nil {
		return 0, fmt.Errorf("%w: %s events of project %d: %w", store.ErrArchive, kind, project, err)
	}
	q := fmt.Sprintf(`COPY (SELECT *, strftime(make_timestamp(ts // %d * %d), '%%Y-%%m-%%d') AS day FROM events
		WHERE project_id = ? AND kind = ? AND ts < ?)
		TO %s (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (project_id, kind, day), APPEND, FILENAME_PATTERN 'part-%s-{uuid}')`,
		dayMicros, dayMicros, quoteSQL(s.archive), run)
	if _, err := s.db.ExecContext(ctx, q, project, kind, before); err != nil {
		return 0, fmt.Errorf("%w: %s events of project %d before %d to %q: %w", store.ErrArchive, kind, project, before, s.archive, err)
	}
	return n, nil
}

// uploadRun puts the files one run of archiveEvents wrote into the
// bucket, and returns the keys it put (also when it fails midway).
func (s *Store) uploadRun(ctx context.Context, project int64, kind, run string) ([]string, error) {
	files, err := s.runFiles(project, kind, run)
	if err != nil {
		return nil, err
	}
	put, err := s.remote.upload(ctx, files)
	if err != nil {
		return put, fmt.Errorf("%w: %s events of project %d to the bucket: %w", store.ErrArchive, kind, project, err)
	}
	return put, nil
}

// runFiles lists the files one run of archiveEvents wrote.
func (s *Store) runFiles(project int64, kind, run string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(s.archive, fmt.Sprintf("project_id=%d", project), "kind="+kind, "day=*", "part-"+run+"-*.parquet"))
	if err != nil {
		return nil, fmt.Errorf("list the archive's files of run %s: %w", run, err)
	}
	return files, nil
}

// unarchive removes the files one run of archiveEvents wrote, and the
// objects it put into the bucket, when the deletion they were written
// for failed: the rows stay in the events table, and the next run
// archives them again (once). Objects it cannot remove now are removed
// at the next listing of the bucket (and never read meanwhile).
func (s *Store) unarchive(ctx context.Context, project int64, kind, run string, put []string) error {
	files, err := s.runFiles(project, kind, run)
	if err != nil {
		return err
	}
	var errs []error
	for _, f := range files {
		if err := os.Remove(f); err != nil {
			errs = append(errs, err)
		}
	}
	if s.remote != nil && len(put) > 0 {
		if err := s.remote.forget(ctx, put); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// quoteSQL quotes s as an SQL string literal.
func quoteSQL(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// archiveFiles lists the project's archived Parquet files of the days
// overlapping r: those in the archive directory and, with a bucket,
// those the bucket holds, fetched into the directory (its cache) when
// missing there.
func (s *Store) archiveFiles(ctx context.Context, project int64, r store.Range) ([]string, error) {
	if s.archive == "" {
		return nil, nil
	}
	day := func(us int64) string {
		us = min(max(us, 0), time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC).UnixMicro())
		return time.UnixMicro(us).UTC().Format(time.DateOnly)
	}
	from, to := day(r.From), day(r.To-1)
	var files []string
	pdir := filepath.Join(s.archive, fmt.Sprintf("project_id=%d", project))
	kinds, _ := os.ReadDir(pdir)
	for _, k := range kinds {
		kdir := filepath.Join(pdir, k.Name())
		days, _ := os.ReadDir(kdir)
		for _, d := range days {
			day, ok := strings.CutPrefix(d.Name(), "day=")
			if !ok || day < from || day > to {
				continue
			}
			parts, _ := filepath.Glob(filepath.Join(kdir, d.Name(), "*.parquet"))
			files = append(files, parts...)
		}
	}
	if s.remote != nil {
		keys, err := s.remote.keys(ctx, project, from, to)
		if err != nil {
			return nil, fmt.Errorf("archived days %s to %s of project %d: %w", from, to, project, err)
		}
		if err := s.remote.fetch(ctx, keys); err != nil {
			return nil, fmt.Errorf("archived days %s to %s of project %d: %w", from, to, project, err)
		}
		for _, k := range keys {
			files = append(files, s.remote.path(k))
		}
	}
	slices.Sort(files)
	return slices.Compact(files), nil
}

// archiveSource is a FROM item reading files with the events table's
// columns (the partition columns come back from the paths).
func archiveSource(files []string) string {
	quoted := make([]string, len(files))
	for i, f := range files {
		quoted[i] = quoteSQL(f)
	}
	return `read_parquet([` + strings.Join(quoted, ", ") + `], hive_partitioning = true, hive_types = {'project_id': INTEGER, 'kind': VARCHAR, 'day': VARCHAR}, union_by_name = true)`
}

// archiveRowid gives each archived row a stable, negative rowid — from
// its file's name and its row number in the file — so that a search's
// cursor (ts, rowid) pages through archived rows as through the table's,
// and at equal times archived rows come after the table's (rowid >= 0).
const archiveRowid = `-((hash(filename) % 1073741824)::BIGINT * 4294967296 + file_row_number::BIGINT) - 1`

var _ store.ArchivedRows = (*Store)(nil)

// ArchivedRows implements store.ArchivedRows: the archived Parquet files
// of the days overlapping r (archiveFiles) with each row's rowid
// (archiveRowid).
func (s *Store) ArchivedRows(ctx context.Context, project int64, r store.Range) (string, error) {
	if r.To <= r.From {
		return "", nil
	}
	files, err := s.archiveFiles(ctx, project, r)
	if err != nil || len(files) == 0 {
		return "", err
	}
	src := strings.Replace(archiveSource(files), "union_by_name = true)", "union_by_name = true, filename = true, file_row_number = true)", 1)
	return `(SELECT *, ` + archiveRowid + ` AS rowid FROM ` + src + `)`, nil
}

// eraseArchived rewrites the project's archived files that hold a
// person's events without them, and returns how many events went.
func (s *Store) eraseArchived(ctx context.Context, project int64, userID string, anonymousIDs []string) (int64, error) {
	files, err := s.archiveFiles(ctx, project, store.Range{From: 0, To: 1 << 62})
	if err != nil {
		return 0, fmt.Errorf("erase person %q from the archive: %w", userID, err)
	}
	var total int64
	ids := append([]string{}, anonymousIDs...)
	for _, f := range files {
		const theirs = `(user_id = $1 OR (anonymous_id <> '' AND list_contains($2::VARCHAR[], anonymous_id)))`
		src := `read_parquet(` + quoteSQL(f) + `, hive_partitioning = false)`
		var n int64
		if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM `+src+` WHERE `+theirs, userID, ids).Scan(&n); err != nil {
			return total, fmt.Errorf("erase person %q from the archive %q: %w", userID, f, err)
		}
		if n == 0 {
			continue
		}
		tmp := f + ".tmp"
		if _, err := s.db.ExecContext(ctx, `COPY (SELECT * FROM `+src+` WHERE NOT `+theirs+`) TO `+quoteSQL(tmp)+` (FORMAT parquet, COMPRESSION zstd)`, userID, ids); err != nil {
			os.Remove(tmp)
			return total, fmt.Errorf("erase person %q from the archive %q: %w", userID, f, err)
		}
		if s.remote != nil {
			// The bucket's object first (a PUT replaces it whole), then
			// the cached copy; a failed upload leaves both as they were.
			key, err := s.remote.keyOf(f)
			if err == nil {
				err = s.remote.b.Put(ctx, key, tmp)
			}
			if err != nil {
				os.Remove(tmp)
				return total, fmt.Errorf("erase person %q from the archive: %w", userID, err)
			}
		}
		if err := os.Rename(tmp, f); err != nil {
			os.Remove(tmp)
			return total, fmt.Errorf("erase person %q from the archive: %w", userID, err)
		}
		total += n
	}
	return total, nil
}

// ExpireArchive removes the archived days older than the archive's
// retention (Options.ArchiveRetention) at now — the directory's files
// and the bucket's objects — and returns how many files or objects went.
// Without a retention it keeps everything.
func (s *Store) ExpireArchive(ctx context.Context, now time.Time) (int, error) {
	if s.archive == "" || s.archiveKeep <= 0 {
		return 0, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cut := now.UTC().Add(-s.archiveKeep).Truncate(24 * time.Hour).Format(time.DateOnly)
	var n int
	var errs []error
	dirs, _ := filepath.Glob(filepath.Join(s.archive, "project_id=*", "kind=*", "day=*"))
	for _, d := range dirs {
		if day := strings.TrimPrefix(filepath.Base(d), "day="); day < cut {
			parts, _ := filepath.Glob(filepath.Join(d, "*.parquet"))
			if err := os.RemoveAll(d); err != nil {
				errs = append(errs, err)
				continue
			}
			n += len(parts)
		}
	}
	if s.remote != nil {
		old, err := s.remote.forgetMatching(ctx, func(k string) bool { d := dayOfKey(k); return d != "" && d < cut })
		if err != nil {
			errs = append(errs, err)
		}
		n += old
	}
	if err := errors.Join(errs...); err != nil {
		return n, fmt.Errorf("expire the archive before %s: %w", cut, err)
	}
	if n > 0 {
		s.log.Info("archive retention removed old days", "before", cut, "files", n)
	}
	return n, nil
}
