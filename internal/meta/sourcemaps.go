package meta

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// SourceMapUpload describes an uploaded file.
type SourceMapUpload struct {
	Name       string `json:"name"`
	Size       int64  `json:"size"`
	UploadedAt string `json:"uploaded_at"`
}

// PutSourceMapFile stores (or replaces) a file of a release.
func (s *Store) PutSourceMapFile(ctx context.Context, project int64, release, name string, body []byte) error {
	if _, err := s.db.ExecContext(ctx, `INSERT INTO sourcemap_files (project_id, release, name, body, uploaded_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT(project_id, release, name) DO UPDATE SET body = excluded.body, uploaded_at = excluded.uploaded_at`,
		project, release, name, body, time.Now().UnixNano()); err != nil {
		return fmt.Errorf("store %q of release %q: %w", name, release, err)
	}
	return nil
}

// SourceMapUploads lists a release's files.
func (s *Store) SourceMapUploads(ctx context.Context, project int64, release string) ([]SourceMapUpload, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT name, length(body), uploaded_at FROM sourcemap_files WHERE project_id = ? AND release = ? ORDER BY name`, project, release)
	if err != nil {
		return nil, fmt.Errorf("list the files of release %q: %w", release, err)
	}
	defer rows.Close()
	out := []SourceMapUpload{}
	for rows.Next() {
		var u SourceMapUpload
		var at int64
		if err := rows.Scan(&u.Name, &u.Size, &at); err != nil {
			return nil, fmt.Errorf("list the files of release %q: %w", release, err)
		}
		u.UploadedAt = time.Unix(0, at).UTC().Format(time.RFC3339)
		out = append(out, u)
	}
	return out, rows.Err()
}

// DeleteSourceMaps deletes a release's files; it returns how many.
func (s *Store) DeleteSourceMaps(ctx context.Context, project int64, release string) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM sourcemap_files WHERE project_id = ? AND release = ?`, project, release)
	if err != nil {
		return 0, fmt.Errorf("delete the files of release %q: %w", release, err)
	}
	return res.RowsAffected()
}

// SourceMapVersion names a release's file and its version (the upload
// time, in ns), which changes when it is uploaded again.
type SourceMapVersion struct {
	Name    string
	Version int64
}

// SourceMapVersions lists a release's files with their versions (for the
// symbolicator).
func (s *Store) SourceMapVersions(ctx context.Context, project int64, release string) ([]SourceMapVersion, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT name, uploaded_at FROM sourcemap_files WHERE project_id = ? AND release = ?`, project, release)
	if err != nil {
		return nil, fmt.Errorf("list the files of release %q: %w", release, err)
	}
	defer rows.Close()
	var out []SourceMapVersion
	for rows.Next() {
		var f SourceMapVersion
		if err := rows.Scan(&f.Name, &f.Version); err != nil {
			return nil, fmt.Errorf("list the files of release %q: %w", release, err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// SourceMapFile reads one file of a release.
func (s *Store) SourceMapFile(ctx context.Context, project int64, release, name string) ([]byte, error) {
	var b []byte
	err := s.db.QueryRowContext(ctx, `SELECT body FROM sourcemap_files WHERE project_id = ? AND release = ? AND name = ?`, project, release, name).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("release %q has no file %q: %w", release, name, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read %q of release %q: %w", name, release, err)
	}
	return b, nil
}
