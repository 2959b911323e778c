package meta

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// CaptureSettings reads a project's capture settings as the JSON document
// stored ("{}" when none).
func (s *Store) CaptureSettings(ctx context.Context, project int64) (json.RawMessage, error) {
	var doc string
	err := s.db.QueryRowContext(ctx, `SELECT settings FROM capture_settings WHERE project_id = ?`, project).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return json.RawMessage("{}"), nil
	}
	if err != nil {
		return nil, fmt.Errorf("read capture settings of project %d: %w", project, err)
	}
	return json.RawMessage(doc), nil
}

// SetCaptureSettings replaces a project's capture settings document.
func (s *Store) SetCaptureSettings(ctx context.Context, project int64, doc json.RawMessage) error {
	if !json.Valid(doc) || !strings.HasPrefix(strings.TrimSpace(string(doc)), "{") {
		return fmt.Errorf("capture settings of project %d: not a JSON object", project)
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO capture_settings (project_id, settings) VALUES (?, ?)
		ON CONFLICT(project_id) DO UPDATE SET settings = excluded.settings`, project, string(doc)); err != nil {
		return fmt.Errorf("store capture settings of project %d: %w", project, err)
	}
	return nil
}
