package store

import (
	"context"

	"github.com/lore-dev/lore/internal/query"
)

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

// IssueGroup aggregates the error events of one fingerprint (or, from
// IssueTotal, of several) within the request's range.
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

// IssueReader answers the issues feature's aggregate questions. Its methods
// are safe for concurrent use; every answer is exact.
type IssueReader interface {
	// IssueGroups returns one group per fingerprint with matching events,
	// in no particular order.
	IssueGroups(ctx context.Context, r IssueGroupsRequest) ([]IssueGroup, error)
	// IssueTotal aggregates every matching event of r.Fingerprints as one
	// group (Fingerprint is empty), so that distinct users across merged
	// fingerprints are counted once.
	IssueTotal(ctx context.Context, r IssueGroupsRequest) (IssueGroup, error)
	// IssueSeries returns, per fingerprint, the count of each step of the
	// range, oldest first (fingerprints without events are absent).
	IssueSeries(ctx context.Context, r IssueSeriesRequest) (map[string][]int64, error)
}
