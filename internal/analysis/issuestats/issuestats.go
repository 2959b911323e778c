// Package issuestats states the issue list's aggregates: the error events
// (kind error) of a project grouped by fingerprint, with their counts,
// distinct users, first and last times and releases; the same over several
// fingerprints at once; and their counts over time. internal/issue reads
// them. The queries are built through the store's Dialect and read
// through the store's word filter when it has one (internal/analysis/scan);
// a store with an error index (store.ErrorIndex, an optional accelerator)
// answers what the index holds exactly, and the SQL adds the rest (the
// partial hours at a range's edges). Every answer is exact either way.
package issuestats

import (
	"context"
	"fmt"
	"strings"

	"github.com/lore-dev/lore/internal/analysis/scan"
	"github.com/lore-dev/lore/internal/query"
	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
)

// maxSteps bounds a series.
const maxSteps = 10_000

// Groups is a query object: one group per fingerprint with matching
// error events, in no particular order. Query further restricts the
// events (nil: all); Fingerprints the groups (nil: every group); Users
// asks for the distinct users too (without it IssueGroup.Users is 0).
type Groups store.IssueGroupsRequest

// Total is a query object: every matching error event of the listed
// fingerprints aggregated as one group (Fingerprint empty; zero without
// events), so that the users of merged fingerprints count once.
type Total store.IssueGroupsRequest

// Series is a query object: per fingerprint, the count of error events
// in each Step of Range, oldest first (fingerprints without events are
// absent).
type Series store.IssueSeriesRequest

// Key identifies the query, for caching its answer.
func (q Groups) Key() string { return "issuestats.groups:" + requestKey(store.IssueGroupsRequest(q)) }

// Key identifies the query, for caching its answer.
func (q Total) Key() string { return "issuestats.total:" + requestKey(store.IssueGroupsRequest(q)) }

// Key identifies the query, for caching its answer.
func (q Series) Key() string {
	return fmt.Sprintf("issuestats.series:%d:%d:%d:%d:%s", q.ProjectID, q.Range.From, q.Range.To, q.Step, fpsKey(q.Fingerprints))
}

// Scope is what the query reads.
func (q Groups) Scope() sqlq.Scope { return scopeOf(q.ProjectID, q.Range) }

// Scope is what the query reads.
func (q Total) Scope() sqlq.Scope { return scopeOf(q.ProjectID, q.Range) }

// Scope is what the query reads.
func (q Series) Scope() sqlq.Scope { return scopeOf(q.ProjectID, q.Range) }

func scopeOf(project int64, r store.Range) sqlq.Scope {
	return sqlq.Scope{ProjectID: project, From: r.From, To: r.To}
}

func requestKey(r store.IssueGroupsRequest) string {
	where := ""
	if r.Query != nil {
		where = r.Query.String()
	}
	return fmt.Sprintf("%d:%d:%d:%q:%t:%s", r.ProjectID, r.Range.From, r.Range.To, where, r.Users, fpsKey(r.Fingerprints))
}

// fpsKey tells nil (every fingerprint) from a list, empty or not.
func fpsKey(fps []string) string {
	if fps == nil {
		return "*"
	}
	var b strings.Builder
	for _, fp := range fps {
		fmt.Fprintf(&b, "%d:%s,", len(fp), fp)
	}
	return "[" + b.String() + "]"
}

// errorCond restricts rows to the error events of fps (nil: every
// fingerprint), with its arguments.
func errorCond(d sqlq.Dialect, fps []string) (string, []any) {
	if fps == nil {
		return "kind = 'error'", nil
	}
	return "kind = 'error' AND " + d.InStrings("fingerprint"), []any{fps}
}

// aggCols aggregates error rows: count, users (0 unless asked), first and
// last times, first and last release.
func aggCols(d sqlq.Dialect, users bool) string {
	u := "0"
	if users {
		u = d.CountDistinct("CASE WHEN user_id <> '' THEN user_id END")
	}
	return "count(*), " + u + ", min(ts), max(ts), " + releaseCols(d)
}

// releaseCols are the first and last release of the rows that have one.
func releaseCols(d sqlq.Dialect) string {
	return "coalesce(" + d.ArgMinIf("release", "ts", "release <> ''") + ", ''), coalesce(" + d.ArgMaxIf("release", "ts", "release <> ''") + ", '')"
}

// groupsQuery compiles the groups (total: one row, no fingerprint) of the
// planned rows.
func groupsQuery(d sqlq.Dialect, p scan.Plan, fps []string, users, total bool) (sqlq.Query, error) {
	cond, args := errorCond(d, fps)
	b := &sqlq.Builder{}
	if total {
		b.Add("SELECT " + aggCols(d, users) + " FROM (")
	} else {
		b.Add("SELECT fingerprint, " + aggCols(d, users) + " FROM (")
	}
	p.Rows(b, "fingerprint, ts, user_id, release", nil, cond, args...)
	name := "issuestats.groups"
	if total {
		b.Add(") e HAVING count(*) > 0")
		name = "issuestats.total"
	} else {
		b.Add(") e GROUP BY fingerprint")
	}
	return b.Query(name, sqlq.Scope{ProjectID: p.ProjectID, From: p.Range.From, To: p.Range.To})
}

// edgeQuery compiles the parts of some fingerprints' error events in a
// short range (an edge an error index leaves to the table).
func edgeQuery(d sqlq.Dialect, project int64, e store.IssueEdge) (sqlq.Query, error) {
	cond, args := errorCond(d, e.Fingerprints)
	b := &sqlq.Builder{}
	b.Add("SELECT fingerprint, count(*), min(ts), max(ts), coalesce(" + d.AggIf(sqlq.AggMin, "ts", "release <> ''") + ", 0), coalesce(" +
		d.AggIf(sqlq.AggMax, "ts", "release <> ''") + ", 0), " + releaseCols(d))
	b.Add(" FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND "+cond+" GROUP BY fingerprint",
		append([]any{project, e.Range.From, e.Range.To}, args...)...)
	return b.Query("issuestats.edge", sqlq.Scope{ProjectID: project, From: e.Range.From, To: e.Range.To})
}

// seriesQuery compiles the counts per fingerprint and step.
func seriesQuery(d sqlq.Dialect, r store.IssueSeriesRequest) (sqlq.Query, error) {
	cond, args := errorCond(d, r.Fingerprints)
	b := &sqlq.Builder{}
	b.Add("SELECT fingerprint, "+d.TimeBucket("ts", "?", "?")+" AS b, count(*)", r.Range.From, r.Step)
	b.Add(" FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND "+cond+" GROUP BY fingerprint, b",
		append([]any{r.ProjectID, r.Range.From, r.Range.To}, args...)...)
	return b.Query("issuestats.series", sqlq.Scope{ProjectID: r.ProjectID, From: r.Range.From, To: r.Range.To})
}

// noQuery is true when q matches every event.
func noQuery(q *query.Query) bool { return q == nil || q.Root == nil }

// index is the store's error index, or nil.
func index(ex sqlq.Executor) store.ErrorIndex {
	ix, _ := ex.(store.ErrorIndex)
	return ix
}

// Run answers the groups: from the error index (completed at the
// range's edges by the table) when the store has one and the request has
// no query, else from the events table.
func (q Groups) Run(ctx context.Context, ex sqlq.Executor) ([]store.IssueGroup, error) {
	r := store.IssueGroupsRequest(q)
	if ix := index(ex); ix != nil && noQuery(r.Query) {
		if res, ok := ix.IndexedIssueGroups(r); ok {
			if err := addEdges(ctx, ex, r.ProjectID, res); err != nil {
				return nil, fmt.Errorf("issue groups: %w", err)
			}
			out := make([]store.IssueGroup, 0, len(res.Parts))
			for fp, p := range res.Parts {
				g := p.IssueGroup
				g.Fingerprint, g.Users = fp, res.Users[fp]
				out = append(out, g)
			}
			return out, nil
		}
	}
	out, err := groupsSQL(ctx, ex, r, false)
	if err != nil {
		return nil, fmt.Errorf("issue groups: %w", err)
	}
	return out, nil
}

// groupsSQL aggregates the matching rows of the events table.
func groupsSQL(ctx context.Context, ex sqlq.Executor, r store.IssueGroupsRequest, total bool) ([]store.IssueGroup, error) {
	if r.Fingerprints != nil && len(r.Fingerprints) == 0 {
		return nil, nil
	}
	p, err := scan.New(ex, r.ProjectID, r.Range, r.Query)
	if err != nil || p.None {
		return nil, err
	}
	cq, err := groupsQuery(ex.Dialect(), p, r.Fingerprints, r.Users, total)
	if err != nil {
		return nil, err
	}
	var out []store.IssueGroup
	err = ex.Run(ctx, cq, func(row sqlq.Scanner) error {
		var g store.IssueGroup
		dest := []any{&g.Count, &g.Users, &g.FirstSeen, &g.LastSeen, &g.FirstRelease, &g.LastRelease}
		if !total {
			dest = append([]any{&g.Fingerprint}, dest...)
		}
		if err := row.Scan(dest...); err != nil {
			return err
		}
		out = append(out, g)
		return nil
	})
	return out, err
}

// addEdges adds to res.Parts the table's events in the edges the index
// left.
func addEdges(ctx context.Context, ex sqlq.Executor, project int64, res store.IndexedIssues) error {
	for _, e := range res.Edges {
		if len(e.Fingerprints) == 0 {
			continue
		}
		cq, err := edgeQuery(ex.Dialect(), project, e)
		if err != nil {
			return err
		}
		if err := ex.Run(ctx, cq, func(row sqlq.Scanner) error {
			var (
				fp string
				b  store.IssuePart
			)
			if err := row.Scan(&fp, &b.Count, &b.FirstSeen, &b.LastSeen, &b.FirstReleaseTS, &b.LastReleaseTS,
				&b.FirstRelease, &b.LastRelease); err != nil {
				return err
			}
			res.Parts[fp] = Merge(res.Parts[fp], b)
			return nil
		}); err != nil {
			return fmt.Errorf("edge [%d, %d): %w", e.Range.From, e.Range.To, err)
		}
	}
	return nil
}

// Merge adds part b to a: counts add up, times widen, the first release
// is the earliest's and the last the latest's (b's on a tie). Users are
// left as they are (distinct users do not add up).
func Merge(a, b store.IssuePart) store.IssuePart {
	if b.Count == 0 {
		return a
	}
	if a.Count == 0 {
		a.FirstSeen, a.LastSeen = b.FirstSeen, b.LastSeen
	} else {
		a.FirstSeen, a.LastSeen = min(a.FirstSeen, b.FirstSeen), max(a.LastSeen, b.LastSeen)
	}
	a.Count += b.Count
	if b.FirstRelease != "" && (a.FirstRelease == "" || b.FirstReleaseTS < a.FirstReleaseTS) {
		a.FirstReleaseTS, a.FirstRelease = b.FirstReleaseTS, b.FirstRelease
	}
	if b.LastRelease != "" && (a.LastRelease == "" || b.LastReleaseTS >= a.LastReleaseTS) {
		a.LastReleaseTS, a.LastRelease = b.LastReleaseTS, b.LastRelease
	}
	return a
}

// Run answers the total: from the error index when the store has one,
// the request has no query and lists its fingerprints, and the index
// holds the users when they are asked for; else from the events table.
func (q Total) Run(ctx context.Context, ex sqlq.Executor) (store.IssueGroup, error) {
	r := store.IssueGroupsRequest(q)
	if ix := index(ex); ix != nil && noQuery(r.Query) && r.Fingerprints != nil {
		users, uok := ix.IndexedIssueUsers(r.ProjectID, r.Range, r.Fingerprints)
		byFP := r
		byFP.Users = false
		if res, ok := ix.IndexedIssueGroups(byFP); ok && (uok || !r.Users) {
			if err := addEdges(ctx, ex, r.ProjectID, res); err != nil {
				return store.IssueGroup{}, fmt.Errorf("issue total: %w", err)
			}
			var tot store.IssuePart
			for _, p := range res.Parts {
				tot = Merge(tot, p)
			}
			g := tot.IssueGroup
			g.Fingerprint, g.Users = "", 0
			if r.Users && tot.Count > 0 {
				g.Users = users
			}
			return g, nil
		}
	}
	gs, err := groupsSQL(ctx, ex, r, true)
	if err != nil {
		return store.IssueGroup{}, fmt.Errorf("issue total: %w", err)
	}
	if len(gs) == 0 {
		return store.IssueGroup{}, nil
	}
	return gs[0], nil
}

// Run answers the series: from the error index when the store has one
// and it can (whole hours), else from the events table.
func (q Series) Run(ctx context.Context, ex sqlq.Executor) (map[string][]int64, error) {
	r := store.IssueSeriesRequest(q)
	if r.Step <= 0 {
		return nil, fmt.Errorf("error series: step %d is not positive", r.Step)
	}
	if r.Range.To <= r.Range.From {
		return nil, fmt.Errorf("error series: empty time range [%d, %d)", r.Range.From, r.Range.To)
	}
	n := (r.Range.To - r.Range.From + r.Step - 1) / r.Step
	if n > maxSteps {
		return nil, fmt.Errorf("error series: %d steps is too many (max %d)", n, maxSteps)
	}
	out := map[string][]int64{}
	if len(r.Fingerprints) == 0 {
		return out, nil
	}
	if ix := index(ex); ix != nil {
		if s, ok := ix.IndexedIssueSeries(r, int(n)); ok {
			return s, nil
		}
	}
	cq, err := seriesQuery(ex.Dialect(), r)
	if err != nil {
		return nil, fmt.Errorf("error series: %w", err)
	}
	if err := ex.Run(ctx, cq, func(row sqlq.Scanner) error {
		var (
			fp   string
			b, c int64
		)
		if err := row.Scan(&fp, &b, &c); err != nil {
			return err
		}
		s := out[fp]
		if s == nil {
			s = make([]int64, n)
			out[fp] = s
		}
		if b >= 0 && b < n {
			s[b] += c
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("error series: %w", err)
	}
	return out, nil
}
