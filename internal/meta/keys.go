package meta

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Project is a project's public information.
type Project struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	CreatedAt string `json:"created_at"`
}

// KeyInfo describes a key without its secret: only the hash and the first
// 12 characters are stored, and of those only 8 are shown ("lore_rd_…"),
// or half of a shorter pinned key, which those 12 hold whole.
type KeyInfo struct {
	ID        int64  `json:"id"`
	Role      Role   `json:"role"`
	Hint      string `json:"hint"` // "lore_rd_…"
	CreatedAt string `json:"created_at"`
}

// Project returns a project, or ErrNotFound.
func (s *Store) Project(ctx context.Context, id int64) (Project, error) {
	p := Project{ID: id}
	var created int64
	err := s.db.QueryRowContext(ctx, `SELECT name, created_at FROM projects WHERE id = ?`, id).Scan(&p.Name, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return p, fmt.Errorf("project %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return p, fmt.Errorf("read project %d: %w", id, err)
	}
	p.CreatedAt = unixTime(created)
	return p, nil
}

// Keys lists a project's keys, oldest first.
func (s *Store) Keys(ctx context.Context, project int64) ([]KeyInfo, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, role, prefix, created_at FROM api_keys WHERE project_id = ? ORDER BY id`, project)
	if err != nil {
		return nil, fmt.Errorf("list keys of project %d: %w", project, err)
	}
	defer rows.Close()
	out := []KeyInfo{}
	for rows.Next() {
		var k KeyInfo
		var created int64
		var prefix string
		if err := rows.Scan(&k.ID, &k.Role, &prefix, &created); err != nil {
			return nil, fmt.Errorf("list keys of project %d: %w", project, err)
		}
		n := len(prefix) / 2
		if len(prefix) >= 12 { // a key longer than what is stored: generated keys are 48 characters
			n = 8
		}
		k.Hint = prefix[:n] + "…"

		k.CreatedAt = unixTime(created)
		out = append(out, k)
	}
	return out, rows.Err()
}

// RevokeKey deletes a key. A running server keeps a key it has already
// authenticated in memory until it restarts.
func (s *Store) RevokeKey(ctx context.Context, project, id int64) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM api_keys WHERE project_id = ? AND id = ?`, project, id)
	if err != nil {
		return fmt.Errorf("revoke key %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("key %d of project %d: %w", id, project, ErrNotFound)
	}
	return nil
}
