package meta

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/lore-dev/lore/internal/errs"
)

// Issue statuses. Regressed is an unresolved issue that came back after it
// was resolved; it lists with the unresolved ones.
const (
	IssueUnresolved          = "unresolved"
	IssueResolved            = "resolved"
	IssueResolvedNextRelease = "resolved_in_next_release"
	IssueIgnored             = "ignored"
	IssueRegressed           = "regressed"
)

// ValidIssueStatus reports whether s is a status a user may set.
func ValidIssueStatus(s string) bool {
	switch s {
	case IssueUnresolved, IssueResolved, IssueResolvedNextRelease, IssueIgnored:
		return true
	}
	return false
}

// ErrNoIssue is returned for an issue id that does not exist in the project.
var ErrNoIssue = errs.New(errs.NotFound, "no such issue")

// Issue is the stored state of one issue. Its counts live with the events;
// this is what the events cannot tell: who grouped what, and the status.
type Issue struct {
	ID           int64
	ProjectID    int64
	Fingerprint  string // the fingerprint that opened the issue
	Fingerprints []string
	Title        string
	Culprit      string
	Level        string
	ErrorType    string
	Status       string
	FirstSeen    int64 // µs
	FirstRelease string

	ResolvedAt      int64
	ResolvedRelease string // for resolved_in_next_release: the release then current
	IgnoreUntil     int64  // µs; 0 = no time bound
	IgnoreCount     int64  // 0 = no count bound
	IgnoredSeen     int64
	RegressedAt     int64
	RegressedIn     string
	Assignee        string
	MergedInto      int64
	Dropped         int64 // events dropped by the rate limit
}

// Observation is one error event seen at ingest.
type Observation struct {
	ProjectID   int64
	Fingerprint string
	TS          int64
	Release     string
	Title       string
	Culprit     string
	Level       string
	ErrorType   string
}

// Signal kinds recorded for alerts and stories.
const (
	SignalNew       = "new"
	SignalRegressed = "regressed"
)

// IssueSignal records that an issue was new or regressed at TS in Release.
type IssueSignal struct {
	ID        int64  `json:"id"`
	ProjectID int64  `json:"-"`
	IssueID   int64  `json:"issue_id"`
	Kind      string `json:"kind"`
	TS        int64  `json:"ts"`
	Release   string `json:"release"`
}

const issueCols = `id, project_id, fingerprint, title, culprit, level, error_type, status, first_seen, first_release,
	resolved_at, resolved_release, ignore_until, ignore_count, ignored_seen, regressed_at, regressed_release,
	assignee, merged_into, dropped`

type rowScanner interface{ Scan(dest ...any) error }

func scanIssue(r rowScanner) (Issue, error) {
	var is Issue
	err := r.Scan(&is.ID, &is.ProjectID, &is.Fingerprint, &is.Title, &is.Culprit, &is.Level, &is.ErrorType, &is.Status,
		&is.FirstSeen, &is.FirstRelease, &is.ResolvedAt, &is.ResolvedRelease, &is.IgnoreUntil, &is.IgnoreCount,
		&is.IgnoredSeen, &is.RegressedAt, &is.RegressedIn, &is.Assignee, &is.MergedInto, &is.Dropped)
	return is, err
}

// ObserveIssue records one error event: it opens a new issue for an unknown
// fingerprint (signal "new"), reopens a resolved one (signal "regressed",
// with the release), and counts events against an ignore bound. It returns
// the issue as it is after the event.
func (s *Store) ObserveIssue(ctx context.Context, o Observation) (Issue, error) {
	var is Issue
	err := s.inTx(ctx, func(tx *txn) (err error) {
		is, err = observeIssue(ctx, tx, o)
		return err
	})
	if err != nil {
		return Issue{}, fmt.Errorf("observe issue %q: %w", o.Fingerprint, err)
	}
	return is, nil
}

func observeIssue(ctx context.Context, tx *txn, o Observation) (Issue, error) {
	is, err := issueByFingerprint(ctx, tx, o.ProjectID, o.Fingerprint)
	switch {
	case errors.Is(err, ErrNoIssue):
		var id int64
		err := tx.QueryRowContext(ctx, `INSERT INTO issues (project_id, fingerprint, title, culprit, level, error_type, status, first_seen, first_release)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, o.ProjectID, o.Fingerprint, o.Title, o.Culprit, o.Level, o.ErrorType, IssueUnresolved, o.TS, o.Release).Scan(&id)
		if err != nil {
			return Issue{}, fmt.Errorf("create issue for %q: %w", o.Fingerprint, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO issue_fingerprints (project_id, fingerprint, issue_id) VALUES (?, ?, ?)`, o.ProjectID, o.Fingerprint, id); err != nil {
			return Issue{}, fmt.Errorf("map fingerprint %q: %w", o.Fingerprint, err)
		}
		if err := addSignal(ctx, tx, o.ProjectID, id, SignalNew, o.TS, o.Release); err != nil {
			return Issue{}, err
		}
		is = Issue{ID: id, ProjectID: o.ProjectID, Fingerprint: o.Fingerprint, Title: o.Title, Culprit: o.Culprit, Level: o.Level,
			ErrorType: o.ErrorType, Status: IssueUnresolved, FirstSeen: o.TS, FirstRelease: o.Release}
	case err != nil:
		return Issue{}, err
	default:
		changed := false
		switch is.Status {
		case IssueResolved:
			if o.TS > is.ResolvedAt {
				is.Status, is.RegressedAt, is.RegressedIn, changed = IssueRegressed, o.TS, o.Release, true
			}
		case IssueResolvedNextRelease:
			if o.Release != "" && o.Release != is.ResolvedRelease && o.TS > is.ResolvedAt {
				is.Status, is.RegressedAt, is.RegressedIn, changed = IssueRegressed, o.TS, o.Release, true
			}
		case IssueIgnored:
			is.IgnoredSeen++
			if (is.IgnoreUntil > 0 && o.TS > is.IgnoreUntil) || (is.IgnoreCount > 0 && is.IgnoredSeen >= is.IgnoreCount) {
				is.Status = IssueUnresolved
			}
			if _, err := tx.ExecContext(ctx, `UPDATE issues SET status = ?, ignored_seen = ? WHERE id = ?`, is.Status, is.IgnoredSeen, is.ID); err != nil {
				return Issue{}, fmt.Errorf("count ignored issue %d: %w", is.ID, err)
			}
		}
		if changed {
			if _, err := tx.ExecContext(ctx, `UPDATE issues SET status = ?, regressed_at = ?, regressed_release = ? WHERE id = ?`,
				is.Status, is.RegressedAt, is.RegressedIn, is.ID); err != nil {
				return Issue{}, fmt.Errorf("reopen issue %d: %w", is.ID, err)
			}
			if err := addSignal(ctx, tx, o.ProjectID, is.ID, SignalRegressed, o.TS, o.Release); err != nil {
				return Issue{}, err
			}
		}
	}
	return is, nil
}

func addSignal(ctx context.Context, tx *txn, project, issue int64, kind string, ts int64, release string) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO issue_signals (project_id, issue_id, kind, ts, release) VALUES (?, ?, ?, ?, ?)`,
		project, issue, kind, ts, release); err != nil {
		return fmt.Errorf("record %s signal of issue %d: %w", kind, issue, err)
	}
	return nil
}

type querier interface {
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

func issueByFingerprint(ctx context.Context, q querier, project int64, fp string) (Issue, error) {
	is, err := scanIssue(q.QueryRowContext(ctx, `SELECT `+issueCols+` FROM issues WHERE id =
		(SELECT issue_id FROM issue_fingerprints WHERE project_id = ? AND fingerprint = ?)`, project, fp))
	if errors.Is(err, sql.ErrNoRows) {
		return Issue{}, ErrNoIssue
	}
	if err != nil {
		return Issue{}, fmt.Errorf("look up issue of fingerprint %q: %w", fp, err)
	}
	return is, nil
}

// IssueByID returns one issue of a project, with its fingerprints.
func (s *Store) IssueByID(ctx context.Context, project, id int64) (Issue, error) {
	is, err := scanIssue(s.db.QueryRowContext(ctx, `SELECT `+issueCols+` FROM issues WHERE project_id = ? AND id = ?`, project, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Issue{}, fmt.Errorf("issue %d: %w", id, ErrNoIssue)
	}
	if err != nil {
		return Issue{}, fmt.Errorf("read issue %d: %w", id, err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT fingerprint FROM issue_fingerprints WHERE project_id = ? AND issue_id = ? ORDER BY fingerprint`, project, id)
	if err != nil {
		return Issue{}, fmt.Errorf("read fingerprints of issue %d: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var fp string
		if err := rows.Scan(&fp); err != nil {
			return Issue{}, fmt.Errorf("read fingerprints of issue %d: %w", id, err)
		}
		is.Fingerprints = append(is.Fingerprints, fp)
	}
	return is, rows.Err()
}

// Issues returns a project's issues that are not merged into another, with
// their fingerprints.
func (s *Store) Issues(ctx context.Context, project int64) ([]Issue, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+issueCols+` FROM issues WHERE project_id = ? AND merged_into = 0 ORDER BY id`, project)
	if err != nil {
		return nil, fmt.Errorf("list issues: %w", err)
	}
	var out []Issue
	byID := map[int64]int{}
	for rows.Next() {
		is, err := scanIssue(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("read issue: %w", err)
		}
		byID[is.ID] = len(out)
		out = append(out, is)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list issues: %w", err)
	}
	fps, err := s.db.QueryContext(ctx, `SELECT issue_id, fingerprint FROM issue_fingerprints WHERE project_id = ?`, project)
	if err != nil {
		return nil, fmt.Errorf("list issue fingerprints: %w", err)
	}
	defer fps.Close()
	for fps.Next() {
		var id int64
		var fp string
		if err := fps.Scan(&id, &fp); err != nil {
			return nil, fmt.Errorf("read issue fingerprint: %w", err)
		}
		if i, ok := byID[id]; ok {
			out[i].Fingerprints = append(out[i].Fingerprints, fp)
		}
	}
	return out, fps.Err()
}

// IssueUpdate changes an issue. Nil fields are left alone.
type IssueUpdate struct {
	Status      *string
	IgnoreUntil int64 // with Status ignored
	IgnoreCount int64 // with Status ignored
	Assignee    *string
	Now         int64  // µs, the time of the change (resolved_at)
	Release     string // the latest release seen, for resolved_in_next_release
}

// UpdateIssue applies u to an issue.
func (s *Store) UpdateIssue(ctx context.Context, project, id int64, u IssueUpdate) error {
	if _, err := s.IssueByID(ctx, project, id); err != nil {
		return err
	}
	if u.Status != nil {
		st := *u.Status
		if !ValidIssueStatus(st) {
			return fmt.Errorf("bad status %q: want unresolved, resolved, resolved_in_next_release or ignored", st)
		}
		if _, err := s.db.ExecContext(ctx, `UPDATE issues SET status = ?, resolved_at = ?, resolved_release = ?,
			ignore_until = ?, ignore_count = ?, ignored_seen = 0 WHERE id = ?`,
			st, u.Now, u.Release, u.IgnoreUntil, u.IgnoreCount, id); err != nil {
			return fmt.Errorf("set status of issue %d: %w", id, err)
		}
	}
	if u.Assignee != nil {
		if _, err := s.db.ExecContext(ctx, `UPDATE issues SET assignee = ? WHERE id = ?`, *u.Assignee, id); err != nil {
			return fmt.Errorf("assign issue %d: %w", id, err)
		}
	}
	return nil
}

// MergeIssues moves the fingerprints of the other issues into target; new
// events with those fingerprints then count for target. The merged issues
// keep their rows (merged_into set) so they can be unmerged.
func (s *Store) MergeIssues(ctx context.Context, project, target int64, others []int64) error {
	return s.retry(ctx, func() error { return s.mergeIssues(ctx, project, target, others) })
}

// mergeIssues is one attempt at MergeIssues.
func (s *Store) mergeIssues(ctx context.Context, project, target int64, others []int64) error {
	if _, err := s.IssueByID(ctx, project, target); err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("merge into issue %d: %w", target, err)
	}
	defer tx.Rollback()
	for _, o := range others {
		if o == target {
			continue
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM issues WHERE project_id = ? AND id = ?`, project, o).Scan(&n); err != nil || n == 0 {
			return fmt.Errorf("merge issue %d: %w", o, ErrNoIssue)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE issue_fingerprints SET issue_id = ? WHERE project_id = ? AND issue_id = ?`, target, project, o); err != nil {
			return fmt.Errorf("merge issue %d into %d: %w", o, target, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE issues SET merged_into = ? WHERE project_id = ? AND (id = ? OR merged_into = ?)`, target, project, o, o); err != nil {
			return fmt.Errorf("merge issue %d into %d: %w", o, target, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("merge into issue %d: %w", target, err)
	}
	return nil
}

// UnmergeIssue splits fingerprint fp out of issue id: the issue that fp
// opened becomes visible again and receives fp's events; a fingerprint that
// opened issue id itself cannot be split out.
func (s *Store) UnmergeIssue(ctx context.Context, project, id int64, fp string) error {
	return s.retry(ctx, func() error { return s.unmergeIssue(ctx, project, id, fp) })
}

// unmergeIssue is one attempt at UnmergeIssue.
func (s *Store) unmergeIssue(ctx context.Context, project, id int64, fp string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("unmerge %q: %w", fp, err)
	}
	defer tx.Rollback()
	var owner int64
	err = tx.QueryRowContext(ctx, `SELECT id FROM issues WHERE project_id = ? AND fingerprint = ? AND merged_into = ?`, project, fp, id).Scan(&owner)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("fingerprint %q was not merged into issue %d: %w", fp, id, ErrNoIssue)
	}
	if err != nil {
		return fmt.Errorf("unmerge %q: %w", fp, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE issues SET merged_into = 0 WHERE id = ?`, owner); err != nil {
		return fmt.Errorf("unmerge %q: %w", fp, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE issue_fingerprints SET issue_id = ? WHERE project_id = ? AND fingerprint = ?`, owner, project, fp); err != nil {
		return fmt.Errorf("unmerge %q: %w", fp, err)
	}
	return tx.Commit()
}

// AddIssueDropped counts events of an issue's fingerprint dropped by the
// rate limit.
func (s *Store) AddIssueDropped(ctx context.Context, project int64, fp string, n int64) error {
	_, err := s.db.ExecContext(ctx, `UPDATE issues SET dropped = dropped + ? WHERE id =
		(SELECT issue_id FROM issue_fingerprints WHERE project_id = ? AND fingerprint = ?)`, n, project, fp)
	if err != nil {
		return fmt.Errorf("count dropped events of %q: %w", fp, err)
	}
	return nil
}

// IssueSignals returns the new and regressed signals of a project since a
// time (µs), oldest first.
func (s *Store) IssueSignals(ctx context.Context, project, since int64) ([]IssueSignal, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, project_id, issue_id, kind, ts, release FROM issue_signals
		WHERE project_id = ? AND ts >= ? ORDER BY ts, id`, project, since)
	if err != nil {
		return nil, fmt.Errorf("list issue signals: %w", err)
	}
	defer rows.Close()
	var out []IssueSignal
	for rows.Next() {
		var sg IssueSignal
		if err := rows.Scan(&sg.ID, &sg.ProjectID, &sg.IssueID, &sg.Kind, &sg.TS, &sg.Release); err != nil {
			return nil, fmt.Errorf("read issue signal: %w", err)
		}
		out = append(out, sg)
	}
	return out, rows.Err()
}

// IssueSettings reads a project's issue settings as the JSON document the
// issues feature stored ("{}" when none).
func (s *Store) IssueSettings(ctx context.Context, project int64) (json.RawMessage, error) {
	var doc string
	err := s.db.QueryRowContext(ctx, `SELECT settings FROM issue_settings WHERE project_id = ?`, project).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return json.RawMessage("{}"), nil
	}
	if err != nil {
		return nil, fmt.Errorf("read issue settings of project %d: %w", project, err)
	}
	return json.RawMessage(doc), nil
}

// SetIssueSettings replaces a project's issue settings document.
func (s *Store) SetIssueSettings(ctx context.Context, project int64, doc json.RawMessage) error {
	if !json.Valid(doc) || !strings.HasPrefix(strings.TrimSpace(string(doc)), "{") {
		return fmt.Errorf("issue settings of project %d: not a JSON object", project)
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO issue_settings (project_id, settings) VALUES (?, ?)
		ON CONFLICT(project_id) DO UPDATE SET settings = excluded.settings`, project, string(doc)); err != nil {
		return fmt.Errorf("store issue settings of project %d: %w", project, err)
	}
	return nil
}
