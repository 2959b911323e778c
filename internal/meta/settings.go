package meta

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// ProjectSettings reads a project's settings document called name as
// stored ("{}" when none).
func (s *Store) ProjectSettings(ctx context.Context, project int64, name string) (json.RawMessage, error) {
	var doc string
	err := s.db.QueryRowContext(ctx, `SELECT settings FROM project_settings WHERE project_id = ? AND name = ?`, project, name).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return json.RawMessage("{}"), nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s settings of project %d: %w", name, project, err)
	}
	return json.RawMessage(doc), nil
}

// SetProjectSettings replaces a project's settings document called name.
func (s *Store) SetProjectSettings(ctx context.Context, project int64, name string, doc json.RawMessage) error {
	if !json.Valid(doc) || !strings.HasPrefix(strings.TrimSpace(string(doc)), "{") {
		return fmt.Errorf("%s settings of project %d: not a JSON object", name, project)
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO project_settings (project_id, name, settings) VALUES (?, ?, ?)
		ON CONFLICT(project_id, name) DO UPDATE SET settings = excluded.settings`, project, name, string(doc)); err != nil {
		return fmt.Errorf("store %s settings of project %d: %w", name, project, err)
	}
	return nil
}

// ProjectIDs lists every project's id, in order.
func (s *Store) ProjectIDs(ctx context.Context) ([]int64, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM projects ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list projects: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("list projects: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
