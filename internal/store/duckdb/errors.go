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

// IssueGroups implements store.IssueReader. Without a query it reads the
// error index, and the table only for the partial hours at the range's
// edges.
func (s *Store) IssueGroups(ctx context.Context, r store.IssueGroupsRequest) ([]store.IssueGroup, error) {
	if r.Query == nil || r.Query.Root == nil {
		if gp, ok := s.errs.groups(r); ok {
			return s.indexedGroups(ctx, r, gp)
		}
	}
	return s.issueGroupsSQL(ctx, r)
}

// completeGroups adds the table's partial hours to the index's answer.
func (s *Store) completeGroups(ctx context.Context, r store.IssueGroupsRequest, gp groupsPlan) error {
	for h, fps := range gp.edges {
		rng := store.Range{From: max(r.Range.From, h*hourMicros), To: min(r.Range.To, (h+1)*hourMicros)}
		if err := s.edgeGroups(ctx, r.ProjectID, rng, fps, gp.groups); err != nil {
			return err
		}
	}
	return nil
}

// indexedGroups renders the index's answer completed by the table.
func (s *Store) indexedGroups(ctx context.Context, r store.IssueGroupsRequest, gp groupsPlan) ([]store.IssueGroup, error) {
	if err := s.completeGroups(ctx, r, gp); err != nil {
		return nil, err
	}
	out := make([]store.IssueGroup, 0, len(gp.groups))
	for fp, a := range gp.groups {
		out = append(out, store.IssueGroup{Fingerprint: fp, Count: a.count, Users: gp.users[fp], FirstSeen: a.minTS,
			LastSeen: a.maxTS, FirstRelease: a.firstRel, LastRelease: a.lastRel})
	}
	return out, nil
}

// edgeGroups aggregates the error events of some fingerprints within a
// short range into acc.
func (s *Store) edgeGroups(ctx context.Context, project int64, rng store.Range, fps []string, acc map[string]*groupAcc) error {
	rows, err := s.db.QueryContext(ctx, `SELECT fingerprint, count(*), min(ts), max(ts),
		coalesce(min(ts) FILTER (WHERE release <> ''), 0), coalesce(max(ts) FILTER (WHERE release <> ''), 0),
		coalesce(arg_min(release, ts) FILTER (WHERE release <> ''), ''), coalesce(arg_max(release, ts) FILTER (WHERE release <> ''), '')
		FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND kind = 'error' AND fingerprint IN (SELECT unnest(?::VARCHAR[]))
		GROUP BY fingerprint`, project, rng.From, rng.To, fps)
	if err != nil {
		return fmt.Errorf("group error events of [%d, %d): %w", rng.From, rng.To, err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			fp string
			b  groupAcc
		)
		if err := rows.Scan(&fp, &b.count, &b.minTS, &b.maxTS, &b.relMinTS, &b.relMaxTS, &b.firstRel, &b.lastRel); err != nil {
			return fmt.Errorf("read error group: %w", err)
		}
		a := acc[fp]
		if a == nil {
			a = &groupAcc{}
			acc[fp] = a
		}
		a.merge(b)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("group error events of [%d, %d): %w", rng.From, rng.To, err)
	}
	return nil
}

// issueGroupsSQL aggregates the matching rows of the events table.
func (s *Store) issueGroupsSQL(ctx context.Context, r store.IssueGroupsRequest) ([]store.IssueGroup, error) {
	inner, args, ok, err := s.errorRows(r)
	if err != nil || !ok {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT fingerprint, `+errorAggCols(r.Users)+` FROM (`+inner+`) GROUP BY fingerprint`, args...)
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
	if (r.Query == nil || r.Query.Root == nil) && r.Fingerprints != nil {
		users, uok := s.errs.usersUnion(r.ProjectID, r.Range, r.Fingerprints)
		byFP := r
		byFP.Users = false
		if gp, ok := s.errs.groups(byFP); ok && (uok || !r.Users) {
			if err := s.completeGroups(ctx, r, gp); err != nil {
				return store.IssueGroup{}, err
			}
			var tot groupAcc
			for _, a := range gp.groups {
				tot.merge(*a)
			}
			g := store.IssueGroup{Count: tot.count, FirstSeen: tot.minTS, LastSeen: tot.maxTS,
				FirstRelease: tot.firstRel, LastRelease: tot.lastRel}
			if r.Users && tot.count > 0 {
				g.Users = users
			}
			return g, nil
		}
	}
	inner, args, ok, err := s.errorRows(r)
	if err != nil || !ok {
		return store.IssueGroup{}, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+errorAggCols(r.Users)+` FROM (`+inner+`) HAVING count(*) > 0`, args...)
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
	if out, ok := s.errs.series(r, n); ok {
		return out, nil
	}
	return s.issueSeriesSQL(ctx, r, n)
}

// issueSeriesSQL counts from the events table.
func (s *Store) issueSeriesSQL(ctx context.Context, r store.IssueSeriesRequest, n int) (map[string][]int64, error) {
	out := map[string][]int64{}
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
