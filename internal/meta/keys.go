package meta

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
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
	ExpiresAt string `json:"expires_at,omitempty"` // RFC 3339; none: never
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
	rows, err := s.db.QueryContext(ctx, `SELECT id, role, prefix, created_at, expires_at FROM api_keys WHERE project_id = ? ORDER BY id`, project)
	if err != nil {
		return nil, fmt.Errorf("list keys of project %d: %w", project, err)
	}
	defer rows.Close()
	out := []KeyInfo{}
	for rows.Next() {
		var k KeyInfo
		var created int64
		var prefix string
		var expires sql.NullInt64
		if err := rows.Scan(&k.ID, &k.Role, &prefix, &created, &expires); err != nil {
			return nil, fmt.Errorf("list keys of project %d: %w", project, err)
		}
		n := len(prefix) / 2
		if len(prefix) >= 12 { // a key longer than what is stored: generated keys are 48 characters
			n = 8
		}
		k.Hint = prefix[:n] + "…"

		k.CreatedAt = unixTime(created)
		if expires.Valid {
			k.ExpiresAt = unixTime(expires.Int64)
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// RevokeKey deletes a key. It stops working at once in this process, and
// within keyCacheTTL in a server running beside it.
func (s *Store) RevokeKey(ctx context.Context, project, id int64) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM api_keys WHERE project_id = ? AND id = ?`, project, id)
	if err != nil {
		return fmt.Errorf("revoke key %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("key %d of project %d: %w", id, project, ErrNotFound)
	}
	s.forgetAll()
	return nil
}

// CreateKeyExpiring is CreateKey with an expiry: the key stops working
// after ttl (0: never).
func (s *Store) CreateKeyExpiring(ctx context.Context, projectID int64, role Role, ttl time.Duration) (string, KeyInfo, error) {
	k, err := s.CreateKey(ctx, projectID, role)
	if err != nil {
		return "", KeyInfo{}, err
	}
	h := hashKey(k)
	var id int64
	if err := s.db.QueryRowContext(ctx, `SELECT id FROM api_keys WHERE hash = ?`, hex.EncodeToString(h[:])).Scan(&id); err != nil {
		return "", KeyInfo{}, fmt.Errorf("read back the new key: %w", err)
	}
	if ttl > 0 {
		if _, err := s.db.ExecContext(ctx, `UPDATE api_keys SET expires_at = ? WHERE id = ?`, time.Now().Add(ttl).Unix(), id); err != nil {
			return "", KeyInfo{}, fmt.Errorf("set key %d's expiry: %w", id, err)
		}
	}
	info, err := s.key(ctx, projectID, id)
	return k, info, err
}

func (s *Store) key(ctx context.Context, project, id int64) (KeyInfo, error) {
	keys, err := s.Keys(ctx, project)
	if err != nil {
		return KeyInfo{}, err
	}
	for _, k := range keys {
		if k.ID == id {
			return k, nil
		}
	}
	return KeyInfo{}, fmt.Errorf("key %d of project %d: %w", id, project, ErrNotFound)
}

// RotateKey makes a new key with the role of key id and lets the old one
// work for overlap more (clients move over meanwhile), then expire; an
// overlap of 0 revokes the old key at once. It returns the new key, shown
// once.
func (s *Store) RotateKey(ctx context.Context, project, id int64, overlap time.Duration) (string, KeyInfo, error) {
	old, err := s.key(ctx, project, id)
	if err != nil {
		return "", KeyInfo{}, fmt.Errorf("rotate: %w", err)
	}
	k, info, err := s.CreateKeyExpiring(ctx, project, old.Role, 0)
	if err != nil {
		return "", KeyInfo{}, err
	}
	if overlap <= 0 {
		return k, info, s.RevokeKey(ctx, project, id)
	}
	until := time.Now().Add(overlap).Unix()
	if _, err := s.db.ExecContext(ctx, `UPDATE api_keys SET expires_at = CASE WHEN expires_at IS NOT NULL AND expires_at < ? THEN expires_at ELSE ? END WHERE id = ?`, until, until, id); err != nil {
		return "", KeyInfo{}, fmt.Errorf("expire key %d after the overlap: %w", id, err)
	}
	s.forgetAll()
	return k, info, nil
}
