package events

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lore-dev/lore/internal/errs"
	"github.com/lore-dev/lore/internal/query"
	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/sqlq/sqlqtest"
	"github.com/lore-dev/lore/internal/store"
)

// recorder is an executor of dialect d that answers no rows and keeps the
// queries it was given.
type recorder struct {
	d       sqlq.Dialect
	queries *[]sqlq.Query
}

func (r recorder) Dialect() sqlq.Dialect { return r.d }
func (r recorder) Run(_ context.Context, q sqlq.Query, _ func(sqlq.Scanner) error) error {
	*r.queries = append(*r.queries, q)
	return nil
}

// filtered is a recorder with an id filter that names two parts of any
// range.
type filtered struct{ recorder }

func (filtered) IDRanges(_ int64, r store.Range, _ store.IDKind, _ string) ([]store.Range, bool) {
	return []store.Range{{From: r.From, To: r.From + 10}, {From: r.To - 10, To: r.To}}, true
}

var rng = store.Range{From: 1_000_000, To: 2_000_000}

// golden compares what runs with ex in each engine to
// testdata/<name>.<engine>.sql (-update rewrites them). What the SQL
// means is checked by the store conformance suite (storetest), which runs
// it on a real backend with and without the accelerators.
func golden(t *testing.T, name string, run func(ex sqlq.Executor, accel bool)) {
	t.Helper()
	for _, d := range []sqlq.Dialect{sqlq.DuckDB{}, sqlq.ClickHouse{}} {
		var qs []sqlq.Query
		run(recorder{d, &qs}, false)
		run(filtered{recorder{d, &qs}}, true)
		var sb strings.Builder
		for _, q := range qs {
			fmt.Fprintf(&sb, "-- %s %v\n%s;\n\n", q.Name, q.Args, q.SQL)
		}
		got := sb.String()
		sqlqtest.File(t, d, filepath.Join("testdata", name+"."+d.Name()+".sql"), got)
	}
}

func TestJourneyGolden(t *testing.T) {
	golden(t, "journey", func(ex sqlq.Executor, _ bool) {
		rd := Reader{Ex: ex}
		for _, r := range []store.JourneyRequest{
			{ProjectID: 7, By: store.ByTrace, ID: "4bf92f3577b34da6a3ce929d0e0e4736", Range: rng},
			{ProjectID: 7, By: store.BySession, ID: "s-1", Range: rng, Limit: 10},
			{ProjectID: 7, By: store.ByUser, ID: "alice", Range: rng},
		} {
			if _, err := rd.Journey(context.Background(), r); err != nil {
				t.Fatalf("Journey(%+v): %v", r, err)
			}
		}
	})
}

func TestJourneyBadRequests(t *testing.T) {
	var qs []sqlq.Query
	rd := Reader{Ex: recorder{sqlq.DuckDB{}, &qs}}
	for _, r := range []store.JourneyRequest{
		{ProjectID: 7, By: store.ByTrace, ID: "x", Range: store.Range{From: 5, To: 5}},
		{ProjectID: 7, By: store.ByTrace, ID: "", Range: rng},
		{ProjectID: 7, By: "nose", ID: "x", Range: rng},
	} {
		if _, err := rd.Journey(context.Background(), r); err == nil {
			t.Errorf("Journey(%+v) = nil error", r)
		}
	}
	if len(qs) != 0 {
		t.Errorf("bad requests ran %d queries", len(qs))
	}
}

// sampled is a recorder whose store holds archived and sampled days.
type sampled struct{ recorder }

func (sampled) ArchivedEvents(_ context.Context, _, _, _ int64, _ func(string) bool) ([]string, string, error) {
	return []string{"project_id", "ts"}, "archived_rows", nil
}

func (sampled) SampleWeight(context.Context, int64, int64, int64) string { return "w" }

// plainCounts is a recorder whose store tells that no day was sampled.
type plainCounts struct{ recorder }

func (plainCounts) SampleWeight(context.Context, int64, int64, int64) string { return "" }

func TestCountsGolden(t *testing.T) {
	q, err := query.Parse("service:api checkout")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "counts", func(ex sqlq.Executor, accel bool) {
		exs := []sqlq.Executor{ex}
		if !accel {
			r := ex.(recorder)
			exs = append(exs, sampled{r}, plainCounts{r})
		}
		for _, ex := range exs {
			rd := Reader{Ex: ex}
			if _, err := rd.Histogram(context.Background(), store.HistogramRequest{ProjectID: 7, Range: rng, Query: q, Step: 100_000}); err != nil {
				t.Fatal(err)
			}
			if _, err := rd.Histogram(context.Background(), store.HistogramRequest{ProjectID: 7, Range: rng, Step: 100_000, SplitBy: "cloud.region", MaxSplits: 3}); err != nil {
				t.Fatal(err)
			}
			for _, f := range []string{"level", "trace_id", "http_status"} {
				if _, err := rd.Facets(context.Background(), store.FacetsRequest{ProjectID: 7, Range: rng, Query: q, Field: f}); err != nil {
					t.Fatal(err)
				}
			}
		}
	})
}

// searchAccel is a recorder with a word filter, slices and an archive.
type searchAccel struct{ recorder }

func (searchAccel) WordRanges(_ int64, r store.Range, _ []string) ([]store.Range, bool) {
	return []store.Range{{From: r.From, To: r.From + 10}, {From: r.To - 10, To: r.To}}, true
}

func (searchAccel) NewestSlices(_ int64, r store.Range, _ int64) []store.Range {
	mid := r.To - 100
	return []store.Range{{From: mid, To: r.To}, {From: r.From, To: mid}}
}

func (searchAccel) ArchivedRows(context.Context, int64, store.Range) (string, error) {
	return "archived_rows", nil
}

func TestSearchGolden(t *testing.T) {
	q, err := query.Parse("service:api checkout")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "search", func(ex sqlq.Executor, accel bool) {
		if accel {
			ex = searchAccel{ex.(filtered).recorder}
		}
		rd := Reader{Ex: ex}
		for _, r := range []store.SearchRequest{
			{ProjectID: 7, Range: rng},
			{ProjectID: 7, Range: rng, Query: q, Limit: 20, Cursor: encodeCursor(1_500_000, 42)},
		} {
			if _, err := rd.Search(context.Background(), r); err != nil {
				t.Fatalf("Search(%+v): %v", r, err)
			}
		}
	})
}

func TestSearchBadCursor(t *testing.T) {
	var qs []sqlq.Query
	_, err := Reader{Ex: recorder{sqlq.DuckDB{}, &qs}}.Search(context.Background(), store.SearchRequest{ProjectID: 7, Range: rng, Cursor: "garbage"})
	if !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), `"garbage"`) {
		t.Errorf("Search with a bad cursor = %v, want an invalid-input error quoting it", err)
	}
	if len(qs) != 0 {
		t.Errorf("a bad cursor ran %d queries", len(qs))
	}
}
