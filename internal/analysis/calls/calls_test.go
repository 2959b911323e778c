package calls

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestQueriesGolden shows the SQL each query compiles to in each engine
// (testdata/<engine>.sql; -update rewrites them). What the queries mean
// is checked by the store conformance suite (storetest.RunNarrative),
// which runs them on a real backend.
func TestQueriesGolden(t *testing.T) {
	r := store.Range{From: 1_000_000, To: 2_000_000}
	for _, d := range []sqlq.Dialect{sqlq.DuckDB{}, sqlq.ClickHouse{}} {
		var b strings.Builder
		add := func(q sqlq.Query, err error) {
			t.Helper()
			if err != nil {
				t.Fatalf("%s: %v", d.Name(), err)
			}
			fmt.Fprintf(&b, "-- %s %v\n%s;\n\n", q.Name, q.Args, q.SQL)
		}
		th := Throttled{ProjectID: 7, Range: r, Follow: 500}
		for _, src := range []source{spans, logs} {
			add(th.bounds(d, src))
			add(th.txns(d, src, r.From, r.To+100))
		}
		add(Retries{ProjectID: 7, Range: r, MinRetries: 4}.Query(d))
		path := filepath.Join("testdata", d.Name()+".sql")
		if *update {
			if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		if b.String() != string(want) {
			t.Errorf("%s: the compiled SQL changed; compare with %s (-update if intended):\n%s", d.Name(), path, b.String())
		}
	}
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
