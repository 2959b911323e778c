package meta

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// PatternClaim is a log pattern id claimed for a stream's template (a
// project's service; internal/patterns), so that every node sharing the
// database labels the same template's lines with the same id.
type PatternClaim struct {
	Seq      int64 // claim order across nodes
	Project  int64
	Service  string
	Key      string // a hash of Template, unique per stream
	Template string // the template's tokens, encoded by the miner
	ID       string // unique per project
	At       int64  // when it was claimed, µs by the database's clock
}

// ClaimPattern claims c.ID for c's stream and template unless the template
// has an id already: it returns the claim that holds, c's (with its Seq
// and At) or the one made first, and ok. ok is false when c.ID is another
// template's id of the project: then nothing is claimed and the caller
// tries another id.
func (s *Store) ClaimPattern(ctx context.Context, c PatternClaim) (claim PatternClaim, ok bool, err error) {
	claim = c
	// One round trip when the claim is new (the usual case: a node
	// claims a template when it first sees it), two when it is not.
	q := `INSERT INTO pattern_ids (project_id, service, template_key, template, id, claimed_at)
		VALUES (?, ?, ?, ?, ?, ` + s.db.e.nowMicros() + `) ON CONFLICT DO NOTHING
		RETURNING seq, claimed_at`
	err = s.db.QueryRowContext(ctx, q, c.Project, c.Service, c.Key, c.Template, c.ID).Scan(&claim.Seq, &claim.At)
	switch {
	case err == nil:
		return claim, true, nil
	case !errors.Is(err, sql.ErrNoRows):
		return PatternClaim{}, false, fmt.Errorf("claim pattern id %q for service %q: %w", c.ID, c.Service, err)
	}
	err = s.db.QueryRowContext(ctx, `SELECT seq, template, id, claimed_at FROM pattern_ids
		WHERE project_id = ? AND service = ? AND template_key = ?`, c.Project, c.Service, c.Key).
		Scan(&claim.Seq, &claim.Template, &claim.ID, &claim.At)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return PatternClaim{}, false, nil
	case err != nil:
		return PatternClaim{}, false, fmt.Errorf("read pattern id of service %q, template %q: %w", c.Service, c.Key, err)
	}
	return claim, true, nil
}

// PatternClaims returns up to limit claims made after (at, seq), in the
// order of (At, Seq): a node learns the templates other nodes claimed by
// reading from where it last stopped.
func (s *Store) PatternClaims(ctx context.Context, at, seq int64, limit int) ([]PatternClaim, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT seq, project_id, service, template_key, template, id, claimed_at
		FROM pattern_ids WHERE claimed_at > ? OR (claimed_at = ? AND seq > ?)
		ORDER BY claimed_at, seq LIMIT ?`, at, at, seq, limit)
	if err != nil {
		return nil, fmt.Errorf("read pattern ids claimed after %d: %w", at, err)
	}
	defer rows.Close()
	var out []PatternClaim
	for rows.Next() {
		var c PatternClaim
		if err := rows.Scan(&c.Seq, &c.Project, &c.Service, &c.Key, &c.Template, &c.ID, &c.At); err != nil {
			return nil, fmt.Errorf("read pattern ids claimed after %d: %w", at, err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read pattern ids claimed after %d: %w", at, err)
	}
	return out, nil
}

// PatternMerge records that a node found two pattern ids of a stream to be
// one pattern (a variant folded into its group, a template that another
// covers): every node merges them too, so that they agree however each
// saw the lines.
type PatternMerge struct {
	Seq     int64
	Project int64
	Service string
	ID      string
	Into    string
	At      int64 // when it was recorded, µs by the database's clock
}

// MergePatterns records m (once: the same merge recorded again is kept as
// it was).
func (s *Store) MergePatterns(ctx context.Context, m PatternMerge) error {
	q := `INSERT INTO pattern_merges (project_id, service, id, into_id, merged_at)
		VALUES (?, ?, ?, ?, ` + s.db.e.nowMicros() + `) ON CONFLICT DO NOTHING`
	if _, err := s.db.ExecContext(ctx, q, m.Project, m.Service, m.ID, m.Into); err != nil {
		return fmt.Errorf("merge pattern id %q into %q: %w", m.ID, m.Into, err)
	}
	return nil
}

// PatternMerges returns up to limit merges recorded after (at, seq), in
// the order of (At, Seq).
func (s *Store) PatternMerges(ctx context.Context, at, seq int64, limit int) ([]PatternMerge, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT seq, project_id, service, id, into_id, merged_at
		FROM pattern_merges WHERE merged_at > ? OR (merged_at = ? AND seq > ?)
		ORDER BY merged_at, seq LIMIT ?`, at, at, seq, limit)
	if err != nil {
		return nil, fmt.Errorf("read pattern merges after %d: %w", at, err)
	}
	defer rows.Close()
	var out []PatternMerge
	for rows.Next() {
		var m PatternMerge
		if err := rows.Scan(&m.Seq, &m.Project, &m.Service, &m.ID, &m.Into, &m.At); err != nil {
			return nil, fmt.Errorf("read pattern merges after %d: %w", at, err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read pattern merges after %d: %w", at, err)
	}
	return out, nil
}
