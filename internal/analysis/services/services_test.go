package services

import (
	"context"
	"testing"

	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/sqlq/sqlqtest"
	"github.com/lore-dev/lore/internal/store"
)

// TestQueriesGolden shows the SQL each query compiles to in each engine
// (testdata/<engine>.sql; -update rewrites them). What the queries mean
// is checked by the store conformance suite (storetest.RunNarrative and
// its rollup suite), which runs them on a real backend with and without
// its rollups.
func TestQueriesGolden(t *testing.T) {
	r := store.Range{From: 1_000_000, To: 2_000_000}
	sqlqtest.Golden(t, func(d sqlq.Dialect, add func(sqlq.Query, error)) {
		add(ReleaseStarts{ProjectID: 7, Range: r, Since: 500_000}.Query(d))
		add(ErrorGroups{ProjectID: 7, Range: r, Since: 500_000, Limit: 200}.Query(d))
		add(Series{ProjectID: 7, Range: r, Step: 60_000}.Query(d))
		add(Map{ProjectID: 7, Range: r}.NodesQuery(d))
		add(Map{ProjectID: 7, Range: r}.EdgesQuery(d))
	})
}

// rollup is a store whose release rollup answers only ranges from 0.
type rollup struct{ ran *[]string }

func (rollup) Dialect() sqlq.Dialect { return sqlq.DuckDB{} }
func (x rollup) Run(_ context.Context, q sqlq.Query, _ func(sqlq.Scanner) error) error {
	*x.ran = append(*x.ran, q.Name)
	return nil
}
func (rollup) RolledReleaseStarts(_ context.Context, _ int64, r store.Range) ([]store.ReleaseStart, bool, error) {
	if r.From != 0 {
		return nil, false, nil
	}
	return []store.ReleaseStart{{Service: "api", Release: "v1", FirstTS: 1}}, true, nil
}

func TestReleaseStartsRun(t *testing.T) {
	var ran []string
	ex := rollup{&ran}
	got, err := ReleaseStarts{ProjectID: 1, Range: store.Range{From: 10, To: 20}, Since: 0}.Run(t.Context(), ex)
	if err != nil || len(got) != 1 || len(ran) != 0 {
		t.Errorf("from the rollup: %v, %v; ran %v", got, err, ran)
	}
	if _, err := (ReleaseStarts{ProjectID: 1, Range: store.Range{From: 10, To: 20}, Since: 15}).Run(t.Context(), ex); err != nil ||
		len(ran) != 1 || ran[0] != "services.releases" {
		t.Errorf("a range the rollup declines is read from the events: %v, ran %v", err, ran)
	}
	if _, err := (ReleaseStarts{ProjectID: 1, Range: store.Range{From: 20, To: 20}}).Run(t.Context(), ex); err == nil {
		t.Error("an empty range was accepted")
	}
	// Since later than the range's start reads the range: the same key.
	if (ReleaseStarts{ProjectID: 1, Range: store.Range{From: 10, To: 20}, Since: 15}).Key() !=
		(ReleaseStarts{ProjectID: 1, Range: store.Range{From: 10, To: 20}, Since: 10}).Key() {
		t.Error("equal bounds key apart")
	}
}

// graph is a store with a precomputed call graph.
type graph struct{ rollup }

func (graph) CallGraph(context.Context, int64, store.Range) ([]store.CallEdge, error) {
	return []store.CallEdge{{From: "a", To: "b", Calls: 1}}, nil
}

// TestCallGraphRun: the graph comes from the store's accelerator when it
// has one, else from the map's edges query; an empty range is refused.
func TestCallGraphRun(t *testing.T) {
	var ran []string
	r := store.Range{From: 10, To: 20}
	got, err := CallGraph{ProjectID: 1, Range: r}.Run(t.Context(), graph{rollup{&ran}})
	if err != nil || len(got) != 1 || got[0].To != "b" || len(ran) != 0 {
		t.Errorf("from the accelerator: %v, %v; ran %v", got, err, ran)
	}
	if _, err := (CallGraph{ProjectID: 1, Range: r}).Run(t.Context(), rollup{&ran}); err != nil || len(ran) != 1 || ran[0] != "services.map.edges" {
		t.Errorf("without one, the map's edges: %v, ran %v", err, ran)
	}
	if _, err := (CallGraph{ProjectID: 1, Range: store.Range{From: 20, To: 20}}).Run(t.Context(), graph{rollup{&ran}}); err == nil {
		t.Error("an empty range was accepted")
	}
}
