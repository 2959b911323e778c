package duckdb

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/analysis/events"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/query"
	"github.com/lore-dev/lore/internal/store"
)

// TestArchivedDaysAreCounted deletes two old days into the cold tier: a
// histogram and facets over a range reaching back that far count the
// archived events with the hot ones, with a query too, and with words
// only archived events hold (the hot blocks' filters rule every hot row
// out); a range of hot days alone reads no archive.
func TestArchivedDaysAreCounted(t *testing.T) {
	ctx := context.Background()
	archive := filepath.Join(t.TempDir(), "archive")
	s, err := Open(ctx, t.TempDir(), Options{MemoryLimit: "256MB", ArchiveDir: archive}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	day0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var evs []event.Event
	for d := range 4 {
		for i := range 50 {
			level := "info"
			if i%10 == 0 {
				level = "error"
			}
			evs = append(evs, event.Event{ProjectID: 1, Kind: event.KindLog, Level: level, Service: fmt.Sprint("svc-", i%3),
				TS:      day0.AddDate(0, 0, d).Add(time.Duration(i) * time.Minute).UnixMicro(),
				Message: fmt.Sprintf("checkout %d of day%d", i, d)})
		}
	}
	if err := s.Append(ctx, store.Batch{Seq: 1, Events: evs}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.DeleteEvents(ctx, 1, event.KindLog, day0.AddDate(0, 0, 2).UnixMicro()); err != nil || n != 100 {
		t.Fatalf("deleted %d (%v), want 100", n, err)
	}
	all := store.Range{From: day0.UnixMicro(), To: day0.AddDate(0, 0, 4).UnixMicro()}
	parse := func(s string) *query.Query {
		q, err := query.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		return q
	}
	perDay := func(q string, split string, rng store.Range) []store.Bucket {
		t.Helper()
		h, err := events.Reader{Ex: s}.Histogram(ctx, store.HistogramRequest{ProjectID: 1, Range: rng, Query: parse(q), Step: dayMicros, SplitBy: split})
		if err != nil {
			t.Fatal(err)
		}
		return h.Buckets
	}
	for _, split := range []string{"", "level"} {
		for d, b := range perDay("", split, all) {
			if b.Count != 50 {
				t.Errorf("split %q: day %d counts %d, want 50 (days 0 and 1 archived)", split, d, b.Count)
			}
			if split != "" && (b.By["error"] != 5 || b.By["info"] != 45) {
				t.Errorf("day %d by level: %v, want 5 errors and 45 info", d, b.By)
			}
		}
	}
	for d, b := range perDay("level:error", "", all) {
		if b.Count != 5 {
			t.Errorf("errors of day %d: %d, want 5", d, b.Count)
		}
	}
	// Words only the archive holds: the hot blocks' filters find none.
	if b := perDay("day0", "", all); b[0].Count != 50 || b[1].Count+b[2].Count+b[3].Count != 0 {
		t.Errorf("a word of the archived day 0 only: %d, %d, %d, %d; want 50, 0, 0, 0", b[0].Count, b[1].Count, b[2].Count, b[3].Count)
	}
	f, err := events.Reader{Ex: s}.Facets(ctx, store.FacetsRequest{ProjectID: 1, Range: all, Field: "service"})
	if err != nil {
		t.Fatal(err)
	}
	if f.Total != 200 || f.Distinct != 3 || len(f.Values) != 3 || f.Values[0] != (store.FacetValue{Value: "svc-0", Count: 68}) {
		t.Errorf("facets of service over hot and archived days: %+v, want 200 events, svc-0 first with 68", f)
	}
	f, err = events.Reader{Ex: s}.Facets(ctx, store.FacetsRequest{ProjectID: 1, Range: all, Query: parse("day1 level:error"), Field: "level"})
	if err != nil {
		t.Fatal(err)
	}
	if f.Total != 5 || len(f.Values) != 1 || f.Values[0].Value != "error" {
		t.Errorf("facets of day 1's errors (archived): %+v, want 5", f)
	}
	// The hot days alone: the same counts without the archive.
	hot := store.Range{From: day0.AddDate(0, 0, 2).UnixMicro(), To: all.To}
	if len(archiveList(t, s, 1, hot)) != 0 {
		t.Errorf("hot days list archive files: %v", archiveList(t, s, 1, hot))
	}
	f, err = events.Reader{Ex: s}.Facets(ctx, store.FacetsRequest{ProjectID: 1, Range: hot, Field: "service"})
	if err != nil || f.Total != 100 {
		t.Errorf("facets of the hot days: %+v %v, want 100", f, err)
	}
}

// TestFailedDeletionLeavesNoArchive fails a deletion after its archive
// was written (another transaction holds the same rows): the files it
// wrote go again, the rows stay hot, and the next deletion archives each
// row once — neither a search nor a count sees it twice.
func TestFailedDeletionLeavesNoArchive(t *testing.T) {
	ctx := context.Background()
	archive := filepath.Join(t.TempDir(), "archive")
	s, err := Open(ctx, t.TempDir(), Options{MemoryLimit: "256MB", ArchiveDir: archive}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	day0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var evs []event.Event
	for i := range 40 {
		evs = append(evs, event.Event{ProjectID: 1, Kind: event.KindLog, Service: "shop", Message: fmt.Sprint("line ", i),
			TS: day0.Add(time.Duration(i) * time.Hour).UnixMicro()})
	}
	if err := s.Append(ctx, store.Batch{Seq: 1, Events: evs}); err != nil {
		t.Fatal(err)
	}
	cut := day0.AddDate(0, 0, 1).UnixMicro()
	// Another transaction deletes the same rows and does not commit: the
	// deletion conflicts with it.
	other, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.ExecContext(ctx, `DELETE FROM events WHERE project_id = 1 AND ts < ?`, cut); err != nil {
		t.Fatal(err)
	}
	if n, err := s.DeleteEvents(ctx, 1, event.KindLog, cut); err == nil {
		t.Fatalf("the conflicting deletion succeeded (%d rows)", n)
	}
	other.Rollback()
	if files, _ := filepath.Glob(filepath.Join(archive, "*", "*", "*", "*.parquet")); len(files) != 0 {
		t.Fatalf("a failed deletion left archive files: %v", files)
	}
	if n, err := s.DeleteEvents(ctx, 1, event.KindLog, cut); err != nil || n != 24 {
		t.Fatalf("the retried deletion: %d, %v; want 24", n, err)
	}
	var archived int64
	files := archiveList(t, s, 1, store.Range{From: 0, To: 1 << 62})
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM `+archiveSource(files)).Scan(&archived); err != nil || archived != 24 {
		t.Errorf("archived rows: %d (%v), want 24 once", archived, err)
	}
	h, err := events.Reader{Ex: s}.Histogram(ctx, store.HistogramRequest{ProjectID: 1, Range: store.Range{From: day0.UnixMicro(), To: day0.AddDate(0, 0, 2).UnixMicro()}, Step: dayMicros})
	if err != nil || h.Buckets[0].Count != 24 || h.Buckets[1].Count != 16 {
		t.Errorf("counts per day after the retry: %+v %v, want 24 and 16", h.Buckets, err)
	}
}
