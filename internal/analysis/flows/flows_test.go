package flows

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
		add(Failed{ProjectID: 7, Range: r}.Query(d))
		add(Sessions{ProjectID: 7, Range: r, Limit: 10}.Query(d))
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
