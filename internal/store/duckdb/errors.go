package duckdb

import "github.com/lore-dev/lore/internal/store"

var _ store.ErrorIndex = (*Store)(nil)

// IndexedIssueGroups implements store.ErrorIndex with the store's error
// index (internal/store/errindex), fed each committed batch.
func (s *Store) IndexedIssueGroups(r store.IssueGroupsRequest) (store.IndexedIssues, bool) {
	return s.errs.IndexedIssueGroups(r)
}

// IndexedIssueSeries implements store.ErrorIndex.
func (s *Store) IndexedIssueSeries(r store.IssueSeriesRequest, steps int) (map[string][]int64, bool) {
	return s.errs.IndexedIssueSeries(r, steps)
}

// IndexedIssueUsers implements store.ErrorIndex.
func (s *Store) IndexedIssueUsers(project int64, r store.Range, fps []string) (int64, bool) {
	return s.errs.IndexedIssueUsers(project, r, fps)
}
