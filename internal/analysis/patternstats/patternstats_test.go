package patternstats

import (
	"context"
	"testing"

	"github.com/lore-dev/lore/internal/analysis/scan"
	"github.com/lore-dev/lore/internal/query"
	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/sqlq/sqlqtest"
	"github.com/lore-dev/lore/internal/store"
)

// TestQueriesGolden shows the SQL each query compiles to in each engine
// (testdata/<engine>.sql; -update rewrites them). What the queries mean
// is checked by the store conformance suite (storetest.RunNarrative),
// which runs them on a real backend.
func TestQueriesGolden(t *testing.T) {
	r := store.Range{From: 1_000_000, To: 2_000_000}
	sqlqtest.Golden(t, func(d sqlq.Dialect, add func(sqlq.Query, error)) {
		q, err := query.Parse("level:error checkout")
		if err != nil {
			t.Fatal(err)
		}
		p, err := scan.New(plain{d}, 7, r, q)
		if err != nil {
			t.Fatal(err)
		}
		add(counts(d, p))
		add(buckets(d, p, 60e6, []string{"p1", "p2"}))
	})
}

// plain is an executor of dialect d without accelerators.
type plain struct{ d sqlq.Dialect }

func (p plain) Dialect() sqlq.Dialect { return p.d }
func (plain) Run(context.Context, sqlq.Query, func(sqlq.Scanner) error) error {
	return nil
}

func TestKeys(t *testing.T) {
	r := store.Range{From: 1, To: 2}
	a, _ := query.Parse("level:error")
	if (Query{ProjectID: 1, Range: r, Step: 1}).Key() != (Query{ProjectID: 1, Range: r, Step: 1, Limit: 50, TopValues: 3}).Key() {
		t.Error("the defaults key apart from the same values given")
	}
	if (Query{ProjectID: 1, Range: r, Step: 1}).Key() == (Query{ProjectID: 1, Range: r, Step: 1, Query: a}).Key() {
		t.Error("the search query is not in the key")
	}
	if _, err := (Query{ProjectID: 1, Range: r}).Run(t.Context(), plain{sqlq.DuckDB{}}); err == nil {
		t.Error("a zero step was accepted")
	}
}
