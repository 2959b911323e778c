package duckdb

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/lore-dev/lore/internal/store"
)

var _ store.IssueReader = (*Store)(nil)

// errorAggCols aggregates the rows of errorRows; users counts distinct
// users or leaves 0.
func errorAggCols(users bool) string {
	u := "0"
	if users {
		u = "count(DISTINCT user_id) FILTER (WHERE user_id <> '')"
	}
	return `count(*), ` + u + `, min(ts), max(ts),
	coalesce(arg_min(release, ts) FILTER (WHERE release <> ''), ''),
	coalesce(arg_max(release, ts) FILTER (WHERE release <> ''), '')`
}

// errorRows renders the error events of a request (fingerprint, ts,
// user_id, release), pruned by time and by the query's blocks. ok is
// false when nothing can match.
func (s *Store) errorRows(r store.IssueGroupsRequest) (string, []any, bool, error) {
	p, err := s.plan(r.ProjectID, r.Range, r.Query)
	if err != nil {
		return "", nil, false, fmt.Errorf("plan error groups: %w", err)
	}
	if p.none {
		return "", nil, false, nil
	}
	extra, extraArgs := fingerprintCond(r.Fingerprints)
	q, args := p.sql("fingerprint, ts, user_id, release", nil, extra, extraArgs, "")
	return q, args, true, nil
}

// fingerprintCond restricts the rows to error events of some
// fingerprints. The list travels as one bound VARCHAR[] and is semi-joined,
// which for a page of 100 fingerprints is about twice as fast as an IN list
// of 100 parameters.
func fingerprintCond(fps []string) (string, []any) {
	if fps == nil {
		return "kind = 'error'", nil
	}
	if len(fps) == 0 {
		return "false", nil
	}
	return "kind = 'error' AND fingerprint IN (SELECT unnest(?::VARCHAR[]))", []any{fps}
}

// IssueGroups implements store.IssueReader.
func (s *Store) IssueGroups(ctx context.Context, r store.IssueGroupsRequest) ([]store.IssueGroup, error) {
	inner, args, ok, err := s.errorRows(r)
	if err != nil || !ok {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT fingerprint, `+errorAggCols(r.Users)+` FROM (`+inner+`) GROUP BY fingerprint`, bindable(args)...)
	if err != nil {
		return nil, fmt.Errorf("group error events: %w", err)
	}
	defer rows.Close()
	var out []store.IssueGroup
	for rows.Next() {
		g, err := scanIssueGroup(rows, true)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("group error events: %w", err)
	}
	return out, nil
}

// IssueTotal implements store.IssueReader.
func (s *Store) IssueTotal(ctx context.Context, r store.IssueGroupsRequest) (store.IssueGroup, error) {
	inner, args, ok, err := s.errorRows(r)
	if err != nil || !ok {
		return store.IssueGroup{}, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+errorAggCols(r.Users)+` FROM (`+inner+`) HAVING count(*) > 0`, bindable(args)...)
	if err != nil {
		return store.IssueGroup{}, fmt.Errorf("total error events: %w", err)
	}
	defer rows.Close()
	var g store.IssueGroup
	if rows.Next() {
		if g, err = scanIssueGroup(rows, false); err != nil {
			return g, err
		}
	}
	return g, rows.Err()
}

func scanIssueGroup(rows *sql.Rows, withFP bool) (store.IssueGroup, error) {
	var g store.IssueGroup
	dest := []any{&g.Count, &g.Users, &g.FirstSeen, &g.LastSeen, &g.FirstRelease, &g.LastRelease}
	if withFP {
		dest = append([]any{&g.Fingerprint}, dest...)
	}
	if err := rows.Scan(dest...); err != nil {
		return g, fmt.Errorf("read error group: %w", err)
	}
	return g, nil
}

// IssueSeries implements store.IssueReader.
func (s *Store) IssueSeries(ctx context.Context, r store.IssueSeriesRequest) (map[string][]int64, error) {
	if r.Step <= 0 {
		return nil, fmt.Errorf("error series: step %d is not positive", r.Step)
	}
	if r.Range.To <= r.Range.From {
		return nil, fmt.Errorf("error series: empty time range [%d, %d)", r.Range.From, r.Range.To)
	}
	n := int((r.Range.To - r.Range.From + r.Step - 1) / r.Step)
	if n > 10_000 {
		return nil, fmt.Errorf("error series: %d steps is too many (max 10000)", n)
	}
	out := map[string][]int64{}
	if len(r.Fingerprints) == 0 {
		return out, nil
	}
	cond, fargs := fingerprintCond(r.Fingerprints)
	args := append([]any{r.Range.From, r.Step, r.ProjectID, r.Range.From, r.Range.To}, fargs...)
	rows, err := s.db.QueryContext(ctx, `SELECT fingerprint, (ts - ?) // ? AS b, count(*) FROM events
		WHERE project_id = ? AND ts >= ? AND ts < ? AND `+cond+` GROUP BY fingerprint, b`, args...)
	if err != nil {
		return nil, fmt.Errorf("count error events over time: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			fp   string
			b, c int64
		)
		if err := rows.Scan(&fp, &b, &c); err != nil {
			return nil, fmt.Errorf("read error series: %w", err)
		}
		s := out[fp]
		if s == nil {
			s = make([]int64, n)
			out[fp] = s
		}
		if b >= 0 && int(b) < n {
			s[b] += c
		}
	}
	return out, rows.Err()
}
