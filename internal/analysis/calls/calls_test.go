package calls

import (
	"testing"

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
		th := Throttled{ProjectID: 7, Range: r, Follow: 500}
		for _, src := range []source{spans, logs} {
			add(th.bounds(d, src))
			add(th.txns(d, src, r.From, r.To+100))
		}
		add(Retries{ProjectID: 7, Range: r, MinRetries: 4}.Query(d))
	})
}

func TestKeys(t *testing.T) {
	r := store.Range{From: 1, To: 2}
	if (Throttled{ProjectID: 1, Range: r}).Key() == (Throttled{ProjectID: 1, Range: r, Follow: 1}).Key() {
		t.Error("Follow is not in the throttled key")
	}
	if (Retries{ProjectID: 1, Range: r}).Key() != (Retries{ProjectID: 1, Range: r, Limit: 1000}).Key() {
		t.Error("the default limit keys apart from the same limit given")
	}
	if _, err := (Retries{ProjectID: 1, Range: store.Range{From: 2, To: 2}}).Run(t.Context(), nil); err == nil {
		t.Error("an empty range was accepted")
	}
}
