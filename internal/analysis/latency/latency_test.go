package latency

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lore-dev/lore/internal/analysis/scan"
	"github.com/lore-dev/lore/internal/query"
	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/sqlq/sqlqtest"
	"github.com/lore-dev/lore/internal/store"
)

// plain is an executor of dialect d without accelerators.
type plain struct{ d sqlq.Dialect }

func (p plain) Dialect() sqlq.Dialect { return p.d }
func (plain) Run(context.Context, sqlq.Query, func(sqlq.Scanner) error) error {
	return nil
}

// TestQueriesGolden shows the SQL the query compiles to in each engine
// (testdata/<engine>.sql; -update rewrites them). What it means is
// checked by the store conformance suite (storetest's Latency case), which
// runs it on a real backend.
func TestQueriesGolden(t *testing.T) {
	r := store.Range{From: 1_000_000, To: 2_000_000}
	q, err := query.Parse("service:api checkout")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []sqlq.Dialect{sqlq.DuckDB{}, sqlq.ClickHouse{}} {
		p, err := scan.New(plain{d}, 7, r, q)
		if err != nil {
			t.Fatal(err)
		}
		cq, err := compile(d, p)
		if err != nil {
			t.Fatalf("%s: %v", d.Name(), err)
		}
		got := fmt.Sprintf("-- %s %v\n%s;\n\n", cq.Name, cq.Args, cq.SQL)
		sqlqtest.File(t, d, filepath.Join("testdata", d.Name()+".sql"), got)
	}
}

func TestKeyAndBadRange(t *testing.T) {
	r := store.Range{From: 1, To: 2}
	a, _ := query.Parse("service:api")
	if (Query{ProjectID: 1, Range: r}).Key() == (Query{ProjectID: 1, Range: r, Query: a}).Key() {
		t.Error("the search query is not in the key")
	}
	if (Query{ProjectID: 1, Range: r}).Key() == (Query{ProjectID: 2, Range: r}).Key() {
		t.Error("the project is not in the key")
	}
	if _, err := (Query{ProjectID: 1, Range: store.Range{From: 5, To: 5}}).Run(t.Context(), plain{sqlq.DuckDB{}}); err == nil ||
		!strings.Contains(err.Error(), "empty time range") {
		t.Errorf("an empty range: %v", err)
	}
}
