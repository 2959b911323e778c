package issuestats

import (
	"context"
	"testing"

	"github.com/lore-dev/lore/internal/analysis/scan"
	"github.com/lore-dev/lore/internal/query"
	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/sqlq/sqlqtest"
	"github.com/lore-dev/lore/internal/store"
)

// plain is an executor of dialect d without accelerators that records
// what it is asked to run.
type plain struct {
	d   sqlq.Dialect
	ran *[]string
}

func (p plain) Dialect() sqlq.Dialect { return p.d }
func (p plain) Run(_ context.Context, q sqlq.Query, _ func(sqlq.Scanner) error) error {
	if p.ran != nil {
		*p.ran = append(*p.ran, q.Name)
	}
	return nil
}

// TestQueriesGolden shows the SQL each query compiles to in each engine
// (testdata/<engine>.sql; -update rewrites them). What the queries mean
// is checked by the store conformance suite (storetest.RunIssues), which
// runs them on a real backend with and without its error index.
func TestQueriesGolden(t *testing.T) {
	r := store.Range{From: 1_000_000, To: 2_000_000}
	q, err := query.Parse("release:1.0 checkout")
	if err != nil {
		t.Fatal(err)
	}
	sqlqtest.Golden(t, func(d sqlq.Dialect, add func(sqlq.Query, error)) {
		p, err := scan.New(plain{d: d}, 7, r, q)
		if err != nil {
			t.Fatal(err)
		}
		add(groupsQuery(d, p, nil, true, false))
		add(groupsQuery(d, p, []string{"fa", "fb"}, true, true))
		add(edgeQuery(d, 7, store.IssueEdge{Range: r, Fingerprints: []string{"fa"}}))
		add(seriesQuery(d, store.IssueSeriesRequest{ProjectID: 7, Range: r, Fingerprints: []string{"fa", "fb"}, Step: 3600e6}))
	})
}

func TestKeysAndRefusals(t *testing.T) {
	r := store.Range{From: 1, To: 2}
	if (Groups{ProjectID: 1, Range: r}).Key() == (Groups{ProjectID: 1, Range: r, Fingerprints: []string{}}).Key() {
		t.Error("every fingerprint and none key alike")
	}
	if (Groups{ProjectID: 1, Range: r}).Key() == (Groups{ProjectID: 1, Range: r, Users: true}).Key() {
		t.Error("users are not in the key")
	}
	if (Groups{ProjectID: 1, Range: r}).Key() == (Total{ProjectID: 1, Range: r}).Key() {
		t.Error("groups and total key alike")
	}
	if (Series{ProjectID: 1, Range: r, Step: 1, Fingerprints: []string{"a,b"}}).Key() ==
		(Series{ProjectID: 1, Range: r, Step: 1, Fingerprints: []string{"a", "b"}}).Key() {
		t.Error("fingerprint lists key ambiguously")
	}
	ex := plain{d: sqlq.DuckDB{}}
	for _, s := range []Series{
		{ProjectID: 1, Range: r, Fingerprints: []string{"a"}},
		{ProjectID: 1, Range: store.Range{From: 2, To: 2}, Step: 1, Fingerprints: []string{"a"}},
		{ProjectID: 1, Range: store.Range{From: 0, To: 20_000}, Step: 1, Fingerprints: []string{"a"}},
	} {
		if _, err := s.Run(t.Context(), ex); err == nil {
			t.Errorf("series %+v accepted", s)
		}
	}
	// An empty list of fingerprints reads nothing.
	var ran []string
	ex.ran = &ran
	if gs, err := (Groups{ProjectID: 1, Range: r, Fingerprints: []string{}}).Run(t.Context(), ex); err != nil || gs != nil || len(ran) != 0 {
		t.Errorf("groups of no fingerprint = %v, %v; ran %v", gs, err, ran)
	}
	if s, err := (Series{ProjectID: 1, Range: r, Step: 1}).Run(t.Context(), ex); err != nil || len(s) != 0 || len(ran) != 0 {
		t.Errorf("series of no fingerprint = %v, %v; ran %v", s, err, ran)
	}
}

func TestMerge(t *testing.T) {
	part := func(n, first, last int64, rel1 string, rts1 int64, rel2 string, rts2 int64) store.IssuePart {
		return store.IssuePart{IssueGroup: store.IssueGroup{Count: n, FirstSeen: first, LastSeen: last, FirstRelease: rel1, LastRelease: rel2},
			FirstReleaseTS: rts1, LastReleaseTS: rts2}
	}
	a := part(2, 10, 20, "1.0", 10, "1.1", 20)
	b := part(3, 5, 30, "0.9", 6, "2.0", 25)
	got := Merge(Merge(store.IssuePart{}, a), b)
	if want := part(5, 5, 30, "0.9", 6, "2.0", 25); got != want {
		t.Errorf("Merge = %+v, want %+v", got, want)
	}
	// A part without releases keeps the others'; an empty part changes nothing.
	if got := Merge(a, part(1, 1, 40, "", 0, "", 0)); got != part(3, 1, 40, "1.0", 10, "1.1", 20) {
		t.Errorf("Merge without releases = %+v", got)
	}
	if got := Merge(a, store.IssuePart{}); got != a {
		t.Errorf("Merge of nothing = %+v", got)
	}
}
