package store

import "github.com/lore-dev/lore/internal/query"

// The issue list's aggregates are internal/analysis/issuestats's query
// objects; the types below are what they take and give, and what an error
// index (ErrorIndex) answers.

// IssueGroupsRequest asks for the error events (kind "error") of a project
// grouped by fingerprint. Query further restricts the events (nil: all);
// Fingerprints restricts the groups (nil: every group).
type IssueGroupsRequest struct {
	ProjectID    int64
	Range        Range
	Query        *query.Query
	Fingerprints []string
	// Users asks for the distinct users too, which costs more than the
	// rest; without it IssueGroup.Users is 0.
	Users bool
}

// IssueGroup aggregates the error events of one fingerprint (or, in
// issuestats.Total, of several) within the request's range.
type IssueGroup struct {
	Fingerprint  string
	Count        int64
	Users        int64  // distinct non-empty user_id, when asked for
	FirstSeen    int64  // µs
	LastSeen     int64  // µs
	FirstRelease string // release of the earliest event that has one
	LastRelease  string // release of the latest event that has one
}

// IssueSeriesRequest counts the error events of some fingerprints per Step
// microseconds over Range.
type IssueSeriesRequest struct {
	ProjectID    int64
	Range        Range
	Fingerprints []string // required
	Step         int64    // > 0
}

// IssuePart is one fingerprint's error events (or several's, as they
// are added up) in part of a range: an IssueGroup with the times
// of its first and last event that has a release, so that parts merge.
type IssuePart struct {
	IssueGroup
	FirstReleaseTS, LastReleaseTS int64 // µs, 0 without a release
}

// IssueEdge is a part of a range an error index leaves to the table,
// with the fingerprints whose events there it does not hold.
type IssueEdge struct {
	Range        Range
	Fingerprints []string
}

// IndexedIssues is what an error index answers of an IssueGroupsRequest:
// the parts it holds, per fingerprint (their Users unset), the distinct
// users per fingerprint over the whole range (when asked for), and the
// edges whose events the table must add.
type IndexedIssues struct {
	Parts map[string]IssuePart
	Users map[string]int64
	Edges []IssueEdge
}

// ErrorIndex is an optional accelerator (the DuckDB store's error index,
// internal/store/errindex), found by type assertion: it answers what it
// holds exactly of the issue list's aggregates, or says it cannot (ok
// false), in which case internal/analysis/issuestats runs the SQL, which
// gives the same answer.
type ErrorIndex interface {
	// IndexedIssueGroups answers a request without a query (r.Query is
	// nil) up to its edges.
	IndexedIssueGroups(r IssueGroupsRequest) (res IndexedIssues, ok bool)
	// IndexedIssueSeries answers a series request of steps steps
	// (r.Fingerprints not empty) wholly.
	IndexedIssueSeries(r IssueSeriesRequest, steps int) (series map[string][]int64, ok bool)
	// IndexedIssueUsers counts the distinct users of the error events of
	// fps in r.
	IndexedIssueUsers(project int64, r Range, fps []string) (users int64, ok bool)
}
