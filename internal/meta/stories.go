package meta

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Nodes sharing the metadata database and one events store share the
// answers of GET /api/v1/stories (docs/scaling.md, "Several nodes"): the
// node that holds the stories lease keeps the windows that end now fresh,
// every node keeps what it computed in story_answers, and a node answers
// from there rather than computing again. Each answer is kept with the
// deletions counted in store_changes before it was computed, and none is
// returned once another deletion was counted: an erasure or retention on
// any node makes every kept answer stale at once. The windows that end
// now, asked on any node, are noted in story_windows for the lease's
// holder to keep fresh.

// StoryKey names a stories answer: project's window of Span µs that ends
// at To (µs), of the cards of MinSeverity and above ("" all).
type StoryKey struct {
	ProjectID   int64
	MinSeverity string
	Span        int64
	To          int64
}

// KeptStories is an answer kept in story_answers: its key, the answer
// (JSON) and how long ago it was computed, by the database's clock.
type KeptStories struct {
	StoryKey
	Answer []byte
	Age    time.Duration
}

// StoryWindow is a window that ends now (To is 0), asked Age ago.
type StoryWindow struct {
	StoryKey
	Age time.Duration
}

// generation is the deletions counted so far of one project (the
// argument) and of no one project (0), as an SQL expression.
const generation = `(SELECT CAST(coalesce(sum(counter), 0) AS BIGINT) FROM store_changes WHERE project_id IN (?, 0))`

// DataGeneration returns the deletions of project's events counted so far
// in store_changes (with those of no one project): read before computing
// an answer of project to keep with SaveStoryAnswer.
func (s *Store) DataGeneration(ctx context.Context, project int64) (int64, error) {
	var n int64
	if err := s.db.QueryRowContext(ctx, `SELECT `+generation, project).Scan(&n); err != nil {
		return 0, fmt.Errorf("read the deletions' count of project %d: %w", project, err)
	}
	return n, nil
}

// SaveStoryAnswer keeps answer (JSON) as k's, computed after the
// deletions gen counts (DataGeneration, read before computing), replacing
// what was kept for k.
func (s *Store) SaveStoryAnswer(ctx context.Context, k StoryKey, gen int64, answer []byte) error {
	q := `INSERT INTO story_answers (project_id, min_severity, span, range_to, generation, computed_at, answer)
		VALUES (?, ?, ?, ?, ?, ` + s.db.e.nowMicros() + `, ?)
		ON CONFLICT (project_id, min_severity, span, range_to) DO UPDATE SET
		  generation = excluded.generation, computed_at = excluded.computed_at, answer = excluded.answer`
	if _, err := s.db.ExecContext(ctx, q, k.ProjectID, k.MinSeverity, k.Span, k.To, gen, string(answer)); err != nil {
		return fmt.Errorf("keep the stories of project %d ending at %d: %w", k.ProjectID, k.To, err)
	}
	return nil
}

// StoryAnswer returns the answer kept for k when it was computed less
// than maxAge ago (by the database's clock) and no deletion was counted
// since; ok is false otherwise.
func (s *Store) StoryAnswer(ctx context.Context, k StoryKey, maxAge time.Duration) (kept KeptStories, ok bool, err error) {
	q := strings.ReplaceAll(`SELECT range_to, answer, NOW - computed_at FROM story_answers
		WHERE project_id = ? AND min_severity = ? AND span = ? AND range_to = ?
		AND computed_at > NOW - ? AND generation = `+generation, "NOW", s.db.e.nowMicros())
	return s.keptStories(ctx, k, q, k.ProjectID, k.MinSeverity, k.Span, k.To, maxAge.Microseconds(), k.ProjectID)
}

// LatestStoryAnswer returns the kept answer of the window of k's project,
// severity and span that ends latest from from to k.To (µs), when no
// deletion was counted since it was computed; ok is false when there is
// none.
func (s *Store) LatestStoryAnswer(ctx context.Context, k StoryKey, from int64) (kept KeptStories, ok bool, err error) {
	q := strings.ReplaceAll(`SELECT range_to, answer, NOW - computed_at FROM story_answers
		WHERE project_id = ? AND min_severity = ? AND span = ? AND range_to BETWEEN ? AND ?
		AND generation = `+generation+` ORDER BY range_to DESC LIMIT 1`, "NOW", s.db.e.nowMicros())
	return s.keptStories(ctx, k, q, k.ProjectID, k.MinSeverity, k.Span, from, k.To, k.ProjectID)
}

// keptStories reads one answer of k's project, severity and span by q.
func (s *Store) keptStories(ctx context.Context, k StoryKey, q string, args ...any) (KeptStories, bool, error) {
	kept := KeptStories{StoryKey: k}
	var answer string
	var age int64
	switch err := s.db.QueryRowContext(ctx, q, args...).Scan(&kept.To, &answer, &age); {
	case errors.Is(err, sql.ErrNoRows):
		return KeptStories{}, false, nil
	case err != nil:
		return KeptStories{}, false, fmt.Errorf("read the stories of project %d over %d µs: %w", k.ProjectID, k.Span, err)
	}
	kept.Answer, kept.Age = []byte(answer), time.Duration(max(age, 0))*time.Microsecond
	return kept, true, nil
}

// AskStoryWindow notes a request, now, for the window of k's project,
// severity and span that ends now (k.To is not read).
func (s *Store) AskStoryWindow(ctx context.Context, k StoryKey) error {
	q := strings.ReplaceAll(`INSERT INTO story_windows (project_id, min_severity, span, asked_at) VALUES (?, ?, ?, NOW)
		ON CONFLICT (project_id, min_severity, span) DO UPDATE SET asked_at = excluded.asked_at`, "NOW", s.db.e.nowMicros())
	if _, err := s.db.ExecContext(ctx, q, k.ProjectID, k.MinSeverity, k.Span); err != nil {
		return fmt.Errorf("note a request for the stories of project %d over %d µs: %w", k.ProjectID, k.Span, err)
	}
	return nil
}

// StoryWindows returns the windows that end now asked on any node within
// d, with how long ago each was last asked.
func (s *Store) StoryWindows(ctx context.Context, d time.Duration) ([]StoryWindow, error) {
	q := strings.ReplaceAll(`SELECT project_id, min_severity, span, NOW - asked_at FROM story_windows
		WHERE asked_at > NOW - ? ORDER BY project_id, min_severity, span`, "NOW", s.db.e.nowMicros())
	rows, err := s.db.QueryContext(ctx, q, d.Microseconds())
	if err != nil {
		return nil, fmt.Errorf("read the stories' windows asked within %v: %w", d, err)
	}
	defer rows.Close()
	var out []StoryWindow
	for rows.Next() {
		var w StoryWindow
		var age int64
		if err := rows.Scan(&w.ProjectID, &w.MinSeverity, &w.Span, &age); err != nil {
			return nil, fmt.Errorf("read the stories' windows: %w", err)
		}
		w.Age = time.Duration(max(age, 0)) * time.Microsecond
		out = append(out, w)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the stories' windows: %w", err)
	}
	return out, nil
}

// PruneStories deletes the answers computed more than answers ago and the
// windows last asked more than windows ago.
func (s *Store) PruneStories(ctx context.Context, answers, windows time.Duration) error {
	now := s.db.e.nowMicros()
	if _, err := s.db.ExecContext(ctx, `DELETE FROM story_answers WHERE computed_at < `+now+` - ?`, answers.Microseconds()); err != nil {
		return fmt.Errorf("prune the stories' answers older than %v: %w", answers, err)
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM story_windows WHERE asked_at < `+now+` - ?`, windows.Microseconds()); err != nil {
		return fmt.Errorf("prune the stories' windows asked before %v: %w", windows, err)
	}
	return nil
}
