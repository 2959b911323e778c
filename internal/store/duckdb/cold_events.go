package duckdb

import (
	"context"
	"strings"

	"github.com/lore-dev/lore/internal/store"
)

// ArchivedEvents gives a query compiled outside the store (pipes.Archive)
// the cold tier's rows of a project over [from, to): of the events
// table's columns, project_id, ts and those use wants, and a FROM item
// reading them from the archived Parquet files of the days overlapping
// the range — the files archiveFiles lists, never a name from the query.
// src is "" when the archive holds none of those days (or the store has
// no archive), so that such a range reads no file.
func (s *Store) ArchivedEvents(ctx context.Context, project, from, to int64, use func(column string) bool) (cols []string, src string, err error) {
	if to <= from {
		return nil, "", nil
	}
	files, err := s.archiveFiles(ctx, project, store.Range{From: from, To: to})
	if err != nil || len(files) == 0 {
		return nil, "", err
	}
	for _, c := range strings.Split(eventCols, ",") {
		c = strings.TrimSpace(c)
		if c != "rowid" && (c == "project_id" || c == "ts" || use(c)) {
			cols = append(cols, c)
		}
	}
	return cols, archiveSource(files), nil
}

// SampleWeight gives a query compiled outside the store (pipes.Sampling)
// the weight of an event in an estimated count (sampleWeight: 1/rate for
// an event sampling kept, NULL otherwise) when a day of [from, to) holds
// events of project a sampling kept (sampled_days), else "".
func (s *Store) SampleWeight(_ context.Context, project, from, to int64) string {
	if to <= from || !s.sampled.overlaps(project, store.Range{From: from, To: to}) {
		return ""
	}
	return sampleWeight
}
