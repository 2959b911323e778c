package meta

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lore-dev/lore/internal/errs"
)

// projectRows are the tables that hold a project's metadata, each with a
// project_id column, in the order DeleteProject empties them (those that
// name a project's row before it). monitor_series, which has no
// project_id, goes with its monitors; store_changes is kept (its counter
// tells the other nodes to forget their answers of the project) and so is
// the deleted_projects row that replaces the project's.
var projectRows = []string{
	"api_keys", "members", "allowed_origins", "audit",
	"issues", "issue_fingerprints", "issue_signals", "issue_settings",
	"dashboards", "saved_searches", "project_settings", "capture_settings", "sourcemap_files",
	"monitor_events", "monitors", "channels", "notifications", "notification_attempts", "checks",
	"pattern_ids", "pattern_merges", "story_answers", "story_windows", "erasures",
}

// DefaultProject is the project every server has: made at each start when
// missing (EnsureDefaultProject), the one pinned keys and new single
// sign-on users join. It is never deleted.
const DefaultProject = 1

// DeletedProject is a project that was deleted: its id is never given
// again, and EventsDeletedAt says whether a shared events store still
// holds its events (zero: their deletion is still to do).
type DeletedProject struct {
	ID              int64     `json:"id"`
	Name            string    `json:"name"`
	DeletedAt       time.Time `json:"deleted_at"`
	EventsDeletedAt time.Time `json:"events_deleted_at,omitzero"`
}

// DeleteProject deletes a project's metadata in one transaction: its keys
// (which stop working at once here, and within keyCacheTTL on the other
// nodes), members, allowed origins, audit log, issues, dashboards, saved
// searches, settings, source maps, monitors with their series and
// history, channels, notifications, checks, pattern ids, stories and
// erasures, and the project itself, recorded in deleted_projects so that
// its id is never given again and its events' deletion can be done (and
// seen to be done) later: the events store is not touched here.
//
// confirm must be the project's name (compared without surrounding
// spaces): a stray call deletes nothing. The default project is refused
// (errs.Conflict), as is a wrong name (errs.Invalid); a project that does
// not exist is ErrNotFound.
func (s *Store) DeleteProject(ctx context.Context, id int64, confirm string) (Project, error) {
	var p Project
	err := s.inTx(ctx, func(t *txn) error {
		var err error
		p, err = deleteProjectTx(ctx, t, id, confirm)
		return err
	})
	if err != nil {
		return p, err
	}
	s.forgetAll()
	return p, nil
}

func deleteProjectTx(ctx context.Context, t *txn, id int64, confirm string) (Project, error) {
	p := Project{ID: id}
	var created int64
	err := t.QueryRowContext(ctx, `SELECT name, created_at FROM projects WHERE id = ?`, id).Scan(&p.Name, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return p, fmt.Errorf("project %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return p, fmt.Errorf("delete project %d: %w", id, err)
	}
	p.CreatedAt = unixTime(created)
	if id == DefaultProject {
		return p, errs.New(errs.Conflict, "project %d %q is the default project: it is never deleted (the server makes it again at each start, and pinned keys and new single sign-on users join it)", id, p.Name)
	}
	if strings.TrimSpace(confirm) != p.Name {
		return p, errs.New(errs.Invalid, "delete project %d: confirm %q is not its name %q: give the project's name to confirm", id, confirm, p.Name)
	}
	if _, err := t.ExecContext(ctx, `DELETE FROM monitor_series WHERE monitor_id IN (SELECT id FROM monitors WHERE project_id = ?)`, id); err != nil {
		return p, fmt.Errorf("delete project %d: monitor_series: %w", id, err)
	}
	for _, table := range projectRows {
		if _, err := t.ExecContext(ctx, `DELETE FROM `+table+` WHERE project_id = ?`, id); err != nil {
			return p, fmt.Errorf("delete project %d: %s: %w", id, table, err)
		}
	}
	if _, err := t.ExecContext(ctx, `DELETE FROM projects WHERE id = ?`, id); err != nil {
		return p, fmt.Errorf("delete project %d: %w", id, err)
	}
	if _, err := t.ExecContext(ctx, `INSERT INTO deleted_projects (project_id, name, deleted_at) VALUES (?, ?, ?)`,
		id, p.Name, time.Now().UnixMicro()); err != nil {
		return p, fmt.Errorf("delete project %d: record it: %w", id, err)
	}
	return p, nil
}

// DeletedProjects lists the deleted projects, oldest first.
func (s *Store) DeletedProjects(ctx context.Context) ([]DeletedProject, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT project_id, name, deleted_at, events_deleted_at FROM deleted_projects ORDER BY project_id`)
	if err != nil {
		return nil, fmt.Errorf("list deleted projects: %w", err)
	}
	defer rows.Close()
	var out []DeletedProject
	for rows.Next() {
		var d DeletedProject
		var at, done int64
		if err := rows.Scan(&d.ID, &d.Name, &at, &done); err != nil {
			return nil, fmt.Errorf("list deleted projects: %w", err)
		}
		d.DeletedAt = time.UnixMicro(at).UTC()
		if done > 0 {
			d.EventsDeletedAt = time.UnixMicro(done).UTC()
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// ProjectEventsDeleted records that a deleted project's events left the
// shared events store.
func (s *Store) ProjectEventsDeleted(ctx context.Context, id int64) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE deleted_projects SET events_deleted_at = ? WHERE project_id = ?`, time.Now().UnixMicro(), id); err != nil {
		return fmt.Errorf("record the deletion of project %d's events: %w", id, err)
	}
	return nil
}

// keepDeletedIDs gives a new project (id, just inserted) an id above every
// deleted project's, in its transaction: SQLite gives a rowid table's
// largest id again once its row is deleted (PostgreSQL's identity never
// does), and a new project must not inherit a deleted one's events still
// to be deleted, nor its remembered answers.
func keepDeletedIDs(ctx context.Context, t *txn, id int64) (int64, error) {
	var top int64
	if err := t.QueryRowContext(ctx, `SELECT coalesce(max(project_id), 0) FROM deleted_projects`).Scan(&top); err != nil {
		return id, fmt.Errorf("read the deleted projects' ids: %w", err)
	}
	if id > top {
		return id, nil
	}
	if _, err := t.ExecContext(ctx, `UPDATE projects SET id = ? WHERE id = ?`, top+1, id); err != nil {
		return id, fmt.Errorf("give project %d the id %d: %w", id, top+1, err)
	}
	return top + 1, nil
}
