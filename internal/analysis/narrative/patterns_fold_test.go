package narrative

import (
	"github.com/lore-dev/lore/internal/analysis/patternstats"
	"testing"

	"github.com/lore-dev/lore/internal/patterns"
	"github.com/lore-dev/lore/internal/store"
)

// templates is a miner's answer for a few ids: "pB" was folded into "pA".
type templates map[string]patterns.Group

func (t templates) Group(_ int64, id string) (patterns.Group, bool) {
	g, ok := t[id]
	return g, ok
}

// Rows stamped with an id the miner later folded into another pattern
// count for that pattern, and its search query finds them all.
func TestFoldPatternsSumsFoldedIDs(t *testing.T) {
	a := patterns.Group{ID: "pA", Tokens: []string{"user", "<*>", "in"}}
	tm := templates{"pA": a, "pB": a, "pC": {ID: "pC", Tokens: []string{"other"}}}
	stats := []patternstats.Stat{
		{ID: "pC", Count: 50, FirstTS: 5, LastTS: 9, Buckets: []int64{25, 25}, Services: []store.FacetValue{{Value: "api", Count: 50}}},
		{ID: "pA", Count: 30, FirstTS: 3, LastTS: 8, Buckets: []int64{10, 20}, ErrorFraction: 0.5, Services: []store.FacetValue{{Value: "auth", Count: 30}}},
		{ID: "pB", Count: 30, FirstTS: 1, LastTS: 4, Buckets: []int64{30, 0}, Services: []store.FacetValue{{Value: "auth", Count: 20}, {Value: "web", Count: 10}}},
		{ID: "pX", Count: 1, FirstTS: 1, LastTS: 1, Buckets: []int64{1, 0}},
	}
	got := foldPatterns(stats, 1, tm, 2)
	if len(got) != 2 || got[0].ID != "pA" || got[1].ID != "pC" {
		t.Fatalf("folded %+v", got)
	}
	f := got[0]
	if f.Count != 60 || f.FirstTS != 1 || f.LastTS != 8 || f.Buckets[0] != 40 || f.Buckets[1] != 20 || f.ErrorFraction != 0.25 {
		t.Errorf("sums %+v", f)
	}
	if len(f.Services) != 2 || f.Services[0] != (store.FacetValue{Value: "auth", Count: 50}) {
		t.Errorf("services %+v", f.Services)
	}
	if q := patternQuery(f.ids); q != "(pattern_id:pA OR pattern_id:pB)" {
		t.Errorf("query %q", q)
	}
	if q := patternQuery(got[1].ids); q != "pattern_id:pC" {
		t.Errorf("query %q", q)
	}
}
