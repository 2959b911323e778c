package flows

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
		add(Failed{ProjectID: 7, Range: r}.Query(d))
		add(Sessions{ProjectID: 7, Range: r, Limit: 10}.Query(d))
	})
}

func TestKeys(t *testing.T) {
	r := store.Range{From: 1, To: 2}
	if (Failed{ProjectID: 1, Range: r}).Key() != (Failed{ProjectID: 1, Range: r, Limit: 10000}).Key() {
		t.Error("the default limit keys apart from the same limit given")
	}
	if (Sessions{ProjectID: 1, Range: r}).Key() == (Sessions{ProjectID: 2, Range: r}).Key() {
		t.Error("the project is not in the key")
	}
	if _, err := (Sessions{ProjectID: 1, Range: store.Range{From: 2, To: 1}}).Run(t.Context(), nil); err == nil {
		t.Error("an inverted range was accepted")
	}
}
