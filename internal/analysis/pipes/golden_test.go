package pipes_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lore-dev/lore/internal/analysis/pipes"
	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/sqlq/sqlqtest"
)

// goldenQueries are one pipeline a pipe (and the README's examples): the
// SQL each compiles to, per engine, is kept in testdata/<engine>.sql.
var goldenQueries = []string{
	`status:429 | stats count() as n, p95(duration_ms), uniq(user_id) by endpoint | sort n desc | limit 10`,
	`| stats sum(duration_ms), avg(duration_ms), min(duration_ms), max(duration_ms), p50(duration_ms), p90(duration_ms), p99(duration_ms), rate()`,
	`name:payment_gateway_retry status:429 | stats count() by bin(1h)`,
	`level:error | timechart span=5m count() by service`,
	`status:429 | top 10 user`,
	`| rare 3 endpoint`,
	`| where duration_ms > 250 and (status >= 500 or lower(service) = "api")`,
	`| eval secs = duration_ms / 1000, who = concat(user, "@", service), slow = if(duration_ms > 1000, "slow", "ok") | fields ts, who, secs, slow`,
	`| extract "user=<user> took <ms>ms" | stats p95(ms) as p95 by user`,
	`| fields ts, service, endpoint, status`,
	`| sort duration_ms desc, ts | limit 5`,
	`error_type:* | dedup fingerprint | fields ts, fingerprint, message`,
	`| stats count() as failed by user | sort failed desc | limit 10`,
	`message:"card declined" | stats uniq(session_id) as sessions`,
}

// TestPipesGolden shows the one statement each pipeline compiles to in
// each engine (testdata/duckdb.sql, testdata/clickhouse.sql; -update
// rewrites them), with its arguments. Each DuckDB statement runs on the
// test's DuckDB here (what they answer is checked by the other tests);
// the ClickHouse ones run on a ClickHouse server in TestClickHouseRuns
// when one is installed.
func TestPipesGolden(t *testing.T) {
	for _, text := range goldenQueries {
		if res := run(t, openStore(t), text); len(res.Columns) == 0 {
			t.Errorf("%q: no columns", text)
		}
	}
	for _, d := range []sqlq.Dialect{sqlq.DuckDB{}, sqlq.ClickHouse{}} {
		var b strings.Builder
		for _, text := range goldenQueries {
			c := compileFor(t, d, text)
			fmt.Fprintf(&b, "-- %s\n-- args: %v\n%s;\n\n", text, c.Query.Args, c.Query.SQL)
		}
		sqlqtest.File(t, d, filepath.Join("testdata", d.Name()+".sql"), b.String())
	}
}

// compileFor compiles text for project 7 over one day from 2026-12-01.
func compileFor(t *testing.T, d sqlq.Dialect, text string) pipes.Compiled {
	t.Helper()
	p, err := pipes.Parse(text)
	if err != nil {
		t.Fatalf("Parse(%q): %v", text, err)
	}
	c, err := pipes.Compile(p, d, 7, t0, t0+86400*sec)
	if err != nil {
		t.Fatalf("%s: Compile(%q): %v", d.Name(), text, err)
	}
	if n := sqlq.Placeholders(c.Query.SQL); n != len(c.Query.Args) {
		t.Errorf("%s %q: %d placeholders, %d arguments", d.Name(), text, n, len(c.Query.Args))
	}
	return c
}
