// Package sqlqtest helps the analyses' tests show the SQL they compile.
package sqlqtest

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lore-dev/lore/internal/sqlq"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// Dialects are the engines whose SQL the golden files show.
var Dialects = []sqlq.Dialect{sqlq.DuckDB{}, sqlq.ClickHouse{}}

// Golden compares the queries build compiles in each dialect — each
// handed to add, with its compile error — with their names and arguments,
// with testdata/<dialect>.sql (go test -update rewrites the files). What
// the queries mean is for the conformance suite, which runs them on real
// engines.
func Golden(t *testing.T, build func(d sqlq.Dialect, add func(sqlq.Query, error))) {
	t.Helper()
	for _, d := range Dialects {
		var b strings.Builder
		build(d, func(q sqlq.Query, err error) {
			t.Helper()
			if err != nil {
				t.Fatalf("%s: %v", d.Name(), err)
			}
			fmt.Fprintf(&b, "-- %s %v\n%s;\n\n", q.Name, q.Args, q.SQL)
		})
		File(t, d, filepath.Join("testdata", d.Name()+".sql"), b.String())
	}
}

// File compares got, the SQL a test compiled for d, with the golden file
// at path (go test -update rewrites it instead), for the tests whose files
// have a layout of their own.
func File(t *testing.T, d sqlq.Dialect, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s: the compiled SQL changed; compare with %s (-update if intended):\n%s", d.Name(), path, got)
	}
}
