package product

import (
	"testing"

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
		w := Web{ProjectID: 7, Range: r}
		add(w.Totals(d))
		add(w.Lists(d))
		where, err := query.Parse("plan:pro amount:>10")
		if err != nil {
			t.Fatal(err)
		}
		add(Trends{ProjectID: 7, Range: r, Event: store.Step{Name: "Buy", Where: where}, Interval: 3600e6, Property: "amount", Breakdown: "trace_id"}.Query(d))
		add(Trends{ProjectID: 7, Range: r, Event: store.Step{Name: store.StepError}, Interval: 3600e6, Property: "duration_ms"}.Query(d))
		add(Paths{ProjectID: 7, Range: r, Start: &store.Step{Name: "/home", Where: where}}.Query(d))
		add(Paths{ProjectID: 7, Range: r, End: &store.Step{Name: store.StepError}, Depth: 3, Limit: 5}.Query(d))
		add(Retention{ProjectID: 7, Range: r, Start: store.Step{Name: "Signed Up"}, Return: store.Step{Name: "Buy", Where: where}, Period: week, Periods: 8, Breakdown: "plan"}.Query(d))
		add(Funnel{FunnelRequest: store.FunnelRequest{ProjectID: 7, Range: r, Steps: []store.Step{{Name: "View"}, {Name: "Add"}, {Name: "Buy"}}, Window: 3600e6}}.Query(d))
		add(Funnel{FunnelRequest: store.FunnelRequest{ProjectID: 7, Range: r, Steps: []store.Step{{Name: "View", Where: where}, {Name: "Add"}}, Window: 3600e6, Breakdown: "plan"}}.Query(d))
		add(Funnel{FunnelRequest: store.FunnelRequest{ProjectID: 7, Range: r, Steps: []store.Step{{Name: "View"}, {Name: "View", Where: where}, {Name: store.StepError}}, Window: 3600e6, Causes: 2, SlowMS: 500, Samples: 4}}.Query(d))
		add(Funnel{FunnelRequest: store.FunnelRequest{ProjectID: 7, Range: r, Steps: []store.Step{{Name: "View"}, {Name: "Add"}}, Window: 3600e6}}.Hits(d))
	})
}

func TestKeys(t *testing.T) {
	r := store.Range{From: 1, To: 2}
	if (Web{ProjectID: 1, Range: r}).Key() != (Web{ProjectID: 1, Range: r, Limit: 10}).Key() {
		t.Error("the default limit keys apart from the same limit given")
	}
	pro, _ := query.Parse("plan:pro")
	free, _ := query.Parse("plan:free")
	a := Trends{ProjectID: 1, Range: r, Event: store.Step{Name: "Buy", Where: pro}, Interval: 1}
	b := a
	b.Event.Where = free
	if a.Key() == b.Key() {
		t.Error("the step's filter is not in the trends key")
	}
	start := &store.Step{Name: "a"}
	if (Paths{ProjectID: 1, Range: r, Start: start}).Key() != (Paths{ProjectID: 1, Range: r, Start: start, Depth: 5, Limit: 20}).Key() {
		t.Error("the paths defaults key apart from the same values given")
	}
	if (Paths{ProjectID: 1, Range: r, Start: start}).Key() == (Paths{ProjectID: 1, Range: r, End: start}).Key() {
		t.Error("start and end share a key")
	}
	for _, p := range []Paths{{ProjectID: 1, Range: r}, {ProjectID: 1, Range: r, Start: start, End: start}, {ProjectID: 1, Range: r, Start: start, Depth: 21}} {
		if _, err := p.Run(t.Context(), nil); err == nil {
			t.Errorf("%+v was accepted", p)
		}
	}
	f := Funnel{FunnelRequest: store.FunnelRequest{ProjectID: 1, Range: r, Steps: []store.Step{{Name: "a"}, {Name: "b"}}, Window: 1}}
	g := f
	g.Causes, g.SlowMS, g.Samples, g.MaxBreakdowns = 5, 1000, 3, 10
	if f.Key() != g.Key() {
		t.Error("the funnel defaults key apart from the same values given")
	}
	g.Steps = []store.Step{{Name: "a"}, {Name: "b", Where: pro}}
	if f.Key() == g.Key() {
		t.Error("a step's filter is not in the funnel key")
	}
	for _, bad := range []Funnel{{FunnelRequest: store.FunnelRequest{ProjectID: 1, Range: r, Steps: f.Steps}}, {FunnelRequest: store.FunnelRequest{ProjectID: 1, Range: r, Steps: f.Steps[:1], Window: 1}}, {FunnelRequest: store.FunnelRequest{ProjectID: 1, Range: store.Range{From: 2, To: 2}, Steps: f.Steps, Window: 1}}} {
		if _, err := bad.Run(t.Context(), nil); err == nil {
			t.Errorf("%+v was accepted", bad)
		}
	}
	if _, err := (Trends{ProjectID: 1, Range: r}).Run(t.Context(), nil); err == nil {
		t.Error("a zero interval was accepted")
	}
	if _, err := (Trends{ProjectID: 1, Range: store.Range{From: 0, To: 1e12}, Interval: 1}).Run(t.Context(), nil); err == nil {
		t.Error("a billion intervals were accepted")
	}
}
